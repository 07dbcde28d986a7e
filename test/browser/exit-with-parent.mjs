// Preloaded (--import) into the processes the browser tests start: when the
// test process goes, even killed without running its teardowns (tap's timeout),
// the stdin pipe it held closes and this process shuts down as on SIGTERM.
process.stdin.on('close', () => {
  setTimeout(() => process.exit(1), 5000).unref()
  process.kill(process.pid, 'SIGTERM')
})
process.stdin.on('data', () => {})
// Reading stdin must not keep the process alive on its own.
process.stdin.unref()

import net from 'node:net'

/**
 * Fails at once, naming HOST and PORT, when the address cannot be bound
 * (another process holds the port): before the database is opened and
 * migrated, which takes seconds, rather than after. The probe is closed
 * again; the real listen comes once the app is built.
 */
export async function assertCanListen(host: string, port: number): Promise<void> {
  if (port === 0) return
  const probe = net.createServer()
  await new Promise<void>((resolve, reject) => {
    probe.once('error', (error: NodeJS.ErrnoException) => {
      const why =
        error.code === 'EADDRINUSE'
          ? 'is in use by another process'
          : error.code === 'EACCES'
            ? 'needs privileges this process lacks'
            : `cannot be used (${error.code ?? error.message})`
      reject(new Error(`port ${port} on ${host} ${why}: stop that process, or set PORT (and HOST) to a free address`))
    })
    probe.listen({ host, port, exclusive: true }, () => probe.close(() => resolve()))
  })
}

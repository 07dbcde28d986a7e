/**
 * This process's CPU time (every thread, libuv's pool included) while `run`
 * runs: what the work cost, not how long a loaded machine kept it waiting.
 * Budgets in wall-clock time flake when other jobs hold the cores.
 */
export async function cpuTimed<T>(run: () => Promise<T>): Promise<{ result: T; ms: number }> {
  const before = process.cpuUsage()
  const result = await run()
  const used = process.cpuUsage(before)
  return { result, ms: (used.user + used.system) / 1000 }
}

/** Runs a task while no other task under the same lock runs (in this tab, or across tabs for the shared locks). */
export type RefreshLock = <T>(task: () => Promise<T>) => Promise<T>

/** A promise chain: this tab's tasks run one after the other, a failure does not break the chain. */
export function createTabLock(): RefreshLock {
  let tail: Promise<unknown> = Promise.resolve()
  return <T>(task: () => Promise<T>) => {
    const run = tail.then(task, task)
    tail = run.catch(() => undefined)
    return run
  }
}

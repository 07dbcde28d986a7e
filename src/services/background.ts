/**
 * Work that runs after the response has been sent: its time cannot tell the
 * client anything (a password reset for an address that has no account ends
 * as fast as one that sends a mail). Failures go to `onError`; close() waits
 * for what is still running, so a shutdown does not cut a mail in half.
 */
export class BackgroundTasks {
  readonly #running = new Set<Promise<void>>()

  constructor(private readonly onError: (error: unknown, task: string) => void) {}

  run(task: string, work: () => Promise<void>): void {
    const running = work()
      .catch((error) => this.onError(error, task))
      .finally(() => this.#running.delete(running))
    this.#running.add(running)
  }

  async settled(): Promise<void> {
    while (this.#running.size > 0) await Promise.all(this.#running)
  }
}

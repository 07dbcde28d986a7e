import { messageId, type TabChannel } from './tab-channel.js'
import type { TabPresence } from './tab-presence.js'

export interface Handover {
  /** Asks the other tabs for the session; true once one has handed it over, false when none could. */
  ask(): Promise<boolean>
  /** Called when a session arrives from another tab. */
  received(): void
}

/**
 * A new tab's first question: is another tab signed in? Asked only when
 * another tab is there at all, and answered by the first session message
 * (to us, or broadcast by a tab that signs in meanwhile), or given up after
 * `timeoutMs` (a tab that is there but signed out does not answer).
 */
export function createHandover(channel: TabChannel, presence: TabPresence, tabId: string, timeoutMs: number): Handover {
  let answered: (() => void) | undefined
  return {
    async ask() {
      if (!channel.connected || !(await presence.othersPresent())) return false
      return new Promise<boolean>((resolve) => {
        const finish = (handed: boolean) => {
          clearTimeout(timeout)
          answered = undefined
          resolve(handed)
        }
        const timeout = setTimeout(() => finish(false), timeoutMs)
        answered = () => finish(true)
        void channel.publish({ kind: 'hello', id: messageId(), from: tabId })
      })
    },
    received: () => answered?.(),
  }
}

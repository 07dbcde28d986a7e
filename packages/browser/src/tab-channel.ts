import type { SignOutReason, User } from './types.js'

/** What one tab tells the others about the session they share. */
export interface SharedSession {
  accessToken: string
  /** Epoch ms, from `expires_in` when the tokens arrived (immune to clock skew with keyturn). */
  expiresAt: number
  lifetimeMs: number
  /** Epoch ms when the tokens arrived: the newer of two sessions wins. */
  issuedAt: number
  user: User | null
  /** Body mode only. */
  refreshToken?: string | null
}

export type TabMessage =
  | { kind: 'session'; id: string; event: 'signed-in' | 'refreshed'; session: SharedSession; to?: string }
  | { kind: 'signed-out'; id: string; reason: SignOutReason; at: number }
  | { kind: 'hello'; id: string; from: string }

export interface TabChannel {
  /** False where the browser has no BroadcastChannel: this tab is on its own. */
  readonly connected: boolean
  /** Resolves once the message has gone through the browser's channel (or after a short bound). */
  publish(message: TabMessage): Promise<void>
  onMessage(handler: (message: TabMessage) => void): void
  close(): void
}

/** How long publish waits for its own echo before giving up (a frozen or closing tab). */
const echoTimeoutMs = 250

/**
 * BroadcastChannel between the tabs of this origin. publish waits until a
 * second channel object of this tab hears the message: by then the browser has
 * handed it to every other tab, so a tab released from the refresh lock right
 * after has already queued the new tokens and sees them when it checks.
 */
export function createTabChannel(name: string): TabChannel {
  if (typeof BroadcastChannel !== 'function') return silentChannel()
  const channel = new BroadcastChannel(name)
  const echo = new BroadcastChannel(name)
  const waiting = new Map<string, () => void>()
  echo.onmessage = (event: MessageEvent<TabMessage>) => waiting.get(event.data?.id)?.()

  return {
    connected: true,
    publish(message) {
      return new Promise<void>((resolve) => {
        const done = () => {
          clearTimeout(timer)
          waiting.delete(message.id)
          resolve()
        }
        const timer = setTimeout(done, echoTimeoutMs)
        waiting.set(message.id, done)
        channel.postMessage(message)
      })
    },
    onMessage(handler) {
      channel.onmessage = (event: MessageEvent<TabMessage>) => {
        if (event.data && typeof event.data.kind === 'string') handler(event.data)
      }
    },
    close() {
      for (const done of waiting.values()) done()
      channel.close()
      echo.close()
    },
  }
}

function silentChannel(): TabChannel {
  return { connected: false, publish: async () => {}, onMessage: () => {}, close: () => {} }
}

export function messageId(): string {
  return globalThis.crypto?.randomUUID?.() ?? `${Date.now().toString(36)}-${Math.random().toString(36).slice(2)}`
}

import type { AuthEvent, AuthListener } from './types.js'

export interface Listeners {
  add(listener: AuthListener): () => void
  emit(event: AuthEvent): void
  clear(): void
}

/** The onChange subscribers. One that throws does not stop the others; its error is reported as uncaught. */
export function createListeners(): Listeners {
  const listeners = new Set<AuthListener>()
  return {
    add(listener) {
      listeners.add(listener)
      return () => void listeners.delete(listener)
    },
    emit(event) {
      for (const listener of [...listeners]) {
        try {
          listener(event)
        } catch (error) {
          queueMicrotask(() => {
            throw error
          })
        }
      }
    },
    clear: () => listeners.clear(),
  }
}

import pg from 'pg'
import type { Db } from './create-db.js'

/** A LISTEN that lasts until closed. */
export interface Subscription {
  close(): Promise<void>
}

export interface ListenHandlers {
  onNotify: (payload: string) => void
  /**
   * The listening connection was lost and is back. Notifications sent in
   * between are gone: the caller must catch up some other way (a sync).
   */
  onReconnect?: () => void
  onError?: (error: Error) => void
}

export type Listen = (channel: string, handlers: ListenHandlers) => Promise<Subscription>

const listeners = new WeakMap<Db, Listen>()

/** createDb records how its database listens; Kysely itself has no LISTEN. */
export function registerListen(db: Db, listen: Listen): void {
  listeners.set(db, listen)
}

/** LISTEN on the database behind `db`, or undefined when it cannot (a db.withPlugin() copy cannot: it polls). */
export function listenerFor(db: Db): Listen | undefined {
  return listeners.get(db)
}

const RECONNECT_MIN_MS = 100
const RECONNECT_MAX_MS = 5_000

/**
 * LISTEN on a Postgres server: a connection of its own (a pooled one goes
 * back to the pool between queries, and its LISTEN with it), reopened with
 * backoff and jitter whenever it drops. Behind a pooler in transaction mode
 * LISTEN does not work: callers must not depend on it for correctness.
 */
export function listenOnPostgres(url: string): Listen {
  return async (channel, handlers) => {
    let client: pg.Client | undefined
    let closed = false
    let failures = 0
    let timer: NodeJS.Timeout | undefined

    const connect = async (): Promise<void> => {
      const next = new pg.Client({ connectionString: url, keepAlive: true, connectionTimeoutMillis: 5_000 })
      next.on('notification', (message) => {
        if (message.channel === channel) handlers.onNotify(message.payload ?? '')
      })
      next.on('error', (error) => {
        handlers.onError?.(error)
        lost(next)
      })
      next.on('end', () => lost(next))
      try {
        await next.connect()
        await next.query(`LISTEN ${pg.escapeIdentifier(channel)}`)
      } catch (error) {
        await next.end().catch(() => {})
        throw error
      }
      if (closed) await next.end().catch(() => {})
      else client = next
    }

    const scheduleReconnect = () => {
      if (closed || timer) return
      const delay = Math.min(RECONNECT_MAX_MS, RECONNECT_MIN_MS * 2 ** failures) * (0.5 + Math.random() / 2)
      failures++
      timer = setTimeout(() => {
        timer = undefined
        connect().then(
          () => {
            failures = 0
            handlers.onReconnect?.()
          },
          (error: Error) => {
            handlers.onError?.(error)
            scheduleReconnect()
          },
        )
      }, delay)
      timer.unref()
    }

    const lost = (which: pg.Client) => {
      if (client !== which) return
      client = undefined
      which.end().catch(() => {})
      scheduleReconnect()
    }

    // A server that refuses LISTEN at start (a pooler) is not fatal: callers also poll.
    await connect().catch((error: Error) => {
      handlers.onError?.(error)
      scheduleReconnect()
    })
    return {
      async close() {
        closed = true
        clearTimeout(timer)
        const open = client
        client = undefined
        await open?.end().catch(() => {})
      },
    }
  }
}

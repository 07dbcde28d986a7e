import { createKeyturnApi, type SignedIn } from './api.js'
import { AuthError, errorFrom, networkError } from './errors.js'
import { createHandover } from './handover.js'
import { createListeners } from './listeners.js'
import { createRefreshLock } from './refresh-lock.js'
import { createRefreshTimer, refreshDueAt, retryDelayMs } from './refresh-timer.js'
import { createRefreshTokenStore } from './refresh-token-store.js'
import { createSessionFetch } from './session-fetch.js'
import { createTabChannel, messageId, type SharedSession, type TabMessage } from './tab-channel.js'
import { joinTabs } from './tab-presence.js'
import type { AuthClient, AuthClientOptions, EventSource, LogoutScope, SignOutReason, TokenResponse, User } from './types.js'

/**
 * A client for one keyturn. Every tab of the origin that creates one for the
 * same baseUrl joins the same channel and lock, so the tabs share one session:
 * one refresh at a time, new tokens and a logout told to all.
 */
export function createAuthClient(options: AuthClientOptions): AuthClient {
  const baseUrl = new URL(options.baseUrl).href.replace(/\/+$/, '')
  const mode = options.mode ?? 'body'
  if (mode !== 'body' && mode !== 'cookie') throw new TypeError(`mode must be "body" or "cookie" (got "${String(mode)}")`)
  const marginMs = (options.refreshMargin ?? 60) * 1000
  const send: typeof fetch = options.fetch ?? ((input, init) => globalThis.fetch(input, init))
  const name = `keyturn:${baseUrl}`
  const api = createKeyturnApi(baseUrl, mode, send)
  const store = mode === 'body' ? createRefreshTokenStore(options.storage ?? 'memory', `${name}:refresh-token`) : undefined
  const lock = createRefreshLock(`${name}:refresh`)
  const channel = createTabChannel(name)
  const presence = joinTabs(`${name}:tabs`)
  const tabId = messageId()
  const handover = createHandover(channel, presence, tabId, options.handoverTimeout ?? 300)
  const listeners = createListeners()
  const timer = createRefreshTimer(() => void onTimer())

  let session: SharedSession | null = null
  /** When this tab last learnt of a sign-out: older sessions from late messages stay out. */
  let signedOutAt = 0
  let failures = 0
  let inflight: Promise<SharedSession | null> | undefined
  let closed = false

  const canRefresh = () => mode === 'cookie' || Boolean(store?.get())

  function sessionFrom(tokens: TokenResponse, user: User | null): SharedSession {
    const now = Date.now()
    const lifetimeMs = Math.max(0, tokens.expires_in) * 1000
    const next: SharedSession = { accessToken: tokens.access_token, expiresAt: now + lifetimeMs, lifetimeMs, issuedAt: now, user }
    if (store) next.refreshToken = tokens.refresh_token ?? null
    return next
  }

  function adopt(next: SharedSession, event: 'signed-in' | 'refreshed', source: EventSource): void {
    const wasSignedIn = session !== null
    session = next
    if (store && next.refreshToken !== undefined) store.set(next.refreshToken)
    failures = 0
    timer.at(canRefresh() ? refreshDueAt(next.expiresAt, next.lifetimeMs, marginMs) : next.expiresAt)
    listeners.emit(event === 'signed-in' || !wasSignedIn ? { type: 'signed-in', user: next.user, source } : { type: 'refreshed', source })
  }

  async function share(next: SharedSession, event: 'signed-in' | 'refreshed'): Promise<void> {
    await channel.publish({ kind: 'session', id: messageId(), event, session: next })
  }

  async function signOut(reason: SignOutReason, source: EventSource, error?: Error): Promise<void> {
    const previous = session
    session = null
    signedOutAt = Date.now()
    failures = 0
    timer.cancel()
    // Also when told by another tab: a sessionStorage copy is this tab's alone.
    store?.set(null)
    if (previous) listeners.emit(error ? { type: 'signed-out', reason, source, error } : { type: 'signed-out', reason, source })
    if (source === 'this-tab' && previous) await channel.publish({ kind: 'signed-out', id: messageId(), reason, at: signedOutAt })
  }

  /**
   * The one refresh: under the cross-tab lock, and skipped when the session
   * moved on from `stale` while this tab waited (another tab refreshed and told
   * us), so no tab presents a refresh token another has already rotated.
   */
  function renew(stale: string | null): Promise<SharedSession | null> {
    inflight ??= lock(async () => {
      if (closed) return session
      if (session && session.accessToken !== stale) return session
      if (!canRefresh()) return null
      let tokens: TokenResponse
      try {
        tokens = await api.refresh(store?.get() ?? undefined)
      } catch (error) {
        if (error instanceof AuthError && [400, 401, 403].includes(error.status)) {
          await signOut('session-ended', 'this-tab', error)
          return null
        }
        failures++
        if (session) timer.at(Date.now() + retryDelayMs(failures))
        throw error
      }
      const event = session ? 'refreshed' : 'signed-in'
      const next = sessionFrom(tokens, session?.user ?? null)
      adopt(next, event, 'this-tab')
      await share(next, event)
      return next
    }).finally(() => (inflight = undefined))
    return inflight
  }

  async function onTimer(): Promise<void> {
    if (!session) return
    if (!canRefresh()) {
      if (Date.now() >= session.expiresAt) await signOut('expired', 'this-tab')
      return
    }
    // A failure has rescheduled the timer (or signed out); fetch and the next tick retry.
    await renew(session.accessToken).catch(() => undefined)
  }

  channel.onMessage((message: TabMessage) => {
    if (closed) return
    if (message.kind === 'hello') {
      if (session) {
        const current = { ...session, ...(store ? { refreshToken: store.get() } : {}) }
        void channel.publish({ kind: 'session', id: messageId(), event: 'signed-in', session: current, to: message.from })
      }
    } else if (message.kind === 'session') {
      const next = message.session
      if (message.to !== undefined && message.to !== tabId) return
      if (next.issuedAt < signedOutAt || (session && (next.issuedAt < session.issuedAt || next.accessToken === session.accessToken))) return
      adopt(next, message.event, 'other-tab')
      handover.received()
    } else if (message.kind === 'signed-out') {
      if (session && session.issuedAt <= message.at) void signOut(message.reason, 'other-tab')
    }
  })

  const ready = (async () => {
    if (await handover.ask()) return
    if (closed || options.restore === false || !canRefresh()) return
    try {
      if (await renew(null)) await loadUser()
    } catch {
      // Offline or keyturn down: the page starts signed out and can sign in or retry.
    }
  })()

  const sessionFetch = createSessionFetch({
    send,
    allowedOrigins: [new URL(baseUrl).origin, ...(options.tokenOrigins ?? []).map((origin) => new URL(origin).origin)],
    current: () => session,
    canRefresh,
    renew,
    ended: () => signOut('session-ended', 'this-tab'),
  })

  async function signIn(call: () => Promise<SignedIn>): Promise<User> {
    await ready
    const { user, tokens } = await call()
    const next = sessionFrom(tokens, user)
    adopt(next, 'signed-in', 'this-tab')
    await share(next, 'signed-in')
    return user
  }

  async function keyturnCall(path: string, init: RequestInit): Promise<Response> {
    try {
      return await sessionFetch(api.url(path), init)
    } catch (error) {
      throw error instanceof AuthError ? error : networkError(error)
    }
  }

  async function loadUser(): Promise<User> {
    if (!session) throw new AuthError(401, 'not_signed_in', 'Not signed in')
    const response = await keyturnCall('/v1/auth/me', { credentials: 'omit', headers: { accept: 'application/json' } })
    if (!response.ok) throw await errorFrom(response)
    const user = (await response.json()) as User
    if (session) session = { ...session, user }
    return user
  }

  async function me(): Promise<User> {
    await ready
    return loadUser()
  }

  async function logout(scope: LogoutScope = 'session'): Promise<void> {
    await ready
    if (!session) return
    const response = await keyturnCall('/v1/auth/logout', {
      method: 'POST',
      credentials: api.credentials,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ scope }),
    })
    if (scope === 'others') {
      if (!response.ok) throw await errorFrom(response)
      return
    }
    // A 401 means the session had already ended: this tab and the others sign out all the same.
    if (!response.ok && response.status !== 401) throw await errorFrom(response)
    await signOut('logout', 'this-tab')
  }

  return {
    ready: () => ready,
    get accessToken() {
      return session?.accessToken ?? null
    },
    get user() {
      return session?.user ?? null
    },
    get signedIn() {
      return session !== null
    },
    register: (input) => signIn(() => api.register(input)),
    login: (input) => signIn(() => api.login(input)),
    logout,
    me,
    async refresh() {
      await ready
      if (!(await renew(session?.accessToken ?? null))) throw new AuthError(401, 'not_signed_in', 'Not signed in')
    },
    async fetch(input, init) {
      await ready
      return sessionFetch(input, init)
    },
    onChange: (listener) => listeners.add(listener),
    close() {
      closed = true
      timer.close()
      channel.close()
      presence.close()
      listeners.clear()
      handover.received()
    },
  }
}

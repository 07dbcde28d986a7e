import { errorFrom, networkError } from './errors.js'
import type { LoginInput, RefreshMode, RegisterInput, TokenResponse, User } from './types.js'

export interface SignedIn {
  user: User
  tokens: TokenResponse
}

/** keyturn's unauthenticated calls: the ones that hand out tokens. */
export interface KeyturnApi {
  register(input: RegisterInput): Promise<SignedIn>
  login(input: LoginInput): Promise<SignedIn>
  /** Body mode passes the refresh token; cookie mode passes nothing and the cookie goes along. */
  refresh(refreshToken: string | undefined): Promise<TokenResponse>
  url(path: string): string
  /**
   * Cookie mode: `include`, so the browser stores the cookie from a cross-origin
   * answer and sends it back. Body mode: `omit`, so nothing ambient rides along.
   */
  credentials: RequestCredentials
}

export function createKeyturnApi(baseUrl: string, mode: RefreshMode, send: typeof fetch): KeyturnApi {
  const credentials: RequestCredentials = mode === 'cookie' ? 'include' : 'omit'
  const url = (path: string) => `${baseUrl}${path}`

  // Always a JSON body with its content type: never a CORS "simple" request, so
  // in cookie mode the browser's preflight is part of keyturn's CSRF defence.
  async function post<T>(path: string, body: object): Promise<T> {
    let response: Response
    try {
      response = await send(url(path), {
        method: 'POST',
        credentials,
        headers: { 'content-type': 'application/json', accept: 'application/json' },
        body: JSON.stringify(body),
      })
    } catch (error) {
      throw networkError(error)
    }
    if (!response.ok) throw await errorFrom(response)
    return (await response.json()) as T
  }

  return {
    register: (input) => post<SignedIn>('/v1/auth/register', input),
    login: (input) => post<SignedIn>('/v1/auth/login', input),
    async refresh(refreshToken) {
      const body = mode === 'body' && refreshToken !== undefined ? { refresh_token: refreshToken } : {}
      return (await post<{ tokens: TokenResponse }>('/v1/auth/refresh', body)).tokens
    },
    url,
    credentials,
  }
}

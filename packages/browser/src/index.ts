export { createAuthClient } from './client.js'
export { AuthError, type AuthErrorCode, type FieldProblem } from './errors.js'
export type {
  AuthClient,
  AuthClientOptions,
  AuthEvent,
  AuthListener,
  EventSource,
  LoginInput,
  LogoutScope,
  RefreshMode,
  RefreshTokenStorage,
  RegisterInput,
  SignOutReason,
  TokenResponse,
  User,
} from './types.js'

import type { Env } from '../src/config.js'
import { bearer, build, PASSWORD, uniqueName, type BuildOptions, type TestApp, type TestLike } from './helper.js'
import { eventually, smtpSink, type ReceivedMail } from './smtp-sink.js'

/** An app that mails through a real SMTP sink, with links a test can read the token from. */
export async function accountsApp(t: TestLike, env: Env, options: BuildOptions = {}) {
  const smtp = await smtpSink(t)
  const app = await build(t, {
    ...options,
    env: {
      MAIL_TRANSPORT: 'smtp',
      SMTP_URL: smtp.url,
      EMAIL_VERIFY_URL: 'https://app.example/verify#token={token}',
      PASSWORD_RESET_URL: 'https://app.example/reset#token={token}',
      ...env,
    },
  })
  return { app, smtp }
}

export const uniqueEmail = (prefix = 'person') => `${uniqueName(prefix)}@example.com`

export const register = (app: TestApp, payload: object) => app.call({ method: 'POST', url: '/v1/auth/register', payload })
export const loginWith = (app: TestApp, payload: object) => app.call({ method: 'POST', url: '/v1/auth/login', payload })
export const verifyEmail = (app: TestApp, token: string) => app.call({ method: 'POST', url: '/v1/auth/email/verify', payload: { token } })
export const resend = (app: TestApp, email: string) => app.call({ method: 'POST', url: '/v1/auth/email/verify/resend', payload: { email } })
export const askReset = (app: TestApp, email: string) => app.call({ method: 'POST', url: '/v1/auth/password/reset', payload: { email } })
export const patchMe = (app: TestApp, access: string, payload: object) =>
  app.call({ method: 'PATCH', url: '/v1/auth/me', headers: bearer(access), payload })
export const introspect = (app: TestApp, token: string) => app.call({ method: 'POST', url: '/v1/auth/verify', payload: { token } })

/** The token of the newest mail to `to` whose subject matches, once it has arrived. */
export async function linkTo(received: ReceivedMail[], to: string, subject: RegExp, count = 1): Promise<string> {
  const matching = () => received.filter((mail) => mail.to.includes(to) && subject.test(mail.raw))
  await eventually(() => matching().length >= count)
  return decodeURIComponent(/#token=([\w%-]+)/.exec(matching().at(-1)!.raw)![1]!)
}

export const verifyMail = /Subject: Confirm your email address/
export const resetMail = /Subject: Reset your password/
export const noticeMail = /Subject: The email address of your account was changed/

export { PASSWORD }

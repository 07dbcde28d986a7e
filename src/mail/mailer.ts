import nodemailer from 'nodemailer'
import type { FastifyBaseLogger } from 'fastify'
import type { Config } from '../config.js'

export interface MailMessage {
  to: string
  subject: string
  text: string
}

export interface Mailer {
  send(message: MailMessage): Promise<void>
  close(): void
}

export type MailConfig = Config['mail']

/**
 * MAIL_TRANSPORT=log writes each message, links included, to the log at info
 * level, as Django's console backend does: for development, where no mail
 * server is at hand. MAIL_TRANSPORT=smtp sends it through SMTP_URL.
 */
export function createMailer(config: MailConfig, log: FastifyBaseLogger): Mailer {
  if (config.transport === 'log') {
    return {
      async send(message) {
        log.info({ mail: { from: config.from, ...message } }, 'mail (MAIL_TRANSPORT=log: not sent)')
      },
      close() {},
    }
  }
  const transport = nodemailer.createTransport(config.smtpUrl)
  return {
    async send(message) {
      await transport.sendMail({ from: config.from, ...message })
    },
    close: () => transport.close(),
  }
}

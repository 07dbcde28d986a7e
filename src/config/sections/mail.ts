import { oneOf, text, url } from '../parsers.js'
import { optional, variable } from '../variable.js'

export const mailVariables = {
  mail: {
    transport: variable('MAIL_TRANSPORT', oneOf(['log', 'smtp']), {
      default: 'log',
      doc: '`log`: mails go to the log at info level (links included), as Django\'s console backend; `smtp`: sent through `SMTP_URL`. Production refuses to fall back on `log`: set it',
      productionScope: 'mailing',
      production: (_transport, set) =>
        set ? undefined : 'must be set when NODE_ENV=production: smtp (with SMTP_URL), or log to write mails, links included, to the log',
    }),
    smtpUrl: optional('SMTP_URL', url(['smtp:', 'smtps:']), {
      doc: 'e.g. `smtps://user:pass@smtp.example.com:465`; required with `MAIL_TRANSPORT=smtp`',
    }),
    from: variable('MAIL_FROM', text, { default: 'keyturn <no-reply@localhost>', doc: 'the sender of keyturn\'s mails' }),
  },
}

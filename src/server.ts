import { buildApp } from './app.js'
import { ConfigError, loadConfig } from './config.js'
import { configuredKeys } from './config/sections/keys.js'
import { MIN_SECRET_BYTES } from './config/sections/tokens.js'
import { createDb } from './db/create-db.js'
import { explainDatabaseError, schemaProblem } from './db/diagnose.js'
import { databaseOptions } from './db/options.js'
import { migrateToLatest } from './db/migrate.js'
import { assertCanListen } from './http/port-check.js'
import { createLogger } from './logger.js'

async function main(): Promise<void> {
  let config
  try {
    config = loadConfig(process.env, { signs: true })
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error
    console.error(error.message)
    process.exit(1)
  }
  const log = createLogger(config.logLevel)
  if (config.jwt.secret === undefined && configuredKeys(config).length === 0) {
    log.warn(
      '!!! Neither JWT_KEYS nor JWT_SECRET is set: signing with a random key that dies with this process. ' +
        'Every token is void after a restart and other instances cannot verify them. ' +
        'Set JWT_KEYS (keyturn keys generate) or JWT_SECRET (32+ random bytes) for anything but a try-out. !!!',
    )
  }
  if (config.jwt.secret !== undefined && Buffer.byteLength(config.jwt.secret) < MIN_SECRET_BYTES) {
    log.warn(`JWT_SECRET is shorter than ${MIN_SECRET_BYTES} bytes: production refuses it; use ${MIN_SECRET_BYTES} or more random bytes`)
  }
  if (config.production && config.mail.transport === 'log') {
    log.warn('MAIL_TRANSPORT=log writes password reset links to the log; set MAIL_TRANSPORT=smtp and SMTP_URL')
  }
  await assertCanListen(config.http.host, config.http.port)
  if (!config.database.url) log.info({ dataDir: config.database.dataDir }, 'using the embedded database')

  const db = await createDb(
    databaseOptions(config, {
      onPoolError: (error) => log.warn({ err: { message: error.message } }, 'idle database connection lost'),
    }),
  )
  try {
    if (config.database.migrateOnStart) {
      const ran = await migrateToLatest(db)
      if (ran.length > 0) log.info({ migrations: ran }, 'migrated')
    } else {
      const problem = await schemaProblem(db)
      if (problem) throw new Error(problem)
    }
  } catch (error) {
    await db.destroy()
    throw new Error(explainDatabaseError(error, config.database.url) ?? (error as Error).message, { cause: error })
  }
  const app = await buildApp({ config, db, logger: log })

  let closing = false
  const shutdown = async (signal: string) => {
    if (closing) return
    closing = true
    log.info({ signal }, 'shutting down: draining requests')
    const force = setTimeout(() => {
      log.error('requests did not drain in time; exiting')
      process.exit(1)
    }, config.http.shutdownGraceMs).unref()
    await app.close()
    await db.destroy()
    clearTimeout(force)
    log.info('stopped')
    // Everything of ours is closed (the pino destination writes synchronously).
    // Without an explicit exit, Node waits for V8 to finish compiling the
    // embedded database's WebAssembly in the background: up to seconds on a
    // busy machine, in which the process looks as if it were hanging.
    process.exit(0)
  }
  process.once('SIGTERM', () => void shutdown('SIGTERM'))
  process.once('SIGINT', () => void shutdown('SIGINT'))

  await app.listen({ host: config.http.host, port: config.http.port })
}

main().catch((error: unknown) => {
  console.error('keyturn could not start:', error instanceof Error ? error.message : error)
  process.exit(1)
})

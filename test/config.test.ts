import { readdir, readFile } from 'node:fs/promises'
import path from 'node:path'
import t, { type Test } from 'tap'
import { ConfigError, loadConfig, type Env } from '../src/config.js'
import { withConfigurationTable } from '../src/config/readme-table.js'
import { configTable } from '../src/config/table.js'
import { allVariables } from '../src/config/variable.js'
import { signingSecret } from '../src/tokens/signing-secret.js'

/** loadConfig must refuse env: a ConfigError whose message names every variable listed. */
function refuses(t: Test, env: Env, ...variables: string[]): ConfigError | undefined {
  try {
    loadConfig(env)
  } catch (error) {
    t.type(error, ConfigError, `${JSON.stringify(env)} throws a ConfigError`)
    if (!(error instanceof ConfigError)) return undefined
    for (const variable of variables) {
      t.match(error.message, variable, `the message names ${variable}`)
      t.ok(
        error.problems.some((problem) => problem.includes(variable)),
        `one problem names ${variable}`,
      )
    }
    return error
  }
  t.fail(`${JSON.stringify(env)} was accepted`)
  return undefined
}

function refusesSigning(t: Test, env: Env): ConfigError | undefined {
  try {
    loadConfig(env, { signs: true })
  } catch (error) {
    t.type(error, ConfigError)
    return error as ConfigError
  }
  t.fail('a signing process was allowed to start without a key')
  return undefined
}

const MINUTE = 60_000
const HOUR = 60 * MINUTE
const DAY = 24 * HOUR

t.test('defaults', async (t) => {
  const config = loadConfig({})
  t.equal(config.production, false)
  t.equal(config.jwt.accessTokenTtlMs, 15 * MINUTE, 'ACCESS_TOKEN_TTL 15 minutes')
  t.equal(config.refresh.tokenTtlMs, 7 * DAY, 'REFRESH_TOKEN_TTL 7 days')
  t.equal(config.refresh.sessionMaxAgeMs, 30 * DAY, 'SESSION_MAX_AGE 30 days')
  t.equal(config.refresh.reuseIntervalMs, 10_000, 'REFRESH_REUSE_INTERVAL 10 s')
  t.equal(config.refresh.enabled, true)
  t.equal(config.browser.refreshCookie, false)
  t.same(config.jwt.authHeaderTypes, ['Bearer'], 'AUTH_HEADER_TYPES Bearer')
  t.same(config.argon2, { memoryCost: 19_456, timeCost: 2, parallelism: 1 }, 'argon2id at the OWASP minimum')
  t.equal(config.jwt.issuer, 'keyturn')
  t.equal(config.jwt.audience, 'keyturn')
  t.equal(config.jwt.leewayMs, 0)
  t.equal(config.logLevel, 'info')
  t.equal(config.http.port, 3000)
  t.equal(config.http.trustProxy, false)
  t.equal(config.rateLimit.enabled, true)
  t.same(config.rateLimit.overrides, {})
  t.equal(config.rateLimit.redisUrl, undefined)
  t.equal(config.database.url, undefined, 'no DATABASE_URL: the embedded database')
  t.equal(config.database.migrateOnStart, true, 'the embedded database migrates on start')
  t.equal(config.database.dataDir, path.resolve('./data'), 'DATA_DIR ./data, resolved')
  t.ok(path.isAbsolute(config.database.dataDir))
})

t.test('MIGRATE_ON_START defaults to true exactly when DATABASE_URL is unset', async (t) => {
  const url = 'postgres://keyturn@db.example:5432/keyturn'
  t.equal(loadConfig({}).database.migrateOnStart, true)
  t.equal(loadConfig({ DATABASE_URL: '' }).database.migrateOnStart, true, 'an empty DATABASE_URL is unset')
  t.equal(loadConfig({ DATABASE_URL: url }).database.migrateOnStart, false, 'a server is migrated on purpose')
  t.equal(loadConfig({ DATABASE_URL: url }).database.url, url)
  t.equal(loadConfig({ DATABASE_URL: url, MIGRATE_ON_START: 'true' }).database.migrateOnStart, true)
  t.equal(loadConfig({ MIGRATE_ON_START: 'false' }).database.migrateOnStart, false)
  refuses(t, { MIGRATE_ON_START: 'sometimes' }, 'MIGRATE_ON_START')
})

t.test('DATA_DIR is resolved to an absolute path', async (t) => {
  t.equal(loadConfig({ DATA_DIR: 'var/keyturn' }).database.dataDir, path.resolve('var/keyturn'))
  t.equal(loadConfig({ DATA_DIR: '/srv/keyturn' }).database.dataDir, '/srv/keyturn')
})

t.test('durations: seconds, ms, s, m, h and d', async (t) => {
  const reuse = (raw: string) => loadConfig({ PASSWORD_RESET_TTL: raw }).passwordReset.ttlMs
  t.equal(reuse('900'), 900_000, 'a bare number is seconds, as JWT_EXPIRATION_DELTA was')
  t.equal(reuse('15m'), 15 * MINUTE)
  t.equal(reuse('7d'), 7 * DAY)
  t.equal(loadConfig({ REFRESH_REUSE_INTERVAL: '500ms' }).refresh.reuseIntervalMs, 500)
  t.equal(reuse('1h'), HOUR)
  t.equal(reuse('3600'), HOUR)
  t.equal(loadConfig({ REFRESH_REUSE_INTERVAL: '0' }).refresh.reuseIntervalMs, 0, 'no grace interval at all')

  const config = loadConfig({
    ACCESS_TOKEN_TTL: '900',
    REFRESH_TOKEN_TTL: '1h',
    SESSION_MAX_AGE: '7d',
    JWT_LEEWAY: '500ms',
    SHUTDOWN_GRACE: '15m',
  })
  t.equal(config.jwt.accessTokenTtlMs, 15 * MINUTE)
  t.equal(config.refresh.tokenTtlMs, HOUR)
  t.equal(config.refresh.sessionMaxAgeMs, 7 * DAY)
  t.equal(config.jwt.leewayMs, 500)
  t.equal(config.http.shutdownGraceMs, 15 * MINUTE)
})

t.test('durations that are not durations are refused, naming the variable', async (t) => {
  for (const raw of ['-5', '1.5h', '15 minutes', 'abc', '15 m', 'm', '1w']) {
    for (const variable of ['ACCESS_TOKEN_TTL', 'REFRESH_TOKEN_TTL', 'SESSION_MAX_AGE', 'REFRESH_REUSE_INTERVAL', 'JWT_LEEWAY']) {
      refuses(t, { [variable]: raw }, variable)
    }
  }
})

t.test('token lifetimes under a second are refused', async (t) => {
  refuses(t, { ACCESS_TOKEN_TTL: '500ms' }, 'ACCESS_TOKEN_TTL')
  refuses(t, { ACCESS_TOKEN_TTL: '0' }, 'ACCESS_TOKEN_TTL')
  refuses(t, { REFRESH_TOKEN_TTL: '999ms' }, 'REFRESH_TOKEN_TTL')
  refuses(t, { SESSION_MAX_AGE: '0' }, 'SESSION_MAX_AGE')
  t.equal(loadConfig({ ACCESS_TOKEN_TTL: '1000ms' }).jwt.accessTokenTtlMs, 1000, 'one second is enough')
})

t.test('every bad value is a ConfigError naming its variable', async (t) => {
  const bad: Env = {
    ACCESS_TOKEN_TTL: 'soon',
    REFRESH_TOKEN_TTL: 'a week',
    SESSION_MAX_AGE: '-1d',
    REFRESH_REUSE_INTERVAL: '10 seconds',
    JWT_LEEWAY: '1.5s',
    SHUTDOWN_GRACE: 'forever',
    DENYLIST_SYNC_INTERVAL: 'fast',
    PRUNE_INTERVAL: 'hourly',
    PORT: 'http',
    DATABASE_POOL_MAX: '0',
    ARGON2_MEMORY_COST: '4',
    ARGON2_TIME_COST: '0',
    ARGON2_PARALLELISM: 'many',
    REFRESH_ENABLED: 'maybe',
    REFRESH_COOKIE: 'cookie',
    MIGRATE_ON_START: 'later',
    RATE_LIMIT_ENABLED: 'please',
    RATE_LIMIT_LOGIN_IP: 'ten',
    LOG_LEVEL: 'loud',
    TRUST_PROXY: 'everyone',
    DATABASE_URL: 'mysql://db.example/keyturn',
    REDIS_URL: 'http://cache.example',
    AUTH_HEADER_TYPES: 'Bearer,"JWT"',
  }
  for (const [variable, value] of Object.entries(bad)) {
    const error = refuses(t, { [variable]: value }, variable)
    t.equal(error?.problems.length, 1, `${variable}=${value} is one problem`)
  }
  refuses(t, { PORT: '65536' }, 'PORT')
  refuses(t, { ARGON2_MEMORY_COST: '4194305' }, 'ARGON2_MEMORY_COST')
  refuses(t, { ARGON2_TIME_COST: '101' }, 'ARGON2_TIME_COST')
  refuses(t, { ARGON2_MEMORY_COST: '64', ARGON2_PARALLELISM: '16' }, 'ARGON2_MEMORY_COST', 'ARGON2_PARALLELISM')
  refuses(t, { AUTH_HEADER_TYPES: ' , ' }, 'AUTH_HEADER_TYPES')
})

t.test('several bad variables are reported at once', async (t) => {
  const error = refuses(
    t,
    { ACCESS_TOKEN_TTL: 'soon', PORT: 'eighty', LOG_LEVEL: 'chatty', REDIS_URL: 'memcached://x', NODE_ENV: 'production' },
    'ACCESS_TOKEN_TTL',
    'PORT',
    'LOG_LEVEL',
    'REDIS_URL',
    'MAIL_TRANSPORT',
    'PASSWORD_RESET_URL',
  )
  t.equal(error?.problems.length, 6, 'one problem per variable, all in one error')
})

/** What production needs besides the signing key, for tests about something else. */
const productionEnv: Env = {
  NODE_ENV: 'production',
  MAIL_TRANSPORT: 'smtp',
  SMTP_URL: 'smtp://mail.example:587',
  PASSWORD_RESET_URL: 'https://app.example/reset#token={token}',
}

t.test('production refuses a JWT_SECRET shorter than 32 bytes', async (t) => {
  refuses(t, { ...productionEnv, JWT_SECRET: 'x'.repeat(31) }, 'JWT_SECRET')
  refuses(t, { ...productionEnv, JWT_SECRET: 'changeme' }, 'JWT_SECRET')

  const secret = 'k'.repeat(32)
  const config = loadConfig({ ...productionEnv, JWT_SECRET: secret })
  t.equal(config.production, true)
  t.equal(config.jwt.secret, secret)

  const multiByte = '€'.repeat(11) // 11 characters, 33 bytes
  t.equal(loadConfig({ ...productionEnv, JWT_SECRET: multiByte }).jwt.secret, multiByte, 'bytes count, not characters')
})

t.test('a missing key is refused where tokens are signed, not by every command', async (t) => {
  const config = loadConfig(productionEnv)
  t.equal(config.jwt.secret, undefined, 'a command that signs nothing (migrate, import) needs no key')
  const error = refusesSigning(t, productionEnv)
  t.match(error?.message ?? '', /JWT_SECRET is required when NODE_ENV=production/)
  t.doesNotThrow(() => loadConfig({ ...productionEnv, JWT_SECRET: 'k'.repeat(32) }, { signs: true }))
  t.doesNotThrow(() => loadConfig({}, { signs: true }), 'development signs with a random key')
})

t.test('development without JWT_SECRET signs with a random, per-process key', async (t) => {
  for (const env of [{}, { NODE_ENV: 'development' }, { NODE_ENV: 'test', JWT_SECRET: '' }] as Env[]) {
    const config = loadConfig(env)
    t.equal(config.production, false)
    const first = signingSecret(config)
    const second = signingSecret(config)
    t.equal(first.ephemeral, true, `${JSON.stringify(env)}: ephemeral`)
    t.ok(Buffer.byteLength(first.secret) >= 32, 'as long as production requires')
    t.not(first.secret, second.secret, 'a new key on every start')
  }
  const given = signingSecret(loadConfig({ JWT_SECRET: 'short but given' }))
  t.same(given, { secret: 'short but given', ephemeral: false }, 'development takes a short secret as it is')
})

t.test('production asks for a mail transport by name and an https reset link', async (t) => {
  const secret = { JWT_SECRET: 'k'.repeat(32) }
  refuses(t, { ...productionEnv, ...secret, MAIL_TRANSPORT: undefined }, 'MAIL_TRANSPORT')
  t.equal(loadConfig({ ...productionEnv, ...secret, MAIL_TRANSPORT: 'log' }).mail.transport, 'log', 'log, when chosen, is allowed')
  t.equal(loadConfig({}).mail.transport, 'log', 'development defaults to log')
  const http = refuses(t, { ...productionEnv, ...secret, PASSWORD_RESET_URL: 'http://app.example/reset?token={token}' }, 'PASSWORD_RESET_URL')
  t.match(http?.message ?? '', /https/)
  refuses(t, { ...productionEnv, ...secret, PASSWORD_RESET_URL: undefined }, 'PASSWORD_RESET_URL')
  t.equal(
    loadConfig({ PUBLIC_URL: 'https://auth.example.com/' }).passwordReset.urlTemplate,
    'https://auth.example.com/reset-password?token={token}',
    'the default link follows PUBLIC_URL',
  )
  t.equal(loadConfig({ PASSWORD_RESET_URL: 'https://app.example/reset#token={token}' }).passwordReset.urlTemplate, 'https://app.example/reset#token={token}', 'the fragment form')
  refuses(t, { PASSWORD_RESET_URL: 'https://app.example/reset' }, 'PASSWORD_RESET_URL')
  refuses(t, { PASSWORD_RESET_URL: 'ftp://app.example/{token}' }, 'PASSWORD_RESET_URL')
})

t.test('grace and leeway have upper bounds', async (t) => {
  t.equal(loadConfig({ REFRESH_REUSE_INTERVAL: '60s' }).refresh.reuseIntervalMs, 60_000)
  refuses(t, { REFRESH_REUSE_INTERVAL: '61s' }, 'REFRESH_REUSE_INTERVAL')
  t.equal(loadConfig({ JWT_LEEWAY: '5m' }).jwt.leewayMs, 300_000)
  refuses(t, { JWT_LEEWAY: '301' }, 'JWT_LEEWAY')
})

t.test('PUBLIC_URL', async (t) => {
  t.equal(loadConfig({ PUBLIC_URL: 'https://auth.example.com/' }).http.publicUrl, 'https://auth.example.com')
  t.equal(loadConfig({ PUBLIC_URL: 'https://example.com/auth' }).http.publicUrl, 'https://example.com/auth', 'a path prefix is kept')
  t.equal(loadConfig({}).http.publicUrl, undefined)
  for (const raw of ['auth.example.com', 'ftp://auth.example.com', 'https://auth.example.com/?x=1', 'https://a.example/#top']) {
    refuses(t, { PUBLIC_URL: raw }, 'PUBLIC_URL')
  }
})

t.test('RATE_LIMIT_<BUCKET>_<KEY>', async (t) => {
  const config = loadConfig({ RATE_LIMIT_LOGIN_USERNAME: '10/1m', RATE_LIMIT_REGISTER_IP: '5/1h' })
  t.same(config.rateLimit.overrides, {
    RATE_LIMIT_LOGIN_USERNAME: { max: 10, windowMs: MINUTE },
    RATE_LIMIT_REGISTER_IP: { max: 5, windowMs: HOUR },
  })
  t.same(loadConfig({ RATE_LIMIT_LOGIN_IP: '3/30' }).rateLimit.overrides, { RATE_LIMIT_LOGIN_IP: { max: 3, windowMs: 30_000 } })
  t.equal(loadConfig({ RATE_LIMIT_ENABLED: 'false' }).rateLimit.enabled, false, 'RATE_LIMIT_ENABLED is not a bucket')
  t.same(loadConfig({ RATE_LIMIT_ENABLED: 'false' }).rateLimit.overrides, {})
  for (const raw of ['10', 'x/1m', '0/1m', '10/soon', '10/1m/1h', '-1/1m', '1.5/1m', '/1m']) {
    refuses(t, { RATE_LIMIT_LOGIN_USERNAME: raw }, 'RATE_LIMIT_LOGIN_USERNAME')
  }
})

t.test('a rate-limit window of zero is refused', async (t) => {
  refuses(t, { RATE_LIMIT_LOGIN_IP: '10/0' }, 'RATE_LIMIT_LOGIN_IP')
  refuses(t, { RATE_LIMIT_LOGIN_IP: '10/0s' }, 'RATE_LIMIT_LOGIN_IP')
})

t.test('TRUST_PROXY: proxy addresses or a hop count; true only on loopback in development', async (t) => {
  t.equal(loadConfig({ TRUST_PROXY: 'false' }).http.trustProxy, false)
  t.same(loadConfig({ TRUST_PROXY: '10.0.0.0/8, 127.0.0.1' }).http.trustProxy, ['10.0.0.0/8', '127.0.0.1'])
  t.same(loadConfig({ TRUST_PROXY: '192.168.1.1' }).http.trustProxy, ['192.168.1.1'])
  t.same(loadConfig({ TRUST_PROXY: 'fd00::/8,::1' }).http.trustProxy, ['fd00::/8', '::1'])
  t.equal(loadConfig({ TRUST_PROXY: '1' }).http.trustProxy, 1, 'a hop count')
  t.equal(loadConfig({ TRUST_PROXY: '2' }).http.trustProxy, 2)
  t.equal(loadConfig({ TRUST_PROXY: 'true' }).http.trustProxy, true, 'development on loopback may trust everything')
  t.equal(loadConfig({ TRUST_PROXY: 'TRUE' }).http.trustProxy, true)
  for (const env of [
    { TRUST_PROXY: 'true', HOST: '0.0.0.0' },
    { TRUST_PROXY: 'true', HOST: '::' },
    { TRUST_PROXY: 'true', ...productionEnv, JWT_SECRET: 'k'.repeat(32) },
  ] as Env[]) {
    const error = refuses(t, env, 'TRUST_PROXY')
    t.match(error?.message ?? '', /TRUST_PROXY=10\.0\.0\.0\/8.*TRUST_PROXY=1/, 'says what to set instead')
  }
  for (const raw of ['0', '11', 'proxy.example', '10.0.0.0/33', '10.0.0.0/8/1', 'yes']) refuses(t, { TRUST_PROXY: raw }, 'TRUST_PROXY')
})

t.test('DATABASE_URL must be a Postgres URL', async (t) => {
  for (const url of ['postgres://u@127.0.0.1:5432/db', 'postgresql://u:p@db.example/keyturn?sslmode=require']) {
    t.equal(loadConfig({ DATABASE_URL: url }).database.url, url)
  }
  for (const url of ['mysql://u@db/x', 'http://db.example', 'not a url', 'db.example:5432', 'sqlite:///tmp/x.db']) {
    refuses(t, { DATABASE_URL: url }, 'DATABASE_URL')
  }
})

t.test('REDIS_URL must be a Redis URL', async (t) => {
  for (const url of ['redis://127.0.0.1:6379', 'rediss://user:pass@cache.example:6380/0']) {
    t.equal(loadConfig({ REDIS_URL: url }).rateLimit.redisUrl, url)
  }
  for (const url of ['http://cache.example', 'memcached://x', 'localhost:6379', 'redis']) {
    refuses(t, { REDIS_URL: url }, 'REDIS_URL')
  }
})

t.test('LOG_LEVEL is one of pino levels', async (t) => {
  for (const level of ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']) {
    t.equal(loadConfig({ LOG_LEVEL: level }).logLevel, level)
  }
  for (const level of ['verbose', 'warning', 'loud', '30']) {
    refuses(t, { LOG_LEVEL: level }, 'LOG_LEVEL')
  }
})

t.test('AUTH_HEADER_TYPES takes a list', async (t) => {
  t.same(loadConfig({ AUTH_HEADER_TYPES: 'Bearer,JWT' }).jwt.authHeaderTypes, ['Bearer', 'JWT'])
  t.same(loadConfig({ AUTH_HEADER_TYPES: 'JWT' }).jwt.authHeaderTypes, ['JWT'])
  t.same(loadConfig({ AUTH_HEADER_TYPES: ' Bearer , JWT ' }).jwt.authHeaderTypes, ['Bearer', 'JWT'])
})

t.test('durations that drive timers fit a Node timer', async (t) => {
  // setTimeout/setInterval turn anything above 2^31-1 ms (~24.8 days) into 1 ms:
  // such a value must be refused, not silently become "immediately".
  const maxTimer = 2 ** 31 - 1
  for (const variable of ['SHUTDOWN_GRACE', 'PRUNE_INTERVAL', 'DENYLIST_SYNC_INTERVAL']) {
    let value: number | undefined
    try {
      const config = loadConfig({ [variable]: '30d' })
      value = { SHUTDOWN_GRACE: config.http.shutdownGraceMs, PRUNE_INTERVAL: config.pruneIntervalMs, DENYLIST_SYNC_INTERVAL: config.denylistSyncIntervalMs }[variable]
    } catch (error) {
      t.type(error, ConfigError)
      t.match((error as Error).message, variable, `${variable}=30d is refused by name`)
      continue
    }
    t.ok(value !== undefined && value <= maxTimer, `${variable}=30d is accepted only as a value a timer can hold (got ${value})`)
  }
})

t.test('the returned config is deeply frozen', async (t) => {
  const config = loadConfig({ RATE_LIMIT_LOGIN_IP: '10/1m', TRUST_PROXY: '10.0.0.1,10.0.0.2', AUTH_HEADER_TYPES: 'Bearer,JWT' })
  const objects: [string, unknown][] = [
    ['config', config],
    ['http', config.http],
    ['http.trustProxy', config.http.trustProxy],
    ['database', config.database],
    ['jwt', config.jwt],
    ['jwt.authHeaderTypes', config.jwt.authHeaderTypes],
    ['refresh', config.refresh],
    ['argon2', config.argon2],
    ['rateLimit', config.rateLimit],
    ['rateLimit.overrides', config.rateLimit.overrides],
    ['rateLimit.overrides.RATE_LIMIT_LOGIN_IP', config.rateLimit.overrides.RATE_LIMIT_LOGIN_IP],
  ]
  for (const [name, value] of objects) t.ok(Object.isFrozen(value), `${name} is frozen`)

  t.throws(() => {
    ;(config.jwt as { secret: string }).secret = 'stolen'
  }, TypeError)
  t.throws(() => {
    ;(config.jwt.authHeaderTypes as string[]).push('Token')
  }, TypeError)
  t.throws(() => {
    ;(config.rateLimit.overrides.RATE_LIMIT_LOGIN_IP as { max: number }).max = 1e9
  }, TypeError)
  t.same(config.jwt.authHeaderTypes, ['Bearer', 'JWT'], 'unchanged')
  t.equal(config.rateLimit.overrides.RATE_LIMIT_LOGIN_IP?.max, 10, 'unchanged')
})

t.test('loadConfig reads only the env it is given', async (t) => {
  const config = loadConfig({ PORT: '4000', JWT_SECRET: 's'.repeat(40) })
  t.equal(config.http.port, 4000)
  t.equal(config.jwt.secret, 's'.repeat(40))
  t.equal(config.http.host, '127.0.0.1', 'HOST defaults to loopback')
  t.equal(loadConfig({ HOST: '0.0.0.0' }).http.host, '0.0.0.0')
})

t.test("the README's configuration table is the one src/config declares", async (t) => {
  const readme = await readFile(path.resolve(import.meta.dirname, '..', 'README.md'), 'utf8')
  t.equal(withConfigurationTable(readme), readme, 'README.md is up to date (npm run docs:config rewrites it)')
})

t.test('every variable the source reads is declared in the table', async (t) => {
  const declared = new Set(allVariables(configTable).map((variable) => variable.env))
  const root = path.resolve(import.meta.dirname, '..', 'src')
  const files = (await readdir(root, { recursive: true })).filter((file) => file.endsWith('.ts'))
  for (const file of files) {
    const source = await readFile(path.join(root, file), 'utf8')
    for (const [, name] of source.matchAll(/process\.env\.([A-Z0-9_]+)|env\.([A-Z0-9_]+)/g)) {
      if (name && name !== 'NODE_ENV') t.ok(declared.has(name), `${file} reads ${name}, which the table declares`)
    }
  }
  t.ok(declared.size > 40, 'found the declarations')
})

t.test('production wants an https EMAIL_VERIFY_URL only when verification mails links', async (t) => {
  const env = { ...productionEnv, JWT_SECRET: 'k'.repeat(32) }
  t.equal(loadConfig(env).accounts.emailVerification, 'none', 'off: the default link (PUBLIC_URL, http) is never mailed')
  refuses(t, { ...env, EMAIL_VERIFICATION: 'optional' }, 'EMAIL_VERIFY_URL')
  refuses(t, { ...env, EMAIL_VERIFICATION: 'mandatory', EMAIL_VERIFY_URL: 'http://app.example/verify#token={token}' }, 'EMAIL_VERIFY_URL')
  const on = loadConfig({ ...env, EMAIL_VERIFICATION: 'mandatory', EMAIL_VERIFY_URL: 'https://app.example/verify#token={token}' })
  t.equal(on.accounts.emailVerification, 'mandatory')
})

import fastifyCookie from '@fastify/cookie'
import fastifyRateLimit from '@fastify/rate-limit'
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify'
import { Redis } from 'ioredis'
import { systemClock, type Clock } from './clock.js'
import type { Config } from './config.js'
import { createPasswordHasher, type PasswordHasher } from './crypto/passwords.js'
import type { Db } from './db/create-db.js'
import { findUserIdByLoginName } from './db/login-names.js'
import { poolStatsOf } from './db/pool-stats.js'
import { adminTokenCredential } from './http/admin-authenticate.js'
import { createAuthenticate } from './http/authenticate.js'
import { cookieCredential } from './http/cookie-authenticate.js'
import { registerCors } from './http/cors.js'
import { createCsrfCheck } from './http/csrf.js'
import { createFeedAuthenticate } from './http/feed-authenticate.js'
import { introspectionCredential } from './http/introspection-authenticate.js'
import { configureBodyParsing } from './http/body-parsing.js'
import { createHandlers } from './http/handlers/index.js'
import { listenForMetrics, metricsCredential, registerRequestMetrics } from './http/metrics.js'
import { registerProblemHandlers, sendProblem, toProblem } from './http/problems.js'
import { assertKnownOverrides } from './http/rate-limits.js'
import { createRefreshCookie } from './http/refresh-cookie.js'
import { registerSecurityHeaders } from './http/security-headers.js'
import { guardUndocumentedRoutes, registerOperations } from './http/routes.js'
import { headerCredential } from './http/security.js'
import { servedSpec } from './http/served-spec.js'
import { loadSpec } from './http/spec.js'
import { createValidatorCompiler } from './http/validation.js'
import { createLogger } from './logger.js'
import { createMailer } from './mail/mailer.js'
import { AuditWriter } from './services/audit-writer.js'
import { BackgroundTasks } from './services/background.js'
import { clientOf } from './http/handlers/context.js'
import { Metrics } from './services/metrics.js'
import { createEmitter } from './services/security-events.js'
import type { ServiceDeps } from './services/deps.js'
import { prune } from './services/prune.js'
import { loadKeyRing } from './services/signing-keys.js'
import { UserCache } from './services/user-cache.js'
import { createAccessTokens } from './tokens/access-token.js'
import { Denylist } from './tokens/denylist.js'
import { createSuccessorSeal } from './tokens/successor-seal.js'

export interface AppOptions {
  config: Config
  /** Migrated, and owned by the caller: closing the app does not close it. */
  db: Db
  clock?: Clock
  logger?: FastifyBaseLogger
  /** The password hasher; by default argon2id with the configured parameters (tests watch it). */
  passwords?: PasswordHasher
}

const BODY_LIMIT = 32 * 1024

export async function buildApp({ config, db, clock = systemClock, logger, passwords }: AppOptions): Promise<FastifyInstance> {
  // The spec as this configuration serves it: routes, validation and /openapi.yaml all come from it.
  const spec = servedSpec(loadSpec(), config)
  assertKnownOverrides(spec.operations, config)

  const app = Fastify({
    loggerInstance: logger ?? createLogger(config.logLevel),
    trustProxy: trustProxyOption(config.http.trustProxy),
    bodyLimit: BODY_LIMIT,
    // Errors raised before routing (an undecodable URL) are problem+json too.
    frameworkErrors: (error, _request, reply) => void sendProblem(reply, toProblem(error)),
  })
  // A logger per request carries its id, at a cost on every request. Below
  // info nothing is logged per request but errors, which name the request
  // themselves (problems.ts): then the shared logger does.
  if (!['info', 'debug', 'trace'].includes(app.log.level)) app.setChildLoggerFactory((logger) => logger)
  guardUndocumentedRoutes(app, spec.operations)
  configureBodyParsing(app)
  app.setValidatorCompiler(createValidatorCompiler())
  registerProblemHandlers(app)
  app.decorateRequest('auth', null)
  app.decorateRequest('cookieSession', null)
  app.decorateRequest('adminToken', false)
  registerSecurityHeaders(app, {
    publicUrl: config.http.publicUrl,
    servers: ((spec.document.servers ?? []) as { url: string }[]).map((server) => server.url),
  })

  const redis = config.rateLimit.redisUrl
    ? new Redis(config.rateLimit.redisUrl, { connectTimeout: 500, maxRetriesPerRequest: 1, lazyConnect: true })
    : undefined
  await app.register(fastifyRateLimit, {
    global: false,
    // A rate-limit store outage must not lock everyone out.
    skipOnError: true,
    ...(redis ? { redis, nameSpace: 'keyturn:rate-limit:' } : {}),
  })
  await registerCors(app, config)
  if (config.browser.refreshCookie) await app.register(fastifyCookie)
  const refreshCookie = createRefreshCookie(config)

  // Before anything that runs timers: a key the database refuses stops the start here.
  const keys = await loadKeyRing({ db, config, clock, log: app.log })
  const denylist = new Denylist(db, clock, {
    syncIntervalMs: config.denylistSyncIntervalMs,
    onSyncError: (error) => app.log.warn({ err: error }, 'denylist sync failed'),
    onListenError: (error) => app.log.warn({ err: error }, 'listening for revocations failed; polling every DENYLIST_SYNC_INTERVAL meanwhile'),
  })
  await denylist.start()
  const { audit, metrics, emit } = observe(app, { config, db, clock, denylist })
  const hasher = passwords ?? createPasswordHasher(config.argon2)
  const deps: ServiceDeps = {
    db,
    config,
    clock,
    passwords: metrics ? metrics.timed(hasher) : hasher,
    accessTokens: createAccessTokens({ config, clock, keys }),
    keys,
    denylist,
    users: new UserCache(config.userCacheTtlMs, clock),
    successorSeal: createSuccessorSeal({ current: () => keys.sealKeyAt(clock.now()), all: keys.sealKeys }),
    mailer: createMailer(config.mail, app.log),
    background: new BackgroundTasks((error, task) => app.log.error({ err: error }, `${task} failed`)),
    emit,
    flushAudit: () => audit?.flush() ?? Promise.resolve(),
  }
  registerOperations(app, spec.operations, createHandlers({ deps, specText: spec.text, refreshCookie, metrics }), {
    config,
    security: {
      bearerAuth: headerCredential(createAuthenticate({ ...deps, headerTypes: config.jwt.authHeaderTypes })),
      refreshCookie: cookieCredential(deps, refreshCookie),
      introspectionToken: introspectionCredential(config.introspection.tokens),
      revocationFeed: headerCredential(createFeedAuthenticate(config.revocationFeed.tokens)),
      adminToken: adminTokenCredential(config.admin.tokens),
      metricsToken: metricsCredential(config.metrics.token, config.metrics.port),
    },
    onLimited: (request, operation) => {
      if (operation.operationId === 'login') emit({ type: 'login_failed', reason: 'rate_limited', client: clientOf(request) })
    },
    ...(refreshCookie.enabled ? { csrf: createCsrfCheck(config, refreshCookie) } : {}),
    accountIdOf: (name) => findUserIdByLoginName(db, name),
  })

  const pruneTimer =
    config.pruneIntervalMs > 0
      ? setInterval(() => {
          prune(db, new Date(clock.now()), config).then(
            (counts) => app.log.info({ counts }, 'pruned expired rows'),
            (error) => app.log.warn({ err: error }, 'prune failed'),
          )
        }, config.pruneIntervalMs).unref()
      : undefined
  const metricsServer =
    metrics && config.metrics.port !== undefined
      ? await listenForMetrics(metrics, { host: config.http.host, port: config.metrics.port, token: config.metrics.token })
      : undefined
  drainOnClose(app, denylist)
  app.addHook('onClose', async () => {
    await deps.background.settled()
    // After the mails: their events are written too.
    await audit?.close()
    metricsServer?.closeAllConnections()
    await new Promise((resolve) => (metricsServer ? metricsServer.close(resolve) : resolve(undefined)))
    deps.mailer.close()
    await denylist.stop()
    clearInterval(pruneTimer)
    redis?.disconnect()
  })
  return app
}

/**
 * The audit log (AUDIT_LOG), the metrics (METRICS_TOKEN or METRICS_PORT) and
 * the one `emit` that feeds both, plus the log.
 */
function observe(app: FastifyInstance, { config, db, clock, denylist }: { config: Config; db: Db; clock: Clock; denylist: Denylist }) {
  let audit: AuditWriter | undefined
  const metricsOn = config.metrics.token !== undefined || config.metrics.port !== undefined
  const metrics = metricsOn ? new Metrics({ denylist, pool: () => poolStatsOf(db), auditPending: () => audit?.pending ?? 0 }) : undefined
  if (config.audit.enabled) {
    audit = new AuditWriter(db, {
      flushIntervalMs: config.audit.flushIntervalMs,
      onError: (error, pending) => app.log.warn({ err: error, pending }, 'writing audit events failed; they are kept and tried again'),
      onDropped: (count) => {
        metrics?.auditDropped.inc(count)
        app.log.error({ dropped: count }, 'audit events dropped: the database has not taken them for too long')
      },
    })
  }
  if (metrics) registerRequestMetrics(app, metrics)
  const emit = createEmitter({
    clock,
    log: app.log,
    ...(audit ? { audit } : {}),
    ...(metrics ? { count: (event) => metrics.count(event) } : {}),
  })
  return { audit, metrics, emit }
}

/**
 * TRUST_PROXY as Fastify takes it. A hop count becomes a function trusting
 * that many hops nearest the socket: Fastify's own number option trusts none.
 */
function trustProxyOption(value: Config['http']['trustProxy']): boolean | string[] | ((address: string, hop: number) => boolean) {
  return typeof value === 'number' ? (_address, hop) => hop < value : value
}

/**
 * Fastify closes the connections that are idle when close() starts; a
 * keep-alive connection whose request is still running goes idle only after
 * its response, and would then hold server.close() open until the client
 * hangs up. While closing, such connections are closed as soon as they idle.
 */
function drainOnClose(app: FastifyInstance, denylist: Denylist): void {
  let sweeper: NodeJS.Timeout | undefined
  app.addHook('preClose', (done) => {
    // Long polls of the revocation feed would hold the drain for their whole wait.
    denylist.stopWaiting()
    sweeper = setInterval(() => app.server.closeIdleConnections(), 50)
    done()
  })
  app.addHook('onClose', (_instance, done) => {
    clearInterval(sweeper)
    done()
  })
}

import t from 'tap'
import { Metrics } from '../src/services/metrics.js'
import { parsePrometheusText } from './prometheus-text.js'

// The request series are counted by keyturn itself (request-metrics.ts), not by
// prom-client's Histogram: this holds them to what a Prometheus histogram is.
t.test('request counts and durations read as a Prometheus counter and histogram', async (t) => {
  const metrics = new Metrics({ denylist: { size: 0, sinceSyncMs: 0 }, pool: () => undefined, auditPending: () => 0 })
  const getMe = metrics.recorder('getMe')
  for (const seconds of [0.0005, 0.001, 0.003, 0.3, 42]) getMe(200, seconds)
  getMe(401, 0.002)
  const families = parsePrometheusText(await metrics.registry.metrics())

  const counter = families.get('keyturn_http_requests_total')!
  t.equal(counter.type, 'counter')
  t.same(counter.samples.map((s) => [s.labels, s.value]), [
    [{ operation: 'getMe', status: '200' }, 5],
    [{ operation: 'getMe', status: '401' }, 1],
  ])

  const histogram = families.get('keyturn_http_request_duration_seconds')!
  t.equal(histogram.type, 'histogram')
  const ok = histogram.samples.filter((s) => s.labels.status === '200')
  const bucket = (le: string) => ok.find((s) => s.name.endsWith('_bucket') && s.labels.le === le)?.value
  t.equal(bucket('0.001'), 2, 'a bucket counts what is at most its bound')
  t.equal(bucket('0.005'), 3, 'buckets are cumulative')
  t.equal(bucket('0.25'), 3)
  t.equal(bucket('0.5'), 4)
  t.equal(bucket('10'), 4, 'past the last bound only +Inf counts it')
  t.equal(bucket('+Inf'), 5)
  t.equal(ok.find((s) => s.name.endsWith('_count'))?.value, 5)
  t.ok(Math.abs(ok.find((s) => s.name.endsWith('_sum'))!.value - 42.3045) < 1e-9, 'the sum is exact')
  t.equal(histogram.samples.filter((s) => s.labels.status === '401' && s.name.endsWith('_bucket')).length, 14, 'each status its own series')
})

t.test('recorders of one operation (a GET route and its HEAD) share its series', async (t) => {
  const metrics = new Metrics({ denylist: { size: 0, sinceSyncMs: 0 }, pool: () => undefined, auditPending: () => 0 })
  metrics.recorder('getHealth')(200, 0.001)
  metrics.recorder('getHealth')(200, 0.002)
  const families = parsePrometheusText(await metrics.registry.metrics())
  t.same(families.get('keyturn_http_requests_total')!.samples.map((s) => [s.labels, s.value]), [[{ operation: 'getHealth', status: '200' }, 2]])
})

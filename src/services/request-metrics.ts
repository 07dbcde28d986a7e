import type { Metric, Registry } from 'prom-client'

/** Upper bounds of the request duration histogram, in seconds. */
const BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10] as const

/** One operation and status: its count, summed duration and (not cumulative) bucket counts. */
interface Series {
  readonly labels: { operation: string; status: string }
  count: number
  sum: number
  readonly buckets: Float64Array
}

/** A sample as prom-client's registry formats it. */
interface Sample {
  metricName: string
  labels: Record<string, string | number>
  value: number
}

/**
 * keyturn_http_requests_total and keyturn_http_request_duration_seconds, kept
 * as plain numbers per operation and status and turned into samples only when
 * /metrics is read. prom-client's inc and observe validate and hash their
 * labels on every call: that cost GET /me and /verify 8 % of their throughput
 * in bench/observability.ts, where these additions cost nothing measurable.
 */
export class RequestMetrics {
  readonly #series: Series[] = []
  /** By operation, then status: a GET route and its HEAD, or routes without an operationId, share one series. */
  readonly #byOperation = new Map<string, Map<number, Series>>()

  constructor(registry: Registry) {
    const all = this.#series
    registry.registerMetric(
      collector('keyturn_http_requests_total', 'Requests answered, by operationId of openapi.yaml (`unknown` for no route) and status', 'counter', () =>
        all.map((series) => ({ metricName: 'keyturn_http_requests_total', labels: series.labels, value: series.count })),
      ),
    )
    const name = 'keyturn_http_request_duration_seconds'
    registry.registerMetric(
      collector(name, 'Time from the request to its response, by operationId and status', 'histogram', () =>
        all.flatMap((series) => {
          let cumulative = 0
          const samples: Sample[] = BUCKETS.map((le, i) => {
            cumulative += series.buckets[i]!
            return { metricName: `${name}_bucket`, labels: { ...series.labels, le }, value: cumulative }
          })
          samples.push(
            { metricName: `${name}_bucket`, labels: { ...series.labels, le: '+Inf' }, value: series.count },
            { metricName: `${name}_sum`, labels: series.labels, value: series.sum },
            { metricName: `${name}_count`, labels: series.labels, value: series.count },
          )
          return samples
        }),
      ),
    )
  }

  /** What a route calls on each response; a status's series is made the first time it is answered. */
  recorder(operation: string): (status: number, seconds: number) => void {
    const byStatus = this.#byOperation.get(operation) ?? new Map<number, Series>()
    this.#byOperation.set(operation, byStatus)
    return (status, seconds) => {
      let series = byStatus.get(status)
      if (series === undefined) {
        series = { labels: { operation, status: String(status) }, count: 0, sum: 0, buckets: new Float64Array(BUCKETS.length) }
        byStatus.set(status, series)
        this.#series.push(series)
      }
      series.count++
      series.sum += seconds
      for (let i = 0; i < BUCKETS.length; i++) {
        if (seconds <= BUCKETS[i]!) {
          series.buckets[i]!++
          break
        }
      }
    }
  }
}

/**
 * A metric of already counted values, in the shape prom-client's registry
 * reads (name, help, type, aggregator, get): prom-client has no public type
 * for one (prometheus/client_js#241), hence the cast. test/metrics.test.ts
 * parses the output strictly, so a prom-client that reads metrics differently
 * fails there.
 */
function collector(name: string, help: string, type: 'counter' | 'histogram', samples: () => Sample[]): Metric {
  const metric = {
    name,
    help,
    type,
    aggregator: 'sum',
    get: async () => ({ name, help, type, aggregator: 'sum', values: samples() }),
    reset: () => {},
  }
  return metric as unknown as Metric
}

// A strict reader of the Prometheus text exposition format (0.0.4), for tests.
// prom-client writes the format but cannot read it, and the npm parser tried
// (parse-prometheus-text-format 1.1.1) drops the labels and counts of labelled
// histograms; this one refuses anything the format does not allow.

export interface Sample {
  name: string
  labels: Record<string, string>
  value: number
}

export interface Family {
  name: string
  type: 'counter' | 'gauge' | 'histogram' | 'summary' | 'untyped'
  help: string
  samples: Sample[]
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/
const LABEL = /^[a-zA-Z_][a-zA-Z0-9_]*$/
const TYPES = new Set(['counter', 'gauge', 'histogram', 'summary', 'untyped'])

export function parsePrometheusText(text: string): Map<string, Family> {
  const families = new Map<string, Family>()
  const series = new Set<string>()
  let current: Family | undefined
  const fail = (line: number, why: string): never => {
    throw new Error(`metrics line ${line + 1}: ${why}`)
  }
  text.split('\n').forEach((raw, index) => {
    if (raw === '') return
    if (raw.startsWith('#')) {
      const [, keyword, name = '', ...rest] = raw.split(' ')
      if (keyword !== 'HELP' && keyword !== 'TYPE') return
      if (!NAME.test(name)) fail(index, `bad metric name ${name}`)
      let family = families.get(name)
      if (!family) {
        if (keyword === 'TYPE' && families.has(name)) fail(index, `second TYPE for ${name}`)
        family = { name, type: 'untyped', help: '', samples: [] }
        families.set(name, family)
      } else if (family.samples.length > 0) fail(index, `${keyword} after samples of ${name}`)
      if (keyword === 'TYPE') {
        const type = rest.join(' ')
        if (!TYPES.has(type)) fail(index, `unknown type ${type}`)
        family.type = type as Family['type']
      } else family.help = rest.join(' ')
      current = family
      return
    }
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? ([^ ]+)( -?\d+)?$/.exec(raw)
    if (!match) return fail(index, `not a sample: ${raw}`)
    const [, name, , labelText = '', valueText] = match
    const labels = parseLabels(labelText, (why) => fail(index, why))
    const value = parseValue(valueText!, (why) => fail(index, why))
    const family = current && belongsTo(current, name!, labels) ? current : undefined
    if (!family) return fail(index, `${name} does not follow its own # TYPE line`)
    const key = `${name}${JSON.stringify(Object.entries(labels).sort())}`
    if (series.has(key)) fail(index, `${key} twice`)
    series.add(key)
    family.samples.push({ name: name!, labels, value })
  })
  for (const family of families.values()) if (family.type === 'histogram') checkHistogram(family)
  return families
}

function belongsTo(family: Family, name: string, labels: Record<string, string>): boolean {
  if (family.type === 'histogram') {
    if (name === `${family.name}_bucket`) return 'le' in labels
    return name === `${family.name}_sum` || name === `${family.name}_count`
  }
  if (family.type === 'summary') return name === family.name ? 'quantile' in labels : name === `${family.name}_sum` || name === `${family.name}_count`
  return name === family.name
}

function parseLabels(text: string, fail: (why: string) => never): Record<string, string> {
  const labels: Record<string, string> = {}
  let rest = text
  while (rest !== '') {
    const match = /^([^=]+)="((?:[^"\\\n]|\\[\\"n])*)"(,|$)/.exec(rest)
    if (!match || !LABEL.test(match[1]!)) fail(`bad labels {${text}}`)
    if (match![1]! in labels) fail(`label ${match![1]} twice`)
    labels[match![1]!] = match![2]!.replace(/\\(.)/g, (_, char: string) => (char === 'n' ? '\n' : char))
    rest = rest.slice(match![0].length)
  }
  return labels
}

function parseValue(text: string, fail: (why: string) => never): number {
  // Prometheus reads floats with Go's ParseFloat: Inf and NaN in any case (prom-client writes `Nan`).
  if (/^\+?inf$/i.test(text)) return Infinity
  if (/^-inf$/i.test(text)) return -Infinity
  if (/^nan$/i.test(text)) return NaN
  if (!/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(text)) fail(`bad value ${text}`)
  return Number(text)
}

/** Buckets cumulative, ending in +Inf, which equals _count, for each label set. */
function checkHistogram(family: Family): void {
  const groups = new Map<string, Sample[]>()
  for (const sample of family.samples) {
    const { le: _le, ...rest } = sample.labels
    const key = JSON.stringify(Object.entries(rest).sort())
    groups.set(key, [...(groups.get(key) ?? []), sample])
  }
  for (const [key, samples] of groups) {
    const buckets = samples.filter((sample) => sample.name.endsWith('_bucket'))
    const count = samples.find((sample) => sample.name === `${family.name}_count`)
    const last = buckets.at(-1)
    if (!count || !last || !/^\+?inf$/i.test(last.labels.le ?? '') || last.value !== count.value) throw new Error(`${family.name}${key}: +Inf bucket and _count disagree`)
    buckets.reduce((previous, bucket) => {
      if (bucket.value < previous) throw new Error(`${family.name}${key}: buckets not cumulative`)
      return bucket.value
    }, 0)
  }
}

/** The sum of the samples named `name` whose labels include `labels`; 0 when none. */
export function valueOf(families: Map<string, Family>, name: string, labels: Record<string, string> = {}): number {
  const family = families.get(name) ?? families.get(name.replace(/_(count|sum|bucket)$/, ''))
  if (!family) throw new Error(`no metric ${name}`)
  const sampleName = family.type === 'histogram' && family.name === name ? `${name}_count` : name
  return family.samples
    .filter((sample) => sample.name === sampleName && Object.entries(labels).every(([key, wanted]) => sample.labels[key] === wanted))
    .reduce((sum, sample) => sum + sample.value, 0)
}

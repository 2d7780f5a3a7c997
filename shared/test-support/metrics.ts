/// <reference path="./parse-prometheus-text-format.d.ts" />
import parsePrometheusTextFormat from 'parse-prometheus-text-format'

/** One line of a Prometheus text exposition: a series name, its labels and its value. */
export interface MetricSample { name: string, labels: Record<string, string>, value: number }

/**
 * The samples of an exposition, one per line as Prometheus stores them. The parser groups a
 * histogram's or summary's lines into one metric and loses their labels when it does
 * (yunyu/parse-prometheus-text-format#13, open since 2020), and every histogram here is labelled:
 * the TYPE lines are left out, so each series reads as untyped, a sample per line.
 */
export function parseSamples (exposition: string): MetricSample[] {
  return parsePrometheusTextFormat(exposition.replace(/^# TYPE .*$/gm, ''))
    .flatMap(({ name, metrics }) => metrics.map((metric) => ({ name, labels: metric.labels ?? {}, value: Number(metric.value) })))
}

/** The samples with this name whose labels include these. */
export function samplesOfSeries (samples: MetricSample[], name: string, labels: Record<string, string> = {}): MetricSample[] {
  return samples.filter((sample) => sample.name === name && Object.entries(labels).every(([key, value]) => sample.labels[key] === value))
}

/** The value of the first sample with this name whose labels include these; undefined if there is none. */
export function sampleValue (samples: MetricSample[], name: string, labels: Record<string, string> = {}): number | undefined {
  return samplesOfSeries(samples, name, labels)[0]?.value
}

/** Scrapes a Prometheus endpoint over HTTP and returns its samples. */
export async function scrapeMetrics (url: string): Promise<MetricSample[]> {
  const response = await fetch(url)
  if (!response.ok) throw new Error(`metrics at ${url} answered ${response.status}`)
  return parseSamples(await response.text())
}

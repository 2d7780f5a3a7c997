// The package ships no types: the part of its output (as its README documents it) read here.
declare module 'parse-prometheus-text-format' {
  export interface MetricFamily {
    name: string
    help: string
    type: 'COUNTER' | 'GAUGE' | 'HISTOGRAM' | 'SUMMARY' | 'UNTYPED'
    /** An untyped family's samples; values stay strings ("+Inf", "1.5e3"). */
    metrics: Array<{ labels?: Record<string, string>, value?: string }>
  }

  export default function parsePrometheusTextFormat (exposition: string): MetricFamily[]
}

// What the tests of every workspace share: how to wait, how to read metrics, how to read the inbox.
// Tests only: no service imports it (it is not in the package's build).
export { becomes, eventually, type EventuallyOptions } from './eventually.js'
export { inboxFor, type InboxMail } from './inbox.js'
export { parseSamples, sampleValue, samplesOfSeries, scrapeMetrics, type MetricSample } from './metrics.js'

export { otelInstrumentation } from './tracing/otel-instrumentation.js';
export type { OtelInstrumentationOptions } from './tracing/otel-instrumentation.js';
export { workerTracing } from './tracing/worker-tracing.js';
export type { TracedWorkerContext, TracedWorkerHandler } from './tracing/worker-tracing.js';
export { ATTR as MESSAGING_ATTRIBUTES } from './tracing/attributes.js';
export { otelMetrics } from './metrics/otel-metrics.js';
export type { OtelMetrics, OtelMetricsOptions } from './metrics/otel-metrics.js';
export { processDurationProducer, ProcessDurationProducer } from './metrics/process-duration-producer.js';
export type { ProcessDurationProducerOptions } from './metrics/process-duration-producer.js';

export { serve } from './server/serve.js';
export type { ServeOptions, ServedApp } from './server/serve.js';
export { readiness } from './readiness/readiness.js';
export type { Readiness, ReadinessOptions } from './readiness/readiness.js';
export { renderPrometheus, prometheusText, lagRows } from './prometheus/prometheus-text.js';

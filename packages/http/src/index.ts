export { serve } from './server/serve.js';
export type { ServeOptions, ServedApp } from './server/serve.js';
export { readiness } from './readiness/readiness.js';
export type { Readiness, ReadinessOptions } from './readiness/readiness.js';
export { renderPrometheus, prometheusText, lagRows } from './prometheus/prometheus-text.js';
export type { AdminOptions } from './admin/admin-options.js';
export type { RecordJson } from '@partita/core';
export type { LaneRegionShape } from './admin/lane-machine-shape.js';
export { MAX_BODY_BYTES } from './admin/json-body.js';

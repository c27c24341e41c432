export { workerPool } from './pool/worker-pool.js';
export type { WorkerPool, WorkerPoolStats } from './pool/worker-pool.js';
export type { WorkerPoolOptions } from './pool/worker-pool-options.js';
export type { WorkerHandler, WorkerHandlerContext } from './worker/worker-context.js';

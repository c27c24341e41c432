import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { optionError, redact, type App } from '@partita/core';
import { createAdminApi, type AdminApi } from '../admin/admin-api.js';
import { resolveAdmin, type AdminOptions } from '../admin/admin-options.js';
import { DashboardAssets } from '../dashboard/dashboard-assets.js';
import { prometheusText } from '../prometheus/prometheus-text.js';
import { readiness, type ReadinessOptions } from '../readiness/readiness.js';

/** Options of `serve()`. */
export interface ServeOptions extends ReadinessOptions {
  /** 0 picks a free port (see `ServedApp.port`). @defaultValue 9464 (the OpenTelemetry Prometheus exporter's) */
  readonly port?: number;
  /** Listen on all interfaces with `'0.0.0.0'` (in a container). @defaultValue '127.0.0.1' */
  readonly host?: string;
  /**
   * Text served at `/metrics` instead of the built-in exposition (for example
   * an OpenTelemetry Prometheus exporter's). @defaultValue the app's metrics, see README
   */
  readonly metrics?: () => Promise<string> | string;
  /**
   * Serve the admin API (`/api/app`, topics, lag, records, redrive, purge,
   * lane pause/resume) and the dashboard at `/`. Writes need the bearer
   * token (`PARTITA_ADMIN_TOKEN`); see README, "Admin API and dashboard".
   * @defaultValue off
   */
  readonly admin?: AdminOptions;
}

/** A running endpoint server. */
export interface ServedApp {
  /** `http://host:port`, e.g. to print. */
  readonly url: string;
  readonly port: number;
  /** Stop listening; open keep-alive connections are closed. */
  close(): Promise<void>;
}

const JSON_TYPE = 'application/json; charset=utf-8';
const PROMETHEUS_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

/**
 * Serve the app's probes and metrics on `node:http`:
 * - `GET /healthz`: liveness, 200 while the event loop answers;
 * - `GET /readyz`: 200 when ready, 503 with `{ ready, reasons }` otherwise (see `readiness`);
 * - `GET /metrics`: Prometheus text;
 * - `GET /api/inspect`: `app.inspect()` and `app.health()` as JSON (redacted);
 * - with `admin`: the admin API under `/api/` and the dashboard at `/`.
 * Other paths are 404, other methods than GET/HEAD 405.
 */
export async function serve(app: App, options: ServeOptions = {}): Promise<ServedApp> {
  const port = options.port ?? 9464;
  const host = options.host ?? '127.0.0.1';
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw optionError('serve', 'port', 'an integer from 0 to 65535', port);
  if (typeof host !== 'string' || host === '') throw optionError('serve', 'host', 'a non-empty string', host);
  if (options.metrics !== undefined && typeof options.metrics !== 'function')
    throw optionError('serve', 'metrics', 'a function returning the exposition text', options.metrics);
  const metrics = options.metrics ?? (() => prometheusText(app));
  const admin = options.admin === undefined ? undefined : resolveAdmin(options.admin);
  const adminApi: AdminApi | undefined =
    admin === undefined
      ? undefined
      : createAdminApi(app, admin, host, admin.dashboard ? new DashboardAssets() : undefined);

  const routes: Record<string, () => Promise<[number, string, string]>> = {
    '/healthz': () => Promise.resolve([200, JSON_TYPE, JSON.stringify({ status: 'ok' })]),
    '/readyz': async () => {
      const r = await readiness(app, options);
      return [r.ready ? 200 : 503, JSON_TYPE, JSON.stringify(redact(r))];
    },
    '/metrics': async () => [200, PROMETHEUS_TYPE, await metrics()],
    '/api/inspect': async () => {
      const snapshot = app.inspect();
      const health = await app.health();
      return [200, JSON_TYPE, JSON.stringify(redact({ ...snapshot, health: { ...health, lanes: undefined } }))];
    },
  };

  const handle = (req: IncomingMessage, res: ServerResponse): void => {
    let url: URL;
    try {
      url = new URL(req.url ?? '/', 'http://localhost');
    } catch {
      url = new URL('http://localhost/');
    }
    const path = url.pathname;
    const route = Object.hasOwn(routes, path) ? routes[path] : undefined;
    const send = (status: number, type: string, body: string): void => {
      res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store' });
      res.end(req.method === 'HEAD' ? undefined : body);
    };
    const error = (name: string, message: string): string => JSON.stringify(redact({ error: { name, message } }));
    if (!route && adminApi?.handle(req, res, url)) return;
    if (!route) return send(404, JSON_TYPE, error('NotFound', `no route ${path}`));
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('allow', 'GET, HEAD');
      return send(405, JSON_TYPE, error('MethodNotAllowed', `${String(req.method)} not allowed`));
    }
    route().then(
      ([status, type, body]) => send(status, type, body),
      (err: unknown) => send(500, JSON_TYPE, error('Error', (err as Error)?.message ?? String(err))),
    );
  };

  const server: Server = createServer(handle);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  // Probes must not keep a stopping process alive.
  server.unref();
  const bound = (server.address() as AddressInfo).port;
  let closing: Promise<void> | undefined;
  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${bound}`,
    port: bound,
    close: () =>
      (closing ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      })),
  };
}

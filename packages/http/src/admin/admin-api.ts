import type { IncomingMessage, ServerResponse } from 'node:http';
import type { App } from '@partita/core';
import type { DashboardAssets } from '../dashboard/dashboard-assets.js';
import { adminRoutes, bodyOf, type AdminRoute } from './admin-routes.js';
import type { ResolvedAdmin } from './admin-options.js';
import { bearerMatches } from './bearer-token.js';
import { checkHost } from './host-check.js';
import { HttpError, sendError } from './http-error.js';

const SECURITY_HEADERS = {
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
};

/** The admin API and the dashboard on `serve`'s server. */
export interface AdminApi {
  /** Answer the request when its path is the dashboard's or an admin route's; false to leave it to others. */
  handle(req: IncomingMessage, res: ServerResponse, url: URL): boolean;
}

const unauthorized = (configured: boolean): HttpError =>
  new HttpError(
    401,
    'Unauthorized',
    configured
      ? 'this route changes something: send the admin token in the "authorization" header, as Bearer <token>'
      : 'no admin token is configured, so every write is refused: set PARTITA_ADMIN_TOKEN (or serve(app, { admin: { token } })) and send it in the "authorization" header, as Bearer <token>',
  );

/**
 * Route admin requests: the host check (loopback binds), 404/405, the token
 * of write routes (checked before the body is read, so a refused request
 * changes nothing), then the route; errors as `{ error: { name, message } }`.
 */
export function createAdminApi(
  app: App,
  admin: ResolvedAdmin,
  boundHost: string,
  assets: DashboardAssets | undefined,
): AdminApi {
  const routes = adminRoutes(app, admin);
  const find = (path: string): { route: AdminRoute; params: string[] }[] =>
    routes.flatMap((route) => {
      const m = route.path.exec(path);
      return m ? [{ route, params: m.slice(1) }] : [];
    });

  return {
    handle(req, res, url) {
      const path = url.pathname;
      const isAsset = assets !== undefined && assets.has(path);
      if (!isAsset && !path.startsWith('/api/')) return false;
      const fail = (err: unknown, extra: Record<string, string> = {}): void =>
        sendError(res, err, { ...SECURITY_HEADERS, ...extra });
      try {
        checkHost(req.headers.host, boundHost);
      } catch (err) {
        fail(err);
        return true;
      }
      const method = req.method === 'HEAD' ? 'GET' : req.method;
      if (isAsset) {
        if (method !== 'GET')
          fail(new HttpError(405, 'MethodNotAllowed', `${String(req.method)} ${path}: use GET`), {
            allow: 'GET, HEAD',
          });
        else
          try {
            assets.send(path, req, res, SECURITY_HEADERS);
          } catch (err) {
            fail(err);
          }
        return true;
      }
      const matches = find(path);
      if (matches.length === 0) {
        fail(new HttpError(404, 'NotFound', `no admin route ${path}; see the @partita/http README for the routes`));
        return true;
      }
      const hit = matches.find((m) => m.route.method === method);
      if (hit === undefined) {
        const allow = [...new Set(matches.map((m) => m.route.method))].join(', ');
        fail(new HttpError(405, 'MethodNotAllowed', `${String(req.method)} ${path}: use ${allow}`), { allow });
        return true;
      }
      if (hit.route.write && (admin.token === undefined || !bearerMatches(req.headers.authorization, admin.token))) {
        // Nothing of the body is read: close the connection rather than drain it.
        fail(unauthorized(admin.token !== undefined), { connection: 'close' });
        return true;
      }
      let params: string[];
      try {
        params = hit.params.map((p) => decodeURIComponent(p));
      } catch {
        fail(new HttpError(400, 'BadRequest', `path ${path}: the topic is not valid percent-encoding`));
        return true;
      }
      hit.route.run({ params, query: url.searchParams, body: bodyOf(req) }).then(
        (value) => {
          res.writeHead(200, {
            'content-type': 'application/json; charset=utf-8',
            'cache-control': 'no-store',
            ...SECURITY_HEADERS,
          });
          res.end(req.method === 'HEAD' ? undefined : JSON.stringify(value));
        },
        (err: unknown) => fail(err, err instanceof HttpError && err.status === 413 ? { connection: 'close' } : {}),
      );
      return true;
    },
  };
}

import { randomUUID } from 'node:crypto';
import type { Connection } from '../../cli/resolve-connection.js';
import type { Check } from './check.js';

type HttpConnection = Extract<Connection, { kind: 'http' }>;

/**
 * The app's admin endpoint: reachable (`GET /api/app`), its transport's admin
 * side (`GET /api/topics`), and the token, tested on a write that cannot
 * change anything (a purge of a topic that does not exist, with an invalid
 * body): 401 means the token is wrong, anything else that it was accepted.
 */
export async function checkApp(c: HttpConnection, timeoutMs: number, add: (c: Check) => void): Promise<void> {
  let base: URL;
  try {
    base = new URL(c.url.endsWith('/') ? c.url : `${c.url}/`);
  } catch {
    add({
      name: 'url',
      status: 'fail',
      detail: `${JSON.stringify(c.url)} is not a URL`,
      fix: 'pass the app admin endpoint, e.g. --url http://127.0.0.1:9464',
    });
    return;
  }
  const get = (path: string, init: RequestInit = {}) =>
    fetch(new URL(path, base), { ...init, signal: AbortSignal.timeout(timeoutMs) });
  let app: { state?: string; transport?: string; health?: { status?: string; reasons?: string[] } };
  try {
    const res = await get('api/app');
    if (res.status === 404) {
      add({
        name: 'app',
        status: 'fail',
        detail: `${base.href}api/app answered 404: not an admin endpoint`,
        fix: 'serve the app with @partita/http serve(app, { admin: { transport } }) and pass that address',
      });
      return;
    }
    app = (await res.json()) as typeof app;
  } catch (err) {
    add({
      name: 'app',
      status: 'fail',
      detail: `cannot reach ${base.href} (${(err as { cause?: { code?: string } }).cause?.code ?? (err as Error).message})`,
      fix: 'start the app, or check --url / PARTITA_ADMIN_URL (host, port; it binds to 127.0.0.1 by default)',
    });
    return;
  }
  add({ name: 'app', status: 'ok', detail: `state ${app.state}, transport ${app.transport}` });
  const health = app.health?.status;
  add(
    health === 'ok'
      ? { name: 'health', status: 'ok', detail: 'ok' }
      : {
          name: 'health',
          status: health === 'down' ? 'fail' : 'warn',
          detail: `${health ?? 'unknown'}${app.health?.reasons?.length ? `: ${app.health.reasons.join('; ')}` : ''}`,
          fix: 'see the reasons; `partita inspect` shows the lanes',
        },
  );
  const topics = await get('api/topics').catch(() => undefined);
  if (topics?.status === 501)
    add({
      name: 'admin',
      status: 'warn',
      detail: 'the app transport has no admin side',
      fix: 'upgrade its connector package',
    });
  else if (topics?.ok) add({ name: 'admin', status: 'ok', detail: 'topics, lag and dead letters readable' });
  else add({ name: 'admin', status: 'fail', detail: `GET /api/topics answered ${topics?.status ?? 'nothing'}` });
  if (c.token === undefined) {
    add({
      name: 'token',
      status: 'warn',
      detail: 'no admin token: produce, redrive and purge will be refused (401)',
      fix: "set PARTITA_ADMIN_TOKEN to the app's token (or --token)",
    });
    return;
  }
  const probe = await get(`api/topics/${encodeURIComponent(`partita-doctor-${randomUUID()}`)}/purge`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${c.token}` },
    body: JSON.stringify({ positions: 'not-a-list' }),
  }).catch(() => undefined);
  if (probe?.status === 401)
    add({
      name: 'token',
      status: 'fail',
      detail: 'the app refused the admin token (401)',
      fix: 'set PARTITA_ADMIN_TOKEN to the value the app was started with (the app needs one set, too)',
    });
  else add({ name: 'token', status: 'ok', detail: 'accepted for writes' });
}

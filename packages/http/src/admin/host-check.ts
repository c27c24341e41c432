import { HttpError } from './http-error.js';

const LOOPBACK = /^(localhost|127(?:\.\d{1,3}){3}|\[::1\]|::1)$/i;

/** Whether `host` (a bind address) is a loopback address. */
export function isLoopback(host: string): boolean {
  return LOOPBACK.test(host) || host === '::1';
}

/**
 * DNS rebinding guard: a server bound to loopback answers its admin routes
 * and dashboard only to requests whose `Host` names loopback (a web page
 * whose name was rebound to 127.0.0.1 sends its own name). A server bound
 * elsewhere cannot know its names and checks nothing.
 */
export function checkHost(hostHeader: string | undefined, boundHost: string): void {
  if (!isLoopback(boundHost)) return;
  const name = (hostHeader ?? '').replace(/:\d+$/, '');
  if (!LOOPBACK.test(name))
    throw new HttpError(
      403,
      'ForbiddenHost',
      `the admin server is bound to ${boundHost} and answers only requests for localhost or 127.0.0.1 (Host was ${JSON.stringify(name)}); to reach it under another name, serve on that interface (host option)`,
    );
}

import { readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';

/** The dashboard's files, shipped in the package under `assets/dashboard/` (no build step). */
const FILES: Readonly<Record<string, { file: string; type: string }>> = {
  '/': { file: 'index.html', type: 'text/html; charset=utf-8' },
  '/dashboard/dashboard.css': { file: 'dashboard.css', type: 'text/css; charset=utf-8' },
  '/dashboard/dashboard.js': { file: 'dashboard.js', type: 'text/javascript; charset=utf-8' },
  '/dashboard/api.js': { file: 'api.js', type: 'text/javascript; charset=utf-8' },
  '/dashboard/lanes-view.js': { file: 'lanes-view.js', type: 'text/javascript; charset=utf-8' },
  '/dashboard/dead-letters-view.js': { file: 'dead-letters-view.js', type: 'text/javascript; charset=utf-8' },
  '/dashboard/dom.js': { file: 'dom.js', type: 'text/javascript; charset=utf-8' },
};

/** No inline script or style, nothing from another origin, no framing. */
const CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

// src/dashboard/ and dist/dashboard/ are both two levels below the package root.
const ROOT = new URL('../../assets/dashboard/', import.meta.url);

/** Serves the dashboard's files (a fixed list: no path from a request reaches the file system). */
export class DashboardAssets {
  private readonly cache = new Map<string, Buffer>();

  has(path: string): boolean {
    return Object.hasOwn(FILES, path);
  }

  send(path: string, req: IncomingMessage, res: ServerResponse, headers: Record<string, string>): void {
    const entry = FILES[path]!;
    let body = this.cache.get(entry.file);
    if (body === undefined) {
      body = readFileSync(new URL(entry.file, ROOT));
      this.cache.set(entry.file, body);
    }
    res.writeHead(200, {
      'content-type': entry.type,
      'cache-control': 'no-cache',
      'content-security-policy': CSP,
      ...headers,
    });
    res.end(req.method === 'HEAD' ? undefined : body);
  }
}

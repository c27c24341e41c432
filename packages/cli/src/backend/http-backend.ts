import {
  recordFromJson,
  type GroupLag,
  type ReadOptions,
  type RecordJson,
  type RedriveReport,
  type TopicInfo,
} from '@partita/core';
import { CliError, EXIT, type ExitCode } from '../cli/cli-error.js';
import type { AppView, Backend, RecordToPublish, RedriveRequest } from './backend.js';

/** The admin API takes bodies up to 1 MiB and 1000 records: publish in chunks under both. */
const MAX_BODY = 512 * 1024;
const MAX_RECORDS = 1000;

export interface HttpBackendOptions {
  /** The app's admin endpoint, e.g. `http://127.0.0.1:9464`. */
  readonly url: string;
  /** Sent as `authorization: Bearer <token>` on writes. Never printed. */
  readonly token?: string;
  readonly fetch?: typeof fetch;
}

/**
 * A {@link Backend} on a running app's admin HTTP API (served by
 * `@partita/http`'s `serve(app, { admin })`): how the CLI reaches the
 * embedded memory broker, or any broker through the app that uses it.
 * Redrive runs in the app (one request; no progress bar).
 */
export function httpBackend(options: HttpBackendOptions): Backend {
  let base: URL;
  try {
    base = new URL(options.url.endsWith('/') ? options.url : `${options.url}/`);
    if (base.protocol !== 'http:' && base.protocol !== 'https:') throw new Error('not http');
  } catch {
    throw new CliError(
      `--url ${JSON.stringify(options.url)} is not an http(s) URL; pass the app's admin endpoint, e.g. --url http://127.0.0.1:9464`,
      EXIT.usage,
    );
  }
  const shown = `${base.protocol}//${base.host}${base.pathname.replace(/\/$/, '')}`;
  const doFetch = options.fetch ?? fetch;

  async function call<T>(method: 'GET' | 'POST', path: string, body?: unknown): Promise<T> {
    const url = new URL(path, base);
    const headers: Record<string, string> = { accept: 'application/json' };
    if (body !== undefined) headers['content-type'] = 'application/json';
    if (method === 'POST' && options.token) headers.authorization = `Bearer ${options.token}`;
    let res: Response;
    try {
      res = await doFetch(url, { method, headers, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
    } catch (err) {
      const cause = (err as { cause?: { code?: string; message?: string } }).cause;
      throw new CliError(
        `cannot reach the app at ${shown} (${cause?.code ?? cause?.message ?? (err as Error).message}); is it running, and is --url its admin endpoint (@partita/http serve(app, { admin }))?`,
        EXIT.notFound,
        { cause: err },
      );
    }
    const text = await res.text();
    let json: unknown;
    try {
      json = text === '' ? undefined : JSON.parse(text);
    } catch {
      json = undefined;
    }
    if (res.ok) return json as T;
    const error = (json as { error?: { name?: string; message?: string } } | undefined)?.error;
    throw new CliError(
      explain(res.status, error?.message ?? (text.slice(0, 200) || res.statusText), shown, path),
      codeFor(res.status),
    );
  }

  const enc = encodeURIComponent;
  return {
    describe: shown,
    topics: async () => (await call<{ topics: TopicInfo[] }>('GET', 'api/topics')).topics,
    lag: async (group) =>
      (await call<{ lag: GroupLag[] }>('GET', `api/lag${group !== undefined ? `?group=${enc(group)}` : ''}`)).lag,
    async read(topic: string, o: ReadOptions) {
      const q = new URLSearchParams();
      if (o.from !== undefined) q.set('from', o.from);
      if (o.partition !== undefined) q.set('partition', String(o.partition));
      if (o.limit !== undefined) q.set('limit', String(o.limit));
      const { records } = await call<{ records: RecordJson[] }>(
        'GET',
        `api/topics/${enc(topic)}/records?${q.toString()}`,
      );
      return records.map(recordFromJson);
    },
    async publish(topic: string, records: readonly RecordToPublish[]) {
      if (records.some((r) => r.partition !== undefined))
        throw new CliError(
          '--partition is not available through --url (the app picks the partition by key)',
          EXIT.usage,
        );
      let published = 0;
      let chunk: unknown[] = [];
      let size = 0;
      const flush = async (): Promise<void> => {
        if (chunk.length === 0) return;
        published += (await call<{ published: number }>('POST', `api/topics/${enc(topic)}/records`, { records: chunk }))
          .published;
        chunk = [];
        size = 0;
      };
      for (const r of records) {
        const item = {
          ...(r.key !== undefined ? { key: r.key } : {}),
          headers: r.headers,
          valueBase64: Buffer.from(r.value).toString('base64'),
        };
        const bytes = JSON.stringify(item).length + 1;
        if (size + bytes > MAX_BODY || chunk.length >= MAX_RECORDS) await flush();
        chunk.push(item);
        size += bytes;
      }
      await flush();
      return published;
    },
    redrive(request: RedriveRequest) {
      return call<RedriveReport>('POST', `api/dead-letters/${enc(request.topic)}/redrive`, {
        dryRun: request.dryRun,
        ...(request.ids !== undefined ? { ids: request.ids } : {}),
        ...(request.filter !== undefined ? { filter: request.filter } : {}),
        ...(request.ratePerSec !== undefined ? { ratePerSec: request.ratePerSec } : {}),
      });
    },
    purge: (topic, positions) =>
      call<{ removed: number }>('POST', `api/topics/${enc(topic)}/purge`, positions !== undefined ? { positions } : {}),
    app: () => call<AppView>('GET', 'api/app'),
    close: async () => {},
  };
}

function codeFor(status: number): ExitCode {
  if (status === 404) return EXIT.notFound;
  if (status === 400 || status === 413) return EXIT.usage;
  return EXIT.failure;
}

function explain(status: number, message: string, url: string, path: string): string {
  switch (status) {
    case 401:
      return `the app at ${url} refused the write (401: ${message}); pass its token with --token or PARTITA_ADMIN_TOKEN`;
    case 404:
      return `not found at ${url} (${message})`;
    case 501:
      return `the app at ${url} cannot do this: ${message} (its transport has no admin side)`;
    case 413:
      return `the request to ${url}/${path.split('?')[0]} is too large (${message}); send fewer records at once`;
    default:
      return `the app at ${url} answered ${status}: ${message}`;
  }
}

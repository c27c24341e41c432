import {
  NonRetryableError,
  createApp,
  createConsoleLogger,
  defineHandler,
  type App,
  type Message,
  type Transport,
} from '@partita/core';
import { createMemoryBroker, memoryTransport, type MemoryBroker } from '@partita/memory';
import { serve, type ServedApp } from '../index.js';

export const TOKEN = 'test-admin-token-0123456789';

/** What the test app's handlers saw: per group, the values handled (poison ones included when they succeed). */
export interface AdminTestApp {
  readonly app: App;
  readonly broker: MemoryBroker;
  readonly server: ServedApp;
  readonly topic: string;
  readonly handled: { readonly billing: string[]; readonly audit: string[] };
  /** Values `billing` fails (NonRetryableError) while true. */
  readonly poison: { failing: boolean };
  close(): Promise<void>;
}

/**
 * A running memory app with two groups on one topic (`billing` dead-letters
 * values starting with "poison" while `poison.failing`, `audit` handles all),
 * served with the admin API.
 */
export async function adminTestApp(
  opts: { token?: string; transport?: (t: Transport) => Transport; partitions?: number } = {},
): Promise<AdminTestApp> {
  const broker = createMemoryBroker({ defaultPartitions: opts.partitions ?? 2 });
  const topic = `orders-${Math.random().toString(36).slice(2, 8)}`;
  const handled = { billing: [] as string[], audit: [] as string[] };
  const poison = { failing: true };
  const base = memoryTransport(broker);
  const transport = opts.transport ? opts.transport(base) : base;
  const app = createApp({
    transport,
    logger: createConsoleLogger({ level: 'silent' }),
    handlers: [
      defineHandler<string>({
        name: 'billing',
        topic,
        handle: (m: Message<string>) => {
          if (poison.failing && m.value.startsWith('poison')) throw new NonRetryableError(`cannot bill ${m.value}`);
          handled.billing.push(m.value);
        },
      }),
      defineHandler<string>({
        name: 'audit',
        topic,
        handle: (m: Message<string>) => {
          handled.audit.push(m.value);
        },
      }),
    ],
  });
  const server = await serve(app, {
    port: 0,
    admin: { transport, ...(opts.token !== undefined ? { token: opts.token } : {}) },
  });
  await app.start();
  return {
    app,
    broker,
    server,
    topic,
    handled,
    poison,
    close: async () => {
      await server.close();
      await app.stop({ drainTimeoutMs: 1000 });
      await broker.close();
    },
  };
}

/** An error answer of the admin API. */
export interface ErrorBody {
  readonly error: { readonly name: string; readonly message: string };
}

/** A JSON request to the admin API: status and parsed body (typed `T` by the caller). */
export async function call<T = ErrorBody>(
  url: string,
  path: string,
  init: { method?: string; body?: unknown; token?: string | null; headers?: Record<string, string> } = {},
): Promise<{ status: number; body: T }> {
  const headers: Record<string, string> = { ...init.headers };
  if (init.body !== undefined) headers['content-type'] ??= 'application/json';
  if (init.token !== null && init.token !== undefined) headers.authorization = `Bearer ${init.token}`;
  const res = await fetch(`${url}${path}`, {
    method: init.method ?? (init.body !== undefined ? 'POST' : 'GET'),
    headers,
    ...(init.body !== undefined ? { body: typeof init.body === 'string' ? init.body : JSON.stringify(init.body) } : {}),
  });
  const text = await res.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // not JSON: keep the text
  }
  return { status: res.status, body: body as T };
}

/** Poll `probe` until it returns a value (not undefined) or the deadline passes. */
export async function until<T>(
  what: string,
  probe: () => Promise<T | undefined> | T | undefined,
  ms = 20_000,
): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

import type { IncomingMessage } from 'node:http';
import {
  hasAdmin,
  recordJson,
  redact,
  redriveDeadLetters,
  type AdminTransport,
  type App,
  type LaneSelector,
  type Transport,
  type TransportAdmin,
} from '@partita/core';
import { publishBody, purgeBody, recordsQuery, redriveBody } from './admin-input.js';
import type { ResolvedAdmin } from './admin-options.js';
import { findRecords } from './find-records.js';
import { HttpError, badRequest } from './http-error.js';
import { readJsonBody } from './json-body.js';
import { laneMachineShape } from './lane-machine-shape.js';

/** What a route gets: its path parameters (decoded), the query, and the body reader (writes only). */
export interface RouteInput {
  readonly params: readonly string[];
  readonly query: URLSearchParams;
  readonly body: () => Promise<Record<string, unknown>>;
}

export interface AdminRoute {
  readonly method: 'GET' | 'POST';
  readonly path: RegExp;
  /** Needs the bearer token (changes something). */
  readonly write: boolean;
  run(input: RouteInput): Promise<unknown>;
}

const HEALTH_TTL_MS = 1000;
const TOPIC = '([^/]+)';

/** The admin API's routes (see admin-http-contract / README). */
export function adminRoutes(app: App, admin: ResolvedAdmin): AdminRoute[] {
  const transport = admin.transport;
  const adminSide = (): TransportAdmin => {
    if (!hasAdmin(transport))
      throw new HttpError(
        501,
        'NotImplemented',
        `transport "${transport.name}" has no admin side (transport.admin): topics, lag, records, redrive and purge need a connector that offers it`,
      );
    return transport.admin;
  };
  // app.health() may ask the broker (Kafka: metadata and offsets); dashboards poll, so it is kept for a second.
  let health: { at: number; value: Promise<unknown> } | undefined;
  const cachedHealth = (): Promise<unknown> => {
    const now = Date.now();
    if (health === undefined || now - health.at > HEALTH_TTL_MS) {
      const value = app.health().then(({ lanes: _lanes, ...rest }) => rest);
      health = { at: now, value };
      value.catch(() => (health = undefined));
    }
    return health.value;
  };
  const selector = (input: RouteInput): Promise<LaneSelector> => input.body();

  return [
    {
      method: 'GET',
      path: /^\/api\/app$/,
      write: false,
      run: async () => {
        const snap = app.inspect();
        return redact({
          state: snap.state,
          transport: transport.name,
          lanes: snap.lanes,
          metrics: snap.metrics,
          executor: snap.executor ?? null,
          health: await cachedHealth(),
        });
      },
    },
    {
      method: 'GET',
      path: /^\/api\/lane-machine$/,
      write: false,
      run: () => Promise.resolve({ regions: laneMachineShape() }),
    },
    { method: 'GET', path: /^\/api\/topics$/, write: false, run: async () => ({ topics: await adminSide().topics() }) },
    {
      method: 'GET',
      path: /^\/api\/lag$/,
      write: false,
      run: async ({ query }) => {
        for (const k of query.keys())
          if (k !== 'group') throw badRequest(`unknown query parameter "${k}"; expected group`);
        const group = query.get('group');
        if (group === '') throw badRequest('query "group" must be a non-empty group name');
        return { lag: await adminSide().lag(group ?? undefined) };
      },
    },
    {
      method: 'GET',
      path: new RegExp(`^/api/topics/${TOPIC}/records$`),
      write: false,
      run: async ({ params, query }) => {
        const { read, filter } = recordsQuery(query);
        const found = await findRecords(adminSide(), params[0]!, read, filter);
        return { records: found.records.map(recordJson), scanned: found.scanned, complete: found.complete };
      },
    },
    {
      method: 'POST',
      path: new RegExp(`^/api/topics/${TOPIC}/records$`),
      write: true,
      run: async ({ params, body }) => {
        const records = publishBody(params[0]!, await body());
        await transport.publish(records);
        return { published: records.length };
      },
    },
    {
      method: 'POST',
      path: new RegExp(`^/api/dead-letters/${TOPIC}/redrive$`),
      write: true,
      run: async ({ params, body }) => {
        const admin = adminSide();
        const input = redriveBody(await body());
        const withAdmin = transport as Transport & AdminTransport;
        return redriveDeadLetters({ publish: (r) => withAdmin.publish(r), admin }, { topic: params[0]!, ...input });
      },
    },
    {
      method: 'POST',
      path: new RegExp(`^/api/topics/${TOPIC}/purge$`),
      write: true,
      run: async ({ params, body }) => {
        const admin = adminSide();
        const positions = purgeBody(await body());
        return admin.purge(params[0]!, positions);
      },
    },
    {
      method: 'POST',
      path: /^\/api\/lanes\/pause$/,
      write: true,
      run: async (input) => ({ lanes: app.pauseLane(await selector(input)) }),
    },
    {
      method: 'POST',
      path: /^\/api\/lanes\/resume$/,
      write: true,
      run: async (input) => ({ lanes: app.resumeLane(await selector(input)) }),
    },
  ];
}

/** The body reader a route gets. */
export const bodyOf = (req: IncomingMessage) => () => readJsonBody(req);

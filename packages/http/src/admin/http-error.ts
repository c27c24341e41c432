import type { ServerResponse } from 'node:http';
import {
  ConfigError,
  InvalidTopicError,
  LaneNotFoundError,
  PartitaError,
  TopicNotFoundError,
  UnsupportedFeatureError,
  redact,
} from '@partita/core';

/** An error answer of the admin API with its status: `{ error: { name, message } }`. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    name: string,
    message: string,
  ) {
    super(message);
    this.name = name;
  }
}

/** 400: the input is invalid; `message` names the field and the fix. */
export const badRequest = (message: string): HttpError => new HttpError(400, 'BadRequest', message);

/** The status an error of the admin routes answers with: 404 for what does not exist, 400 for bad input, else 500. */
export function errorStatus(err: unknown): number {
  if (err instanceof HttpError) return err.status;
  if (err instanceof TopicNotFoundError || err instanceof LaneNotFoundError) return 404;
  if (err instanceof ConfigError || err instanceof InvalidTopicError || err instanceof UnsupportedFeatureError)
    return 400;
  return 500;
}

/** The JSON body of an error answer (redacted: no credential reaches a client). */
export function errorBody(err: unknown): string {
  const e = err instanceof Error ? err : new Error(String(err));
  const name =
    e instanceof PartitaError || e instanceof HttpError ? e.name : errorStatus(err) === 500 ? 'Error' : e.name;
  return JSON.stringify({ error: redact({ name, message: e.message }) });
}

/** Send an error answer. */
export function sendError(res: ServerResponse, err: unknown, headers: Record<string, string> = {}): void {
  const body = errorBody(err);
  if (res.headersSent) {
    res.destroy();
    return;
  }
  res.writeHead(errorStatus(err), {
    'content-type': 'application/json; charset=utf-8',
    'cache-control': 'no-store',
    ...headers,
  });
  res.end(body);
}

import type { IncomingMessage } from 'node:http';
import { HttpError, badRequest } from './http-error.js';

/** The largest request body the admin API reads: 1 MiB. */
export const MAX_BODY_BYTES = 1024 * 1024;

const tooLarge = (): HttpError =>
  new HttpError(
    413,
    'PayloadTooLarge',
    `request body is over ${MAX_BODY_BYTES} bytes (1 MiB); send fewer records per request`,
  );

/**
 * Read a JSON object body of at most `limit` bytes: 413 past it (from
 * `content-length` before anything is read, or while reading), 400 when the
 * content type is not `application/json` or the text is not a JSON object.
 */
export async function readJsonBody(req: IncomingMessage, limit = MAX_BODY_BYTES): Promise<Record<string, unknown>> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit) throw tooLarge();
  const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  if (type !== 'application/json')
    throw badRequest(`content-type must be application/json (got ${JSON.stringify(type || '(none)')})`);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) throw tooLarge();
    chunks.push(chunk);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch (err) {
    throw badRequest(`body is not valid JSON: ${(err as Error).message}`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
    throw badRequest('body must be a JSON object, e.g. {}');
  return parsed as Record<string, unknown>;
}

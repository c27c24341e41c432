import { createHash, timingSafeEqual } from 'node:crypto';

const digest = (text: string): Buffer => createHash('sha256').update(text, 'utf8').digest();

/**
 * Whether an `authorization` header carries `Bearer <token>`. The compare
 * takes the same time whatever the header holds (both sides are hashed to
 * equal lengths, then compared with `timingSafeEqual`), so timing tells an
 * attacker nothing about the token.
 */
export function bearerMatches(header: string | undefined, token: string): boolean {
  const m = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(header ?? '');
  const given = m?.[1] ?? '';
  // Compare even when the header is missing, so both paths cost the same.
  return timingSafeEqual(digest(given), digest(token)) && m !== null;
}

import { createHash } from 'node:crypto';

/** The CPU-heavy part: `rounds` chained SHA-256 digests of the document (stands for image or hash work). */
export function proofOfWork(document: string, rounds: number): string {
  let digest = createHash('sha256').update(document).digest();
  for (let i = 1; i < rounds; i++) digest = createHash('sha256').update(digest).digest();
  return digest.toString('hex');
}

/** SHA-256 rounds per message: about 10 ms of CPU on a laptop-class core. */
export const ROUNDS = 20_000;

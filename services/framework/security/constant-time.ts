/**
 * Secret comparison that takes the same time whatever the inputs: both sides are hashed
 * with SHA-256 first, so `timingSafeEqual` always compares 32 bytes and neither the
 * length of the secret nor the position of the first wrong character leaks.
 *
 * @example
 *   if (!constantTimeEqual(presented, expected)) throw new AppError('UNAUTHENTICATED', '…');
 */
import { createHash, timingSafeEqual } from 'node:crypto';

const digest = (value: string): Buffer => createHash('sha256').update(value, 'utf8').digest();

export function constantTimeEqual(presented: string, expected: string): boolean {
  return timingSafeEqual(digest(presented), digest(expected));
}

import { createHash, timingSafeEqual } from 'node:crypto';

/**
 * Compare a presented secret with the configured one in time that does not depend on where they
 * differ (a hostile local client could otherwise time its guesses). Both sides are hashed first so
 * that lengths differ in nothing but the answer.
 */
export function secretEquals(presented: string, expected: string): boolean {
  const a = createHash('sha256').update(presented, 'utf8').digest();
  const b = createHash('sha256').update(expected, 'utf8').digest();
  return timingSafeEqual(a, b) && presented.length === expected.length;
}

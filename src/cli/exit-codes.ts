import type { ErrorKind } from '../errors.js';

/** The one table of exit codes; README documents the same numbers. */
export const EXIT = {
  ok: 0,
  /** Some artifacts failed, the rest are done and verified. */
  partial: 1,
  usage: 2,
  auth: 3,
  integrity: 4,
  network: 5,
  disk: 6,
  busy: 7,
  remote: 8,
  /** An error we did not anticipate: a bug. */
  internal: 70,
  interrupted: 130,
} as const;

export function exitCodeFor(kind: ErrorKind): number {
  return EXIT[kind];
}

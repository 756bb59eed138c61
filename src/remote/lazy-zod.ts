/**
 * zod, loaded on first use. Left only for the lock file (pipeline/lock-file.ts): the remote
 * answers are checked by hand (json-checks.ts, where the measurement that chose that is), and
 * the lock is the last zod load on a zero-request rerun, to be converted the same way.
 */
import type { z as Zod } from 'zod';

export type ZodNamespace = typeof Zod;

let loading: Promise<ZodNamespace> | null = null;

export function loadZod(): Promise<ZodNamespace> {
  loading ??= import('zod').then((m) => m.z);
  return loading;
}

/** Schemas built once, on first use: `const schemas = lazySchemas((z) => ({ item: z.object(…) }))`. */
export function lazySchemas<T>(build: (z: ZodNamespace) => T): () => Promise<T> {
  let built: T | undefined;
  return async () => (built ??= build(await loadZod()));
}

/**
 * zod, loaded on first use. Importing it costs ~70 ms of main-thread time at start-up; a run
 * loads it while its first request is on the wire instead of before sending it, and a command
 * that validates nothing (a rerun with nothing to parse yet, `--help`) does not load it at all.
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

import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { z as Zod } from 'zod';
import { UsageError } from '../../errors.js';
import { checkNumber, NUMERIC_SETTINGS } from './numeric-settings.js';

/**
 * `bcss.config.json`: the same settings as the flags, camelCased. Built on first use: zod takes
 * ~70 ms to load, which every run without a config file (most of them) would pay at start-up.
 */
function buildConfigSchema(z: typeof Zod) {
  // Numbers are only type-checked here: their ranges live in numeric-settings.ts, one table for
  // flags, environment and this file.
  return z
    .object({
      out: z.string().min(1),
      components: z.union([z.string(), z.array(z.string())]),
      mpp: z.number(),
      mag: z.number(),
      base: z.boolean(),
      slides: z.union([z.string(), z.array(z.string())]),
      rois: z.string().min(1),
      apiUrl: z.string().url(),
      folderId: z.string().regex(/^[0-9a-f]{24}$/),
      figshareUrl: z.string().url(),
      figshareArticleId: z.number(),
      gdcUrl: z.string().url(),
      apiKey: z.string().min(1),
      gdcToken: z.string().min(1),
      figshareToken: z.string().min(1),
      maxJsonMb: z.number(),
      concurrency: z.number(),
      renderConcurrency: z.number(),
      figshareIntervalMs: z.number(),
      figshareConcurrency: z.number(),
      gdcConcurrency: z.number(),
      wsiDir: z.string().min(1),
      retries: z.number(),
      timeoutSeconds: z.number(),
      idleTimeoutSeconds: z.number(),
      encoding: z.enum(['png', 'jpeg']),
      maskAlign: z.enum(['resize', 'pad']),
      failFast: z.boolean(),
      progress: z.boolean(),
    })
    .partial()
    .strict();
}

export type ConfigFile = Zod.infer<ReturnType<typeof buildConfigSchema>>;

let schema: ReturnType<typeof buildConfigSchema> | undefined;

/** The config schema (loads zod on first use). */
export async function configSchema(): Promise<ReturnType<typeof buildConfigSchema>> {
  if (schema === undefined) schema = buildConfigSchema((await import('zod')).z);
  return schema;
}

export interface LoadedConfig {
  path: string | null;
  config: ConfigFile;
}

/**
 * An explicit `--config` (or BCSS_CONFIG) must exist; the implicit
 * `./bcss.config.json` is optional.
 */
export async function loadConfigFile(explicitPath: string | undefined, cwd: string): Promise<LoadedConfig> {
  const path = explicitPath ?? join(cwd, 'bcss.config.json');
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (explicitPath === undefined && code === 'ENOENT') return { path: null, config: {} };
    throw new UsageError(`cannot read config file ${path}: ${code ?? String(err)}`, {
      hint: 'Check the path given with --config or BCSS_CONFIG.',
    });
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new UsageError(`config file ${path} is not valid JSON: ${(err as Error).message}`, {
      hint: 'Fix the JSON (a trailing comma is a common cause) or remove the file.',
    });
  }
  const parsed = (await configSchema()).safeParse(raw);
  if (!parsed.success) {
    const problems = parsed.error.issues
      .map((i) => `  ${i.path.length > 0 ? i.path.join('.') : '(top level)'}: ${i.message}`)
      .join('\n');
    throw new UsageError(`config file ${path} has invalid settings:\n${problems}`, {
      hint: 'See `bcss download --help` for the accepted settings and their types.',
    });
  }
  // Ranges: the same table as flags and environment variables.
  for (const spec of Object.values(NUMERIC_SETTINGS)) {
    const value = (parsed.data as Record<string, unknown>)[spec.key];
    if (typeof value === 'number') checkNumber(spec, value, `${spec.key} in ${path}`);
  }
  return { path, config: parsed.data };
}

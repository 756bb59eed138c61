import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { UsageError } from '../../errors.js';
import { type Field, fieldIssues, isBoolean, isNonEmptyString, isNumber, isObject, isString, matches, oneOf } from '../../validation/checks.js';
import { checkNumber, NUMERIC_SETTINGS } from './numeric-settings.js';

/** `bcss.config.json`: the same settings as the flags, camelCased, all optional. */
// A type, not an interface: download-options.ts reads it as a string-keyed record.
export type ConfigFile = {
  out?: string;
  components?: string | string[];
  mpp?: number;
  mag?: number;
  base?: boolean;
  slides?: string | string[];
  rois?: string;
  apiUrl?: string;
  folderId?: string;
  figshareUrl?: string;
  figshareArticleId?: number;
  gdcUrl?: string;
  apiKey?: string;
  gdcToken?: string;
  figshareToken?: string;
  maxJsonMb?: number;
  concurrency?: number;
  renderConcurrency?: number;
  figshareIntervalMs?: number;
  figshareConcurrency?: number;
  gdcConcurrency?: number;
  wsiDir?: string;
  retries?: number;
  timeoutSeconds?: number;
  idleTimeoutSeconds?: number;
  encoding?: 'png' | 'jpeg';
  maskAlign?: 'resize' | 'pad';
  imageSource?: 'auto' | 'dsa' | 'wsi';
  failFast?: boolean;
  progress?: boolean;
};

const text: Field = { ok: isNonEmptyString, expected: 'a non-empty string' };
const url: Field = { ok: (v) => typeof v === 'string' && URL.canParse(v), expected: 'a URL' };
const list: Field = { ok: (v) => isString(v) || (Array.isArray(v) && v.every(isString)), expected: 'a string or an array of strings' };
const flag: Field = { ok: isBoolean, expected: 'true or false' };
// Numbers are only type-checked here: their ranges live in numeric-settings.ts, one table for
// flags, environment and this file.
const number: Field = { ok: isNumber, expected: 'a number' };

/** Every key a config file may hold (anything else is refused, so a typo is not silently ignored). */
const CONFIG_FIELDS: Readonly<Record<keyof ConfigFile, Field>> = {
  out: text,
  components: list,
  mpp: number,
  mag: number,
  base: flag,
  slides: list,
  rois: text,
  apiUrl: url,
  folderId: { ok: matches(/^[0-9a-f]{24}$/), expected: '24 lower-case hex digits' },
  figshareUrl: url,
  figshareArticleId: number,
  gdcUrl: url,
  apiKey: text,
  gdcToken: text,
  figshareToken: text,
  maxJsonMb: number,
  concurrency: number,
  renderConcurrency: number,
  figshareIntervalMs: number,
  figshareConcurrency: number,
  gdcConcurrency: number,
  wsiDir: text,
  retries: number,
  timeoutSeconds: number,
  idleTimeoutSeconds: number,
  encoding: { ok: oneOf(['png', 'jpeg']), expected: '"png" or "jpeg"' },
  maskAlign: { ok: oneOf(['resize', 'pad']), expected: '"resize" or "pad"' },
  imageSource: { ok: oneOf(['auto', 'dsa', 'wsi']), expected: '"auto", "dsa" or "wsi"' },
  failFast: flag,
  progress: flag,
};

/** Every problem of a parsed config file, one `key: …` line each. */
export function configIssues(raw: unknown): string[] {
  if (!isObject(raw)) return ['(top level): expected an object'];
  return fieldIssues(raw, CONFIG_FIELDS);
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
  const issues = configIssues(raw);
  if (issues.length > 0) {
    throw new UsageError(`config file ${path} has invalid settings:\n${issues.map((i) => `  ${i}`).join('\n')}`, {
      hint: 'See `bcss download --help` for the accepted settings and their types.',
    });
  }
  const config = raw as ConfigFile; // every key checked by configIssues
  // Ranges: the same table as flags and environment variables.
  for (const spec of Object.values(NUMERIC_SETTINGS)) {
    const value = (config as Record<string, unknown>)[spec.key];
    if (typeof value === 'number') checkNumber(spec, value, `${spec.key} in ${path}`);
  }
  return { path, config };
}

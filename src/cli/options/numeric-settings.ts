/**
 * The one table of numeric download settings: each has its flag, environment variable and
 * config key, its accepted range and unit. Flags, environment and config file are all checked
 * here, against the same range, and `--help` and the README state the same range. Pure.
 */
import { UsageError } from '../../errors.js';

export interface NumericSetting {
  /** The config file key (camelCase). */
  key: string;
  flag: string | null;
  env: string | null;
  min: number;
  /** True when `min` itself is not allowed (a resolution of 0 µm/px means nothing). */
  minExclusive?: boolean;
  max: number;
  integer: boolean;
  unit: string;
}

const setting = (s: NumericSetting): NumericSetting => s;

export const NUMERIC_SETTINGS = {
  mpp: setting({ key: 'mpp', flag: '--mpp', env: 'BCSS_MPP', min: 0, minExclusive: true, max: 100, integer: false, unit: 'micrometres per pixel' }),
  mag: setting({ key: 'mag', flag: '--mag', env: 'BCSS_MAG', min: 0, minExclusive: true, max: 400, integer: false, unit: '(objective power)' }),
  concurrency: setting({ key: 'concurrency', flag: '--concurrency', env: 'BCSS_CONCURRENCY', min: 1, max: 64, integer: true, unit: 'artifacts' }),
  renderConcurrency: setting({
    key: 'renderConcurrency', flag: '--render-concurrency', env: 'BCSS_RENDER_CONCURRENCY', min: 1, max: 64, integer: true, unit: 'renders',
  }),
  figshareIntervalMs: setting({
    key: 'figshareIntervalMs', flag: '--figshare-interval', env: 'BCSS_FIGSHARE_INTERVAL', min: 0, max: 60000, integer: true, unit: 'ms',
  }),
  figshareConcurrency: setting({
    key: 'figshareConcurrency', flag: '--figshare-concurrency', env: 'BCSS_FIGSHARE_CONCURRENCY', min: 1, max: 64, integer: true, unit: 'requests',
  }),
  gdcConcurrency: setting({
    key: 'gdcConcurrency', flag: '--gdc-concurrency', env: 'BCSS_GDC_CONCURRENCY', min: 1, max: 16, integer: true, unit: 'slides',
  }),
  retries: setting({ key: 'retries', flag: '--retries', env: 'BCSS_RETRIES', min: 0, max: 50, integer: true, unit: 'retries' }),
  timeoutSeconds: setting({ key: 'timeoutSeconds', flag: '--timeout', env: 'BCSS_TIMEOUT', min: 0, minExclusive: true, max: 86400, integer: false, unit: 's' }),
  idleTimeoutSeconds: setting({ key: 'idleTimeoutSeconds', flag: null, env: 'BCSS_IDLE_TIMEOUT', min: 0, minExclusive: true, max: 86400, integer: false, unit: 's' }),
  maxJsonMb: setting({ key: 'maxJsonMb', flag: '--max-json-mb', env: 'BCSS_MAX_JSON_MB', min: 1, max: 512, integer: true, unit: 'MB' }),
  figshareArticleId: setting({ key: 'figshareArticleId', flag: null, env: null, min: 1, max: 2 ** 31 - 1, integer: true, unit: '(figshare article id)' }),
} as const;

export type NumericKey = keyof typeof NUMERIC_SETTINGS;

/**
 * Numeric flags of the other commands (no environment variable or config key). `bcss prepare`'s
 * library entry points check the same ranges for callers that bypass the CLI; a test holds the
 * two to the same bounds.
 */
export const FLAG_NUMBERS = {
  port: setting({ key: 'port', flag: '--port', env: null, min: 0, max: 65535, integer: true, unit: '(0 picks a free port)' }),
  seed: setting({ key: 'seed', flag: '--seed', env: null, min: 0, max: Number.MAX_SAFE_INTEGER, integer: true, unit: '(seed)' }),
  scale: setting({ key: 'scale', flag: '--scale', env: null, min: 0, minExclusive: true, max: 1, integer: false, unit: '(shrink factor)' }),
  maxRegionPixels: setting({ key: 'maxRegionPixels', flag: '--max-region-pixels', env: null, min: 1, max: Number.MAX_SAFE_INTEGER, integer: true, unit: 'pixels' }),
  renderMemoryMb: setting({ key: 'renderMemoryMb', flag: '--render-memory-mb', env: null, min: 16, max: 1024 * 1024, integer: true, unit: 'MiB' }),
  size: setting({ key: 'size', flag: '--size', env: null, min: 1, max: 65535, integer: true, unit: 'px' }),
  stride: setting({ key: 'stride', flag: '--stride', env: null, min: 1, max: 65535, integer: true, unit: 'px' }),
  minRoiFraction: setting({ key: 'minRoiFraction', flag: '--min-roi-fraction', env: null, min: 0, max: 1, integer: false, unit: '(fraction of the tile)' }),
  maxWidth: setting({ key: 'maxWidth', flag: '--max-width', env: null, min: 16, max: 4096, integer: true, unit: 'px' }),
} as const;

export type FlagNumberKey = keyof typeof FLAG_NUMBERS;

/** A command flag's number, checked against its range; undefined when the flag was not given. */
export function flagNumber(key: FlagNumberKey, text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const s = FLAG_NUMBERS[key];
  return checkNumber(s, text, s.flag ?? s.key);
}

/** "an integer from 1 to 64 artifacts" / "a number greater than 0 and at most 100 micrometres per pixel". */
export function rangeText(s: NumericSetting): string {
  const kind = s.integer ? 'an integer' : 'a number';
  const range = s.minExclusive === true ? `greater than ${s.min} and at most ${s.max}` : `from ${s.min} to ${s.max}`;
  return `${kind} ${range} ${s.unit}`;
}

function inRange(s: NumericSetting, n: number): boolean {
  if (!Number.isFinite(n) || (s.integer && !Number.isInteger(n))) return false;
  return (s.minExclusive === true ? n > s.min : n >= s.min) && n <= s.max;
}

/**
 * Parses and range-checks one value. `source` names where it came from, as the user would write
 * it: `--mpp`, `BCSS_MPP=abc`, `mpp in bcss.config.json`.
 */
export function checkNumber(s: NumericSetting, raw: string | number, source: string): number {
  if (typeof raw === 'string' && raw.trim() === '') throw new UsageError(`${source} is empty; expected ${rangeText(s)}`);
  const n = typeof raw === 'number' ? raw : Number(raw.trim());
  if (!inRange(s, n)) {
    throw new UsageError(`${source} must be ${rangeText(s)}, got ${JSON.stringify(raw)}`, {
      hint: `Accepted: ${rangeText(s)}.`,
    });
  }
  return n;
}

/** Where a layered value came from, for messages. */
export type NumericLayer = 'flag' | 'env' | 'config';

export function sourceName(s: NumericSetting, layer: NumericLayer, raw: string | number, configPath: string | null): string {
  if (layer === 'flag') return s.flag ?? s.key;
  if (layer === 'env') return `${s.env ?? s.key}=${String(raw)}`;
  return `${s.key} in ${configPath ?? 'the config file'}`;
}

/**
 * The value of one setting: flag > environment > config file; undefined when none is set.
 * Empty environment variables count as unset.
 */
export function resolveNumber(
  s: NumericSetting,
  flag: string | undefined,
  env: Readonly<Record<string, string | undefined>>,
  config: Readonly<Record<string, unknown>>,
  configPath: string | null,
): number | undefined {
  const envText = s.env === null ? undefined : env[s.env];
  const layers: Array<[NumericLayer, string | number | undefined]> = [
    ['flag', flag],
    ['env', envText === undefined || envText.trim() === '' ? undefined : envText],
    ['config', config[s.key] as number | undefined],
  ];
  for (const [layer, raw] of layers) {
    if (raw === undefined) continue;
    return checkNumber(s, raw, sourceName(s, layer, raw, configPath));
  }
  return undefined;
}

/** For README / help: one line per setting. */
export function describeSettings(): string[] {
  return Object.values(NUMERIC_SETTINGS).map((s) =>
    [s.flag, s.env, s.key].filter((x) => x !== null).join(' / ') + `: ${rangeText(s)}`,
  );
}

/**
 * Small hand-written shape checks, shared by every JSON bcss parses (remote answers, the lock
 * file and journal, the config file, `serve --faults`). The project checks by hand rather than
 * with a schema library because loading one costs more CPU than a zero-request rerun spends on
 * its whole job; the measurement is in remote/json-checks.ts.
 *
 * Two styles, both naming the field (`a.b.c: expected …`):
 * - `run` + `get`/`objectAt`/`each`: stop at the first problem (answers, lock entries).
 * - `fieldIssues`: every problem of a flat object of optional settings, unknown keys refused
 *   (config file, fault options), so one edit fixes them all.
 */

export type Checked<T> = { ok: true; value: T } | { ok: false; issue: string };

export type Obj = Record<string, unknown>;

/** A test plus the words a message uses for what it wants. */
export interface Field {
  ok: (v: unknown) => boolean;
  expected: string;
}

export class ShapeError extends Error {}

export function isObject(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export const isString = (v: unknown): v is string => typeof v === 'string';
export const isNonEmptyString = (v: unknown): v is string => typeof v === 'string' && v.length > 0;
export const isBoolean = (v: unknown): v is boolean => typeof v === 'boolean';
export const isNumber = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
export const isInt = (v: unknown): v is number => Number.isSafeInteger(v);
export const isPositiveInt = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) > 0;
export const isNonNegativeInt = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) >= 0;
export const isNonNegative = (v: unknown): v is number => isNumber(v) && v >= 0;
export const isPositive = (v: unknown): v is number => isNumber(v) && v > 0;

export function matches(re: RegExp): (v: unknown) => v is string {
  return (v: unknown): v is string => typeof v === 'string' && re.test(v);
}

export function oneOf<T extends string | number>(values: readonly T[]): (v: unknown) => v is T {
  return (v: unknown): v is T => (values as readonly unknown[]).includes(v);
}

export function arrayOf<T>(ok: (v: unknown) => v is T): (v: unknown) => v is T[] {
  return (v: unknown): v is T[] => Array.isArray(v) && v.every(ok);
}

function shown(v: unknown): string {
  return v === undefined ? 'nothing' : (JSON.stringify(v)?.slice(0, 60) ?? typeof v);
}

/** Reads `obj[key]`, throwing a ShapeError naming `path.key` when `ok` refuses it. */
export function get<T>(obj: Obj, key: string, path: string, ok: (v: unknown) => boolean, expected: string): T {
  const v = obj[key];
  if (!ok(v)) throw new ShapeError(`${path}${key}: expected ${expected}, got ${shown(v)}`);
  return v as T;
}

/** Like `get`, but an absent key is fine (undefined). */
export function optional<T>(obj: Obj, key: string, path: string, ok: (v: unknown) => boolean, expected: string): T | undefined {
  return get<T | undefined>(obj, key, path, (v) => v === undefined || ok(v), expected);
}

export function run<T>(fn: () => T): Checked<T> {
  try {
    return { ok: true, value: fn() };
  } catch (err) {
    if (err instanceof ShapeError) return { ok: false, issue: err.message };
    throw err;
  }
}

export function each<T>(raw: unknown, one: (item: unknown, path: string) => T, path = ''): T[] {
  if (!Array.isArray(raw)) throw new ShapeError(`${path || '(root)'}: expected an array`);
  return raw.map((item, i) => one(item, `${path}${i}.`));
}

/** `raw` as an object; `path` names where it sits. */
export function objectAt(raw: unknown, path: string): Obj {
  if (!isObject(raw)) throw new ShapeError(`${path || '(root)'}: expected an object`);
  return raw;
}

/**
 * Every problem of `obj` against `fields` (all optional): a key not in `fields` is refused as
 * unrecognized, a present key must pass its test. Messages are `path.key: …`.
 */
export function fieldIssues(obj: Obj, fields: Readonly<Record<string, Field>>, path = ''): string[] {
  const issues: string[] = [];
  for (const [key, v] of Object.entries(obj)) {
    const field = Object.hasOwn(fields, key) ? fields[key] : undefined;
    if (field === undefined) issues.push(`${path}${key}: unrecognized key`);
    else if (v !== undefined && !field.ok(v)) issues.push(`${path}${key}: expected ${field.expected}, got ${shown(v)}`);
  }
  return issues;
}

/** `o` without its undefined-valued keys: an absent optional field stays absent, as in the input. */
export function compact<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}

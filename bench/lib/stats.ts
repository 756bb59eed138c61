/** Median with min–max over repeated runs: the figure every scenario reports. */
export interface Spread {
  median: number;
  min: number;
  max: number;
  runs: number;
}

/** Median (mean of the middle two for an even count), min and max of `values`. */
export function spread(values: readonly number[]): Spread {
  if (values.length === 0) throw new RangeError('spread: expected at least one value but received none');
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  const median = sorted.length % 2 === 1 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
  return { median, min: sorted[0] as number, max: sorted[sorted.length - 1] as number, runs: sorted.length };
}

/** `1.23 (1.10–1.40)`, or just `1.23` for a single run. */
export function formatSpread(s: Spread | null, digits = 2, unit = ''): string {
  if (s === null) return 'n/a';
  const f = (x: number): string => x.toFixed(digits);
  if (s.runs === 1 || s.min === s.max) return `${f(s.median)}${unit}`;
  return `${f(s.median)}${unit} (${f(s.min)}–${f(s.max)})`;
}

/** Spread of a field that may be missing (e.g. RSS without /usr/bin/time): null if any run lacks it. */
export function spreadOrNull(values: readonly (number | null)[]): Spread | null {
  if (values.length === 0 || values.some((v) => v === null)) return null;
  return spread(values as number[]);
}

import { readFileSync } from 'node:fs';

let cached: string | undefined;

/**
 * The package version for the lock and generated files. Read from package.json beside `src/`
 * or `dist/` (both two levels up from this module), read once, "unknown" if unreadable.
 */
export function toolVersion(): string {
  if (cached !== undefined) return cached;
  try {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version?: unknown };
    cached = typeof pkg.version === 'string' ? pkg.version : 'unknown';
  } catch {
    cached = 'unknown';
  }
  return cached;
}

import { fileURLToPath } from 'node:url';
import { join } from 'node:path';

/** The repository root (test/helpers/harness → ../../..). */
export const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));

/** The built CLI; needs `npm run build` (the bench builds first unless told not to). */
export const CLI_BIN = join(REPO_ROOT, 'bin', 'bcss.js');

/**
 * The environment for measured clients: the caller's, minus every `BCSS_*` setting, so a
 * developer's own configuration cannot change what is measured.
 */
export function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('BCSS_')) env[k] = v;
  return { ...env, ...extra };
}

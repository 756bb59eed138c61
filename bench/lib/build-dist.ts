import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from '../../test/helpers/harness/repo.js';

/** `npx tsc -p tsconfig.build.json`: the benches measure bin/bcss.js, i.e. dist/. */
export function buildDist(progress: (s: string) => void): void {
  progress('building dist/ (npx tsc -p tsconfig.build.json)…');
  const r = spawnSync('npx', ['tsc', '-p', 'tsconfig.build.json'], { cwd: REPO_ROOT, encoding: 'utf8' });
  // tsc still emits on type errors; a missing CLI entry point is what makes a bench impossible.
  if (r.status !== 0) progress(`  tsc reported errors (dist/ was still emitted):\n${(r.stdout + r.stderr).trim().split('\n').slice(0, 8).join('\n')}`);
  if (!existsSync(join(REPO_ROOT, 'dist', 'cli', 'main.js'))) throw new Error('dist/cli/main.js is missing after the build');
}

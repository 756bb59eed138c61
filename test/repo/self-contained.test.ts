// The repository must stand alone: a fresh clone with nothing beside it has to pass its own
// tests, benchmarks and scripts. A path that climbs out of the checkout works only on machines
// that happen to have the same neighbours, so no source file may name one.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const ROOTS = ['src', 'test', 'bench', 'scripts', 'bin', '.ci'];
const SOURCE = /\.(ts|mts|cts|js|mjs|cjs|sh|json)$|^run$/;

function walk(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    if (name === 'node_modules') continue;
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...walk(p));
    else if (SOURCE.test(name)) out.push(p);
  }
  return out;
}

/** The sibling folder development machines have and users do not (spelt in parts so this file does not name it). */
const SIBLING = ['..', 'shar' + 'ed'].join('/');

/** Every `'../…'` string literal or template head in `text`, resolved from `file`'s folder. */
export function escapingPaths(file: string, text: string): string[] {
  const found: string[] = [];
  // The sibling folder that development machines have and users do not.
  if (text.includes(SIBLING)) found.push(SIBLING);
  // Background documents the project does not ship: comments must point into docs/ instead.
  for (const m of text.matchAll(/\b(remote-services|bcss-dataset|imaging-notes|prior-art)\.md\b/g)) found.push(m[0]);
  // Relative paths in string literals: imports and path joins. Resolve each from the file's
  // folder (and, for path.resolve(repoRoot, …) style joins, from the repository root) and
  // flag those that leave the checkout from both.
  for (const m of text.matchAll(/['"`]((?:\.\.\/)+[^'"`\s$]*)['"`$]/g)) {
    const rel = m[1]!;
    // Bases: the file's folder (imports), the file itself (`resolve(fileURLToPath(import.meta.url), '../..')`)
    // and the repository root (`resolve(repoRoot, …)`).
    const inside = (p: string): boolean => p === repoRoot || p.startsWith(repoRoot + sep);
    const bases = [dirname(file), file, repoRoot];
    if (!bases.some((b) => inside(resolve(b, rel)))) found.push(rel);
  }
  return found;
}

test('no file under src/, test/, bench/, scripts/, bin/ or .ci/ names a path outside the repository', () => {
  const offenders: string[] = [];
  for (const root of ROOTS) {
    let files: string[];
    try {
      files = walk(join(repoRoot, root));
    } catch {
      continue;
    }
    for (const f of files) {
      if (f === fileURLToPath(import.meta.url)) continue; // its own examples below
      for (const p of escapingPaths(f, readFileSync(f, 'utf8'))) offenders.push(`${relative(repoRoot, f)}: ${p}`);
    }
  }
  assert.deepEqual(offenders, [], 'these files reach outside the checkout; ship what they need inside the repo');
});

test('the checker flags a sibling folder and a climb above the root, and accepts in-repo paths', () => {
  const file = join(repoRoot, 'test', 'slides', 'fixtures.ts');
  assert.deepEqual(escapingPaths(file, `resolve(repoRoot, '${SIBLING}/data/x.svs')`).includes(SIBLING), true);
  assert.deepEqual(escapingPaths(file, "import x from '../../../../outside.js'"), ['../../../../outside.js']);
  assert.deepEqual(escapingPaths(file, "import x from '../../src/index.js'"), []);
  assert.deepEqual(escapingPaths(file, "resolve(here, '../..')"), []);
  assert.deepEqual(escapingPaths(file, '// see remote-services.md A10'), ['remote-services.md']);
  assert.deepEqual(escapingPaths(file, '// see docs/protocols.md'), []);
});

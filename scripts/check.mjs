#!/usr/bin/env node
// Typecheck and lint side by side, in two processes of about equal CPU on a 2-core machine:
//   - scripts/check-typed.mjs: the typecheck of tsconfig.json (everything tsc checks) and the
//     type-aware lint of src/, on one TypeScript program (built and checked once, not twice);
//   - ESLint over everything else (test/, bench/, scripts/, config files: untyped rules).
// Together they are exactly `tsc -p tsconfig.json --noEmit` and `eslint .`. Both outputs are
// shown whole, and the exit code is non-zero if either failed.
import { spawn } from 'node:child_process';

function run(name, args) {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    const chunks = [];
    child.stdout.on('data', (c) => chunks.push(c));
    child.stderr.on('data', (c) => chunks.push(c));
    child.on('close', (code) => resolve({ name, code: code ?? 1, output: Buffer.concat(chunks).toString('utf8') }));
  });
}

const t0 = Date.now();
const results = await Promise.all([
  run('typecheck + lint src/', ['scripts/check-typed.mjs']),
  run('lint (all but src/)', ['node_modules/eslint/bin/eslint.js', '.', '--ignore-pattern', 'src/**']),
]);
let failed = false;
for (const r of results) {
  process.stdout.write(r.output);
  console.log(`${r.name}: ${r.code === 0 ? 'ok' : `failed (exit ${r.code})`}`);
  failed ||= r.code !== 0;
}
console.log(`checks took ${((Date.now() - t0) / 1000).toFixed(1)} s`);
process.exit(failed ? 1 : 0);

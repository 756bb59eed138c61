#!/usr/bin/env node
// Typecheck and lint side by side: each is mostly one process waiting on its own CPU-bound
// pass, and on a 2-core machine running them together saves the shorter one's time. Both
// outputs are shown whole, and the exit code is non-zero if either failed.
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
  run('typecheck', ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.json', '--noEmit']),
  run('lint', ['node_modules/eslint/bin/eslint.js', '.']),
]);
let failed = false;
for (const r of results) {
  process.stdout.write(r.output);
  console.log(`${r.name}: ${r.code === 0 ? 'ok' : `failed (exit ${r.code})`}`);
  failed ||= r.code !== 0;
}
console.log(`checks took ${((Date.now() - t0) / 1000).toFixed(1)} s`);
process.exit(failed ? 1 : 0);

#!/usr/bin/env node
// `npm test`: the checks (scripts/check.mjs: typecheck and lint) and the tests
// (scripts/run-tests.mjs) side by side, on purpose. Run one after the other, the checks leave a
// core idle once the shorter lint is done (~15 s) and the tests leave both cores partly idle while
// they wait on servers, timers and child processes; side by side each fills the other's gaps.
// The tests' output streams as usual; the checks' output follows it whole. The exit code is
// non-zero if either failed, so a lint or type error fails `npm test` even when every test passes.
import { spawn } from 'node:child_process';

const t0 = Date.now();
const check = new Promise((resolve) => {
  const child = spawn(process.execPath, ['scripts/check.mjs'], { stdio: ['ignore', 'pipe', 'pipe'] });
  const chunks = [];
  child.stdout.on('data', (c) => chunks.push(c));
  child.stderr.on('data', (c) => chunks.push(c));
  child.on('close', (code) => resolve({ code: code ?? 1, output: Buffer.concat(chunks).toString('utf8') }));
});
const tests = new Promise((resolve) => {
  const child = spawn(process.execPath, ['scripts/run-tests.mjs', ...process.argv.slice(2)], { stdio: 'inherit' });
  child.on('close', (code) => resolve(code ?? 1));
});

const testCode = await tests;
const checked = await check;
process.stdout.write(`\n${checked.output}`);
console.log(`tests: ${testCode === 0 ? 'ok' : `failed (exit ${testCode})`}`);
console.log(`npm test took ${((Date.now() - t0) / 1000).toFixed(1)} s`);
process.exit(checked.code !== 0 ? checked.code : testCode);

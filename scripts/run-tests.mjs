#!/usr/bin/env node
// Node 20's `--test` does not expand globs, so collect the test files here and
// hand them to the built-in runner, whose closing summary (tests/pass/fail)
// is the standard one CI reads. Each test file runs in its own process with the
// small TypeScript loader of scripts/ts-loader.mjs (see there why not tsx).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

function collect(dir) {
  const out = [];
  for (const entry of readdirSync(dir)) {
    const p = join(dir, entry);
    if (statSync(p).isDirectory()) out.push(...collect(p));
    else if (entry.endsWith('.test.ts')) out.push(p);
  }
  return out;
}

const filters = process.argv.slice(2);
let files = collect('test').sort();
if (filters.length > 0) files = files.filter((f) => filters.some((x) => f.includes(x)));
if (files.length === 0) {
  console.error('no test files matched');
  process.exit(1);
}
// One demo cache for the whole run (test/helpers/demo-cache.ts): the slide files and masks that
// many test files serve are generated once, not once per file. Removed when the run ends.
const demoCache = mkdtempSync(join(tmpdir(), 'bcss-test-demo-cache-'));
let result;
try {
  result = spawnSync(
    process.execPath,
    ['--import', pathToFileURL(resolve('scripts/ts-loader.mjs')).href, '--test', '--test-reporter=spec', '--test-concurrency=2', ...files],
    { stdio: 'inherit', env: { ...process.env, BCSS_TEST_DEMO_CACHE: demoCache } },
  );
} finally {
  rmSync(demoCache, { recursive: true, force: true });
}
process.exit(result?.status ?? 1);

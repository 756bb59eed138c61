// `node --import ./scripts/ts-loader.mjs`: runs this repository's TypeScript for the test runner.
//
// tsx does the same job, but each test file is its own process, and in each one tsx's loader
// spends about 0.2 s of CPU on its own start-up and per-module work (~20 s of CPU over a test
// run, measured). The code here only needs two things, both done by ./ts-loader-hooks.mjs:
// `./x.js` specifiers in .ts files resolve to `./x.ts` (NodeNext style), and .ts files are
// stripped of their types by esbuild (the same transform tsx uses), cached on disk by content.
// Anything else (packages, .js, .mjs, JSON) goes to Node unchanged. Stack traces point into
// the .ts sources (inline source maps).
import { register } from 'node:module';

process.setSourceMapsEnabled(true);
register('./ts-loader-hooks.mjs', import.meta.url, { data: { tsx: import.meta.resolve('tsx') } });

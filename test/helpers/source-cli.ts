/**
 * How tests start the CLI from source in a child process: under scripts/ts-loader.mjs, the
 * TypeScript loader the test runner itself uses (tsx does the same job with more start-up CPU per
 * process; see there). Children that test real signals, exit codes or closed pipes stay real
 * processes; only what compiles them changes.
 */
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { CliLauncher } from './harness/drill-client.js';
import { REPO_ROOT } from './harness/repo.js';

/** `--import` this (a file URL, so the child's working folder does not matter). */
export const TEST_TS_LOADER = pathToFileURL(join(REPO_ROOT, 'scripts', 'ts-loader.mjs')).href;

/** The drills' launcher for tests: bench/lib/cli-entry.ts, as SOURCE_CLI, but under TEST_TS_LOADER. */
export const TEST_CLI: CliLauncher = {
  command: process.execPath,
  prefixArgs: ['--import', TEST_TS_LOADER, join(REPO_ROOT, 'bench', 'lib', 'cli-entry.ts')],
};

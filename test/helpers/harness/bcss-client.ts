/** Runs the built `bcss` CLI as a measured child process and parses its `--json` summary. */
import type { DownloadSummary, VerifyReport } from '../../../src/pipeline/types.js';
import { measureChild, type MeasuredRun } from './measure-child.js';
import { CLI_BIN, cleanEnv } from './repo.js';

export interface ServiceUrls {
  girder: string;
  figshare: string;
  gdc: string;
}

/** `bcss download` arguments against a bench server (JSON summary, no progress bars). */
export function downloadArgs(urls: ServiceUrls, roisPath: string, outDir: string, extra: readonly string[] = []): string[] {
  return [
    'download',
    '--api-url',
    urls.girder,
    '--figshare-url',
    urls.figshare,
    '--gdc-url',
    urls.gdc,
    '--rois',
    roisPath,
    '--out',
    outDir,
    '--json',
    '--no-progress',
    ...extra,
  ];
}

export interface ClientRun<T> {
  run: MeasuredRun;
  /** The parsed `--json` object, or null when stdout held none (crash, kill). */
  result: T | null;
}

/** The last top-level JSON object on stdout (the CLI prints exactly one with --json). */
export function parseJsonOutput<T>(stdout: string): T | null {
  const start = stdout.indexOf('{');
  if (start < 0) return null;
  try {
    return JSON.parse(stdout.slice(start)) as T;
  } catch {
    return null;
  }
}

export async function runBcss<T>(args: readonly string[], cwd: string, timeoutMs: number, nodeArgs: readonly string[] = []): Promise<ClientRun<T>> {
  const run = await measureChild(process.execPath, [...nodeArgs, CLI_BIN, ...args], { cwd, env: cleanEnv(), timeoutMs });
  return { run, result: parseJsonOutput<T>(run.stdout) };
}

export function runDownload(urls: ServiceUrls, roisPath: string, outDir: string, cwd: string, opts: { extra?: readonly string[]; timeoutMs?: number; nodeArgs?: readonly string[] } = {}): Promise<ClientRun<DownloadSummary>> {
  return runBcss<DownloadSummary>(downloadArgs(urls, roisPath, outDir, opts.extra), cwd, opts.timeoutMs ?? 30 * 60_000, opts.nodeArgs);
}

export function runVerify(outDir: string, cwd: string, timeoutMs = 10 * 60_000): Promise<ClientRun<VerifyReport>> {
  return runBcss<VerifyReport>(['verify', '--out', outDir, '--json'], cwd, timeoutMs);
}

/** Throws with the client's stderr when a run did not end with exit code 0. */
export function assertSucceeded(what: string, c: ClientRun<unknown>): void {
  if (c.run.exitCode === 0) return;
  const tail = c.run.stderr.trim().split('\n').slice(-15).join('\n');
  throw new Error(`${what}: bcss exited with ${c.run.exitCode ?? c.run.signal}\n${tail}`);
}

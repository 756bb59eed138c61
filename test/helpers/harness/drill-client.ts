/** A `bcss download` child for drills: not measured, but killable at a chosen moment. */
import { spawn } from 'node:child_process';
import type { DownloadSummary } from '../../../src/pipeline/types.js';
import { parseJsonOutput } from './bcss-client.js';
import { CLI_BIN, cleanEnv, REPO_ROOT } from './repo.js';
import { join } from 'node:path';

/** How to start the CLI: the built one (bench) or from source through tsx (tests). */
export interface CliLauncher {
  command: string;
  prefixArgs: string[];
}

export const BUILT_CLI: CliLauncher = { command: process.execPath, prefixArgs: [CLI_BIN] };
/** tsx resolved from the repository, since the child's working folder is a scratch folder. */
export const SOURCE_CLI: CliLauncher = {
  command: process.execPath,
  prefixArgs: ['--import', import.meta.resolve('tsx'), join(REPO_ROOT, 'bench', 'lib', 'cli-entry.ts')],
};

export interface DrillRun {
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  wallSeconds: number;
  stdout: string;
  stderr: string;
  summary: DownloadSummary | null;
  /** performance.now() when the child was killed (when `killAfterMs` fired). */
  killedAtMs: number | null;
}

export interface RunClientOptions {
  cwd: string;
  /** SIGKILL the client this long after the start… */
  killAfterMs?: number;
  /** …or when this settles (e.g. after the server saw a few completed fetches). */
  killWhen?: Promise<unknown>;
  timeoutMs?: number;
}

export function runClient(launcher: CliLauncher, args: readonly string[], opts: RunClientOptions): Promise<DrillRun> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(launcher.command, [...launcher.prefixArgs, ...args], { cwd: opts.cwd, env: cleanEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    let killedAtMs: number | null = null;
    let exited = false;
    const kill = (): void => {
      if (exited || killedAtMs !== null) return;
      killedAtMs = performance.now();
      child.kill('SIGKILL');
    };
    const timers: NodeJS.Timeout[] = [];
    if (opts.killAfterMs !== undefined) timers.push(setTimeout(kill, opts.killAfterMs));
    opts.killWhen?.then(kill, kill);
    timers.push(setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 10 * 60_000));
    child.on('error', reject);
    child.on('exit', () => {
      exited = true;
    });
    child.on('close', (code, signal) => {
      exited = true;
      for (const t of timers) clearTimeout(t);
      const stdout = Buffer.concat(out).toString('utf8');
      resolve({
        exitCode: code,
        signal,
        wallSeconds: (performance.now() - started) / 1000,
        stdout,
        stderr: Buffer.concat(err).toString('utf8'),
        summary: parseJsonOutput<DownloadSummary>(stdout),
        killedAtMs,
      });
    });
  });
}

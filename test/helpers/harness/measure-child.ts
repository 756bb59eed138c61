/**
 * Runs a client as a child process and measures it the way the issue asks: wall time, CPU
 * seconds (user + sys) and peak RSS. The measurement comes from GNU `/usr/bin/time -v`, which
 * reads the child's rusage after it exits (`wait4`): it covers the whole process tree's CPU but
 * the peak RSS of the largest single process, which for a Node client is the client itself.
 * Node cannot report a child's rusage itself, so without /usr/bin/time only wall time is known.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const GNU_TIME = '/usr/bin/time';

export interface MeasuredRun {
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  /** Measured here around spawn → exit (sub-millisecond resolution). */
  wallSeconds: number;
  userSeconds: number | null;
  sysSeconds: number | null;
  cpuSeconds: number | null;
  /** Peak resident set size of the child, MiB. */
  maxRssMiB: number | null;
  stdout: string;
  stderr: string;
}

export interface MeasureOptions {
  cwd: string;
  env: NodeJS.ProcessEnv;
  /** Kill the child (SIGKILL) after this long; the run then reports signal SIGKILL. */
  timeoutMs?: number;
}

export function canMeasureResources(): boolean {
  return existsSync(GNU_TIME);
}

/** Parse the fields of `time -v` we use. Exported for a unit check of the format. */
export function parseGnuTime(text: string): { user: number; sys: number; maxRssKiB: number } | null {
  const num = (label: string): number | null => {
    const m = new RegExp(`^\\s*${label}:\\s*([0-9.]+)\\s*$`, 'm').exec(text);
    return m?.[1] === undefined ? null : Number(m[1]);
  };
  const user = num('User time \\(seconds\\)');
  const sys = num('System time \\(seconds\\)');
  const rss = num('Maximum resident set size \\(kbytes\\)');
  if (user === null || sys === null || rss === null) return null;
  return { user, sys, maxRssKiB: rss };
}

export async function measureChild(command: string, args: readonly string[], options: MeasureOptions): Promise<MeasuredRun> {
  const useTime = canMeasureResources();
  const dir = await mkdtemp(join(tmpdir(), 'bcss-time-'));
  const timeFile = join(dir, 'time.txt');
  const argv = useTime ? ['-v', '-o', timeFile, command, ...args] : [...args];
  const file = useTime ? GNU_TIME : command;
  try {
    const started = performance.now();
    // Its own process group, so a timeout can kill `time` and the client together.
    const child = spawn(file, argv, { cwd: options.cwd, env: options.env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    let timer: NodeJS.Timeout | undefined;
    if (options.timeoutMs !== undefined) {
      timer = setTimeout(() => {
        if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
      }, options.timeoutMs);
    }
    const { code, signal } = await new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve, reject) => {
      child.on('error', reject);
      child.on('close', (c, s) => resolve({ code: c, signal: s }));
    });
    if (timer !== undefined) clearTimeout(timer);
    const wallSeconds = (performance.now() - started) / 1000;
    const stderr = Buffer.concat(err).toString('utf8');
    let usage: ReturnType<typeof parseGnuTime> = null;
    let exitCode = code;
    if (useTime) {
      const text = await readFile(timeFile, 'utf8').catch(() => '');
      usage = parseGnuTime(text);
      // `time` exits with the child's status; "Command terminated by signal N" means a signal.
      const sig = /Command terminated by signal (\d+)/.exec(text);
      if (sig !== null) exitCode = null;
    }
    return {
      exitCode,
      signal,
      wallSeconds,
      userSeconds: usage?.user ?? null,
      sysSeconds: usage?.sys ?? null,
      cpuSeconds: usage === null ? null : usage.user + usage.sys,
      maxRssMiB: usage === null ? null : usage.maxRssKiB / 1024,
      stdout: Buffer.concat(out).toString('utf8'),
      stderr,
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

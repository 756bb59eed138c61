/**
 * `logs/<timestamp>.log`: one plain-text log per run, one line per event, every line passed
 * through the redactor (no secrets even if a message carried one). Writes are batched.
 */
import { open, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { ensureDir } from '../storage/atomic-file.js';
import { toDiskError } from '../storage/disk-error.js';
import { fileTimestamp } from './lock-file.js';
import type { PipelineEvent } from './types.js';

export interface RunLog {
  readonly path: string;
  line(level: string, text: string): void;
  event(event: PipelineEvent): void;
  close(): Promise<void>;
}

/** Buffered log text is written after this long at the latest, or once this much is waiting. */
const FLUSH_MS = 250;
const FLUSH_BYTES = 64 * 1024;

export function formatEvent(e: PipelineEvent): [string, string] {
  switch (e.type) {
    case 'plan':
      return ['info', `plan: ${e.total} artifacts, ${e.toFetch} to fetch, ${e.skipped} already done`];
    case 'artifact-start':
      return ['info', `start ${e.kind} ${e.path}`];
    case 'artifact-done':
      return ['info', `${e.status} ${e.kind} ${e.path} (${e.bytes} bytes)`];
    case 'artifact-failed':
      return ['error', `FAILED ${e.kind} ${e.path}: ${e.reason}`];
    case 'bytes':
      return ['debug', `bytes ${e.bytes}`];
    case 'retry':
      return ['warn', `retry ${e.attempt} of ${e.url} in ${e.delayMs} ms: ${e.reason}`];
    case 'log':
      return [e.level, e.message];
  }
}

export async function openRunLog(outDir: string, started: Date, redact: (text: string) => string, now: () => Date = () => new Date()): Promise<RunLog> {
  const dir = join(outDir, 'logs');
  await ensureDir(dir);
  let handle: FileHandle | undefined;
  let path = '';
  for (let n = 0; handle === undefined; n++) {
    path = join(dir, `${fileTimestamp(started)}${n === 0 ? '' : `-${n}`}.log`);
    try {
      handle = await open(path, 'wx', 0o644);
    } catch (err) {
      if ((err as { code?: unknown }).code !== 'EEXIST' || n > 100) throw toDiskError(err, path, 'create the run log');
    }
  }
  const fh = handle;
  // Lines are buffered and written at most every FLUSH_MS (or once 64 KiB are waiting), so a busy
  // run makes a few dozen writes instead of one per line. Order is kept; the log is best effort
  // and never fails the run (a kill -9 may lose its last fraction of a second).
  let buffered: string[] = [];
  let bufferedBytes = 0;
  let writing: Promise<void> | null = null;
  let timer: NodeJS.Timeout | null = null;
  let closed = false;
  const pump = (): void => {
    if (timer !== null) {
      clearTimeout(timer);
      timer = null;
    }
    if (writing !== null || buffered.length === 0) return;
    const text = buffered.join('');
    buffered = [];
    bufferedBytes = 0;
    writing = fh
      .write(text)
      .then(
        () => undefined,
        () => undefined,
      )
      .finally(() => {
        writing = null;
        if (bufferedBytes >= FLUSH_BYTES || closed) pump();
        else schedule();
      });
  };
  const schedule = (): void => {
    if (timer !== null || buffered.length === 0) return;
    timer = setTimeout(pump, FLUSH_MS);
    timer.unref();
  };
  const write = (level: string, text: string): void => {
    if (closed) return;
    const line = `${now().toISOString()} ${level.padEnd(5)} ${redact(text).replace(/[\r\n]+/g, ' ')}\n`;
    buffered.push(line);
    bufferedBytes += line.length;
    if (bufferedBytes >= FLUSH_BYTES) pump();
    else schedule();
  };
  return {
    path,
    line: write,
    event(e) {
      if (e.type === 'bytes') return; // too chatty for a log; totals go in the summary line
      const [level, text] = formatEvent(e);
      write(level, text);
    },
    async close() {
      if (closed) return;
      closed = true;
      pump();
      while (writing !== null) await writing;
      await fh.sync().catch(() => undefined);
      await fh.close();
    },
  };
}

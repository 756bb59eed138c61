/**
 * `logs/<timestamp>.log`: one plain-text log per run, one line per event, every line passed
 * through the redactor (no secrets even if a message carried one).
 */
import { open, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { ensureDir } from '../transfer/atomic-file.js';
import { toDiskError } from '../transfer/disk-error.js';
import { fileTimestamp } from './lock-file.js';
import type { PipelineEvent } from './types.js';

export interface RunLog {
  readonly path: string;
  line(level: string, text: string): void;
  event(event: PipelineEvent): void;
  close(): Promise<void>;
}

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
  // Appends are chained so lines keep their order; the log is best effort and never fails the run.
  let chain: Promise<unknown> = Promise.resolve();
  let closed = false;
  const write = (level: string, text: string): void => {
    if (closed) return;
    const line = `${now().toISOString()} ${level.padEnd(5)} ${redact(text).replace(/[\r\n]+/g, ' ')}\n`;
    chain = chain.then(() => fh.appendFile(line)).catch(() => undefined);
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
      await chain;
      await fh.sync().catch(() => undefined);
      await fh.close();
    },
  };
}

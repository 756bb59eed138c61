import cliProgress from 'cli-progress';
import type { CliContext } from '../context.js';
import type { PipelineEvent } from '../../pipeline/types.js';
import { formatBytes } from './format.js';

export type ReporterMode = 'tty' | 'plain' | 'json';

export interface Reporter {
  onEvent(event: PipelineEvent): void;
  stop(): void;
}

/** Bars on a terminal, one line per finished artifact elsewhere, nothing but the summary with --json. */
export function chooseMode(ctx: CliContext, json: boolean, progress: boolean): ReporterMode {
  if (json) return 'json';
  if (progress && ctx.stderr.isTTY === true && ctx.env.CI === undefined) return 'tty';
  return 'plain';
}

export function createReporter(mode: ReporterMode, ctx: CliContext): Reporter {
  if (mode === 'tty') return ttyReporter(ctx);
  return lineReporter(ctx, mode === 'json');
}

function lineReporter(ctx: CliContext, quiet: boolean): Reporter {
  let done = 0;
  let total = 0;
  const write = (s: string): void => {
    ctx.stderr.write(`${s}\n`);
  };
  return {
    onEvent(e) {
      switch (e.type) {
        case 'plan':
          total = e.toFetch;
          if (!quiet) {
            write(`plan: ${e.total} artifacts, ${e.skipped} already complete, ${e.toFetch} to fetch`);
          }
          break;
        case 'artifact-done':
          done++;
          if (!quiet) write(`[${done}/${total}] ${e.status} ${e.path} (${formatBytes(e.bytes)})`);
          break;
        case 'artifact-failed':
          done++;
          write(`[${done}/${total}] FAILED ${e.path}: ${e.reason}`);
          break;
        case 'retry':
          if (!quiet) write(`retry ${e.attempt} in ${(e.delayMs / 1000).toFixed(1)} s: ${e.reason}`);
          break;
        case 'log':
          if (!quiet || e.level !== 'info') write(`${e.level}: ${e.message}`);
          break;
        default:
          break;
      }
    },
    stop() {},
  };
}

function ttyReporter(ctx: CliContext): Reporter {
  let bytes = 0;
  let failed = 0;
  let retries = 0;
  const started = Date.now();
  const bar = new cliProgress.SingleBar(
    {
      stream: ctx.stderr as NodeJS.WritableStream as NodeJS.WriteStream,
      format: ' {bar} {value}/{total} items | {bytesText} | {rateText} | ETA {eta_formatted} | {retries} retries, {failed} failed',
      barsize: 28,
      hideCursor: true,
      clearOnComplete: false,
      etaBuffer: 20,
      fps: 8,
    },
    cliProgress.Presets.shades_classic,
  );
  let active = false;
  const payload = (): Record<string, string | number> => {
    const secs = Math.max((Date.now() - started) / 1000, 0.001);
    return { bytesText: formatBytes(bytes), rateText: `${formatBytes(bytes / secs)}/s`, failed, retries };
  };
  const log = (line: string): void => {
    if (active) bar.stop();
    ctx.stderr.write(`${line}\n`);
    if (active) bar.start(bar.getTotal(), bar.getProgress() * bar.getTotal(), payload());
  };
  return {
    onEvent(e) {
      switch (e.type) {
        case 'plan':
          ctx.stderr.write(`plan: ${e.total} artifacts, ${e.skipped} already complete, ${e.toFetch} to fetch\n`);
          if (e.toFetch > 0) {
            bar.start(e.toFetch, 0, payload());
            active = true;
          }
          break;
        case 'bytes':
          bytes += e.bytes;
          if (active) bar.update(payload());
          break;
        case 'artifact-done':
          if (active) bar.increment(1, payload());
          break;
        case 'artifact-failed':
          failed++;
          if (active) bar.increment(1, payload());
          log(`FAILED ${e.path}: ${e.reason}`);
          break;
        case 'retry':
          retries++;
          if (active) bar.update(payload());
          break;
        case 'log':
          if (e.level !== 'info') log(`${e.level}: ${e.message}`);
          break;
        default:
          break;
      }
    },
    stop() {
      if (active) bar.stop();
      active = false;
    },
  };
}

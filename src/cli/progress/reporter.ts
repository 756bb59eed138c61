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

/**
 * Progress counts only the artifacts the plan sends to the network: the pipeline also reports
 * each artifact the plan found complete (status `skipped`, no `artifact-start`), and counting those
 * against `toFetch` showed "22/1 items" on a rerun. The plan line already says how many were done.
 */
function fetchTracker(): { started(e: PipelineEvent): void; counts(e: PipelineEvent): boolean } {
  const started = new Set<string>();
  return {
    started(e) {
      if (e.type === 'artifact-start') started.add(e.id);
    },
    counts(e) {
      return (e.type === 'artifact-done' || e.type === 'artifact-failed') && started.delete(e.id);
    },
  };
}

function lineReporter(ctx: CliContext, quiet: boolean): Reporter {
  let done = 0;
  let total = 0;
  const tracker = fetchTracker();
  const write = (s: string): void => {
    ctx.stderr.write(`${s}\n`);
  };
  return {
    onEvent(e) {
      tracker.started(e);
      switch (e.type) {
        case 'plan':
          total = e.toFetch;
          if (!quiet) {
            write(`plan: ${e.total} artifacts, ${e.skipped} already complete, ${e.toFetch} to fetch`);
          }
          break;
        case 'artifact-done':
          if (!tracker.counts(e)) break;
          done++;
          if (!quiet) write(`[${done}/${total}] ${e.status} ${e.path} (${formatBytes(e.bytes)})`);
          break;
        case 'artifact-failed':
          if (tracker.counts(e)) done++;
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
      stream: ctx.stderr,
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
  const tracker = fetchTracker();
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
      tracker.started(e);
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
          if (tracker.counts(e) && active) bar.increment(1, payload());
          break;
        case 'artifact-failed':
          failed++;
          if (tracker.counts(e) && active) bar.increment(1, payload());
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

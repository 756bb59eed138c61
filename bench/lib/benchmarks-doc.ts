/**
 * Keeps the latest figures in `docs/benchmarks.md`: the block between the two markers is
 * replaced; everything else (method, analysis) is hand-written and left alone.
 */
import { readFile, writeFile } from 'node:fs/promises';
import type { BenchResults } from './bench-report.js';
import { resultsTable } from './bench-report.js';
import { formatMachine } from './machine.js';

export const BEGIN = '<!-- bench:results:begin (written by `npm run bench -- --write-doc`) -->';
export const END = '<!-- bench:results:end -->';

export function resultsBlock(r: BenchResults, command: string): string {
  const s = r.settings;
  const m = s.model;
  const lines = [
    BEGIN,
    `Measured ${r.date} with \`${command}\`${s.quick ? ' (QUICK smoke settings, not the reference figures)' : ''}.`,
    '',
    `- Machine: ${formatMachine(r.machine)}.`,
    `- Dataset: demo at scale ${s.scale}, ${s.rois} ROIs, images + masks at 0.25 µm/px; S2 at scale ${s.s2Scale}.`,
    `- Server model: ${m.latencyMs} ms latency, ${m.renderConcurrency} renders at a time, ${m.renderMsPerMegapixel} ms/MPix, ` +
      `${m.bandwidthBytesPerSec / 1e6} MB/s per service; regions and masks cached before timing.`,
    `- Runs: ${s.runs} per scenario (S2: ${s.s2Runs}); median (min–max). Client measured with ${s.measurement}.` +
      (s.clientArgs.length > 0 ? ` Extra client arguments: \`${s.clientArgs.join(' ')}\`.` : ''),
    '',
    resultsTable(r),
    '',
    END,
  ];
  return lines.join('\n');
}

export const DRILL_BEGIN = '<!-- drill:results:begin (written by `npm run drill -- --write-doc`) -->';
export const DRILL_END = '<!-- drill:results:end -->';

/** Replace the block between `begin` and `end` (markers included in `block`), or append it under `heading`. */
export async function writeDocBlock(path: string, block: string, begin = BEGIN, end = END, heading = 'Latest figures'): Promise<void> {
  const existing = await readFile(path, 'utf8').catch(() => null);
  let text: string;
  if (existing !== null && existing.includes(begin) && existing.includes(end)) {
    text = existing.slice(0, existing.indexOf(begin)) + block + existing.slice(existing.indexOf(end) + end.length);
  } else if (existing !== null) {
    text = `${existing.trimEnd()}\n\n## ${heading}\n\n${block}\n`;
  } else {
    text = `# Benchmarks\n\n## ${heading}\n\n${block}\n`;
  }
  await writeFile(path, text);
}

export function writeBenchmarksDoc(path: string, block: string): Promise<void> {
  return writeDocBlock(path, block);
}

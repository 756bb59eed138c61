/**
 * The S5 and S6 tables (issue 10 §6): printed by `npm run bench`, `bench:wsis` and `bench:render`,
 * and with `--write-doc` kept in their own marked blocks of docs/benchmarks.md.
 */
import { formatMachine, type MachineDescription } from './machine.js';
import { markdownTable } from './markdown-table.js';
import type { S5Result } from './scenario-s5.js';
import type { S6Result } from './scenario-s6.js';
import { formatSpread } from './stats.js';

export const S5_BEGIN = '<!-- bench:s5:begin (written by `npm run bench -- --only S5 --write-doc` or `npm run bench:wsis -- --write-doc`) -->';
export const S5_END = '<!-- bench:s5:end -->';
export const S6_BEGIN = '<!-- bench:s6:begin (written by `npm run bench -- --only S6 --write-doc` or `npm run bench:render -- --write-doc`) -->';
export const S6_END = '<!-- bench:s6:end -->';

const met = (ok: boolean): string => (ok ? 'yes' : '**no**');
const kib = (b: number): string => `${Math.round(b / 1024)} KiB`;
const loads = (xs: number[]): string => xs.map((x) => x.toFixed(1)).join(', ');

export function s5Table(r: S5Result): string {
  const worstOk = r.worstRedownloadedBytes <= r.redownloadTargetBytes;
  const again = r.kills.reduce((s, k) => s + k.finishedSlidesFetchedAgain, 0);
  const rows = [
    ['wall time (s), spawn → exit', formatSpread(r.wallS), '', ''],
    ['bandwidth bound (s) = bytes / cap', r.boundS.toFixed(2), '', ''],
    ['efficiency = bound / wall', formatSpread(r.efficiency), `≥ ${r.efficiencyTarget}`, met(r.efficiency.median >= r.efficiencyTarget)],
    ['start-up (s): spawn → first `/data` request', formatSpread(r.startupS), '', ''],
    ['transfer (s): first `/data` request → last body byte', formatSpread(r.transferS), '', ''],
    ['transfer efficiency = bound / transfer', formatSpread(r.transferEfficiency), '', ''],
    ['time with < 2 slides open at the server (s)', formatSpread(r.underTwoS), '', ''],
    ['tail (s): last body byte → exit', formatSpread(r.tailS), '', ''],
    ['uncapped ceiling (MB/s), same machine, same moment', r.uncappedBytesPerSec === null ? 'n/a' : (r.uncappedBytesPerSec / 1e6).toFixed(1), '', ''],
    ['SIGKILL drills: kill moments (s)', r.kills.map((k) => k.killAtS.toFixed(2)).join(', '), '', ''],
    ['slides in flight at the kills', r.kills.map((k) => k.inFlight).join(', '), '', ''],
    ['re-downloaded per in-flight slide', r.kills.map((k) => k.redownloadedBytes.map(kib).join(' + ')).join('; '), `≤ ${kib(r.redownloadTargetBytes)}`, met(worstOk)],
    ['of which in the kernel socket queues at the kill (all slides)', r.kills.map((k) => (k.kernelQueuedBytes === null ? 'n/a' : kib(k.kernelQueuedBytes))).join('; '), '', ''],
    ['finished slides fetched again by the reruns', String(again), '0', met(again === 0)],
  ];
  return markdownTable(['S5 metric', 'Median (min–max) / values', 'Target', 'Met'], rows);
}

export function s5Block(r: S5Result, machine: MachineDescription, date: string, command: string): string {
  return [
    S5_BEGIN,
    `Measured ${date} with \`${command}\`.`,
    '',
    `- Machine: ${formatMachine(machine)}; load average at each run's start: ${loads(r.loadAverage)}.`,
    `- ${r.slides} demo slides, ${(r.totalBytes / 1e6).toFixed(1)} MB, GDC capped at ${(r.capBytesPerSec / 1e6).toFixed(1)} MB/s; ${r.kills.length} run(s), each a clean run then a kill drill; median (min–max).`,
    '',
    s5Table(r),
    '',
    S5_END,
  ].join('\n');
}

export function s6Table(r: S6Result): string {
  const ref = r.reference;
  const refCell = (f: (x: NonNullable<S6Result['reference']>) => string): string => (ref === null ? `skipped: ${r.referenceSkipped ?? ''}` : f(ref));
  const mem = r.memory;
  const memOk = mem !== null && mem.peakRssMB !== null && mem.peakRssMB <= mem.limitMB;
  const rows = [
    ['output (MPix), images', `${r.megapixels.toFixed(1)}, ${r.rois}`, '', '', ''],
    ['wall time (s)', formatSpread(r.bcss.wallS), refCell((x) => formatSpread(x.wallS)), '', ''],
    ['throughput (output MPix/s over wall)', formatSpread(r.bcss.mpixPerS), refCell((x) => formatSpread(x.mpixPerS)), '', ''],
    ['CPU (s, user + sys)', formatSpread(r.bcss.cpuS, 1), refCell((x) => formatSpread(x.cpuS, 1)), '', ''],
    ['peak RSS (MiB; reference: largest process)', formatSpread(r.bcss.peakRssMiB, 0), refCell((x) => formatSpread(x.peakRssMiB, 0)), '', ''],
    ['throughput ratio bcss / reference (pairwise)', r.ratio === null ? 'n/a' : `${formatSpread(r.ratio)}×`, '', `≥ ${r.ratioTarget}×`, r.ratio === null ? 'n/a' : met(r.ratio.median >= r.ratioTarget)],
  ];
  if (mem !== null) {
    rows.push([`${mem.roi} at scale 1: peak RSS (MB), ${mem.megapixels.toFixed(1)} MPix in ${mem.wallS.toFixed(1)} s`, mem.peakRssMB === null ? 'n/a' : mem.peakRssMB.toFixed(0), '', `≤ ${mem.limitMB}`, met(memOk)]);
  }
  return markdownTable(['S6 metric', 'bcss extract', `reference${ref === null ? '' : ` (OpenSlide + Pillow, ${ref.workers} process${ref.workers === 1 ? '' : 'es'})`}`, 'Target', 'Met'], rows);
}

export function s6Block(r: S6Result, machine: MachineDescription, date: string, command: string): string {
  return [
    S6_BEGIN,
    `Measured ${date} with \`${command}\`.`,
    '',
    `- Machine: ${formatMachine(machine)}; load average at each run's start: ${loads(r.loadAverage)}.`,
    `- ${r.rois} ROIs at 0.25 µm/px from the demo's slide files at scale ${r.scale} (${r.slideFiles.count} files, ${(r.slideFiles.bytes / 1e9).toFixed(2)} GB, cached); ` +
      `${r.bcss.wallS.runs} alternated run(s) per side, median (min–max); both sides as child processes under GNU \`time -v\`, wall around spawn → exit.` +
      (r.reference === null ? '' : ` Reference: ${r.reference.versions}.`),
    ...(r.pixelDigest === null ? [] : [`- Pixel digest of bcss's output (names, sizes, channels, decoded pixels): \`${r.pixelDigest.slice(0, 16)}\`.`]),
    '',
    s6Table(r),
    '',
    S6_END,
  ].join('\n');
}

/**
 * S6 (issue 10 §6): `bcss extract` renders the 151 ROIs at 0.25 µm/px from local demo slide
 * files (demo `--scale` ≥ 0.3), side by side with an OpenSlide + Pillow reference doing the same
 * region reads and resizes (bench/render-reference.py), both as child processes under GNU
 * `time -v`, alternated run by run so both see the same machine load. Plus the memory check:
 * TCGA-D8-A142 at scale 1 (≈ 128 MPix) with peak RSS ≤ 400 MB.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { parseRoiTable } from '../../src/catalog/rois.js';
import { builtinSlides } from '../../src/catalog/slides.js';
import type { Resolution } from '../../src/geometry/types.js';
import { imageFileName } from '../../src/pipeline/artifacts.js';
import { isResampled, planRoi } from '../../src/render/render-roi.js';
import { readSlideFolder, slideFileFor } from '../../src/render/slide-files.js';
import { openSlide } from '../../src/slides/open-slide.js';
import { resolveRead } from '../../src/slides/region-reader.js';
import { slideGeometry } from '../../src/slides/slide-geometry.js';
import { measureChild, type MeasuredRun } from '../../test/helpers/harness/measure-child.js';
import { CLI_BIN, cleanEnv, REPO_ROOT } from '../../test/helpers/harness/repo.js';
import { demoWsiFolder } from './demo-wsi-folder.js';
import { spread, spreadOrNull, type Spread } from './stats.js';

/** Debian's interpreter (python3-openslide installs there); BCSS_BENCH_PYTHON overrides it. */
export const PYTHON = process.env.BCSS_BENCH_PYTHON ?? '/usr/bin/python3';
const REFERENCE_SCRIPT = join(REPO_ROOT, 'bench', 'render-reference.py');
const RESOLUTION: Resolution = { kind: 'mpp', mpp: 0.25 };
const MEMORY_ROI = 'TCGA-D8-A142-DX1';
export const RSS_LIMIT_MB = 400;

export interface S6Options {
  scale: number;
  runs: number;
  cacheDir: string;
  /** Reference worker processes (default: one per core, as bcss may use every core). */
  refWorkers: number;
  /** Also run the TCGA-D8-A142 scale-1 memory check. */
  memory: boolean;
  /** Only these slides (a smoke run); default all 151. */
  slides?: string[];
  /** Compute the pixel digest of bcss's output (names, sizes, channels, decoded pixels). */
  digest: boolean;
  progress: (line: string) => void;
}

export interface S6Side {
  wallS: Spread;
  cpuS: Spread | null;
  peakRssMiB: Spread | null;
  mpixPerS: Spread;
}

export interface S6Result {
  scale: number;
  rois: number;
  megapixels: number;
  slideFiles: { count: number; bytes: number; makeSeconds: number };
  loadAverage: number[];
  bcss: S6Side;
  /** null when Python/OpenSlide/Pillow is missing (`referenceSkipped` says why). */
  reference: (S6Side & { workers: number; versions: string }) | null;
  referenceSkipped: string | null;
  /** bcss MPix/s ÷ reference MPix/s, per alternated pair, median. */
  ratio: Spread | null;
  ratioTarget: number;
  /** sha256 over every image's name, size, channels and decoded pixels (with --digest). */
  pixelDigest: string | null;
  memory: { roi: string; megapixels: number; wallS: number; peakRssMB: number | null; limitMB: number } | null;
}

interface ReferenceJob {
  name: string;
  slide: string;
  level: number;
  levelSize: [number, number];
  left: number;
  top: number;
  width: number;
  height: number;
  outWidth: number;
  outHeight: number;
  rgba: boolean;
}

/** Every ROI's plan as the reference executes it: the stored level and rectangle large_image reads, and the output size. */
async function referenceJobs(wsiDir: string, roiTable: string): Promise<ReferenceJob[]> {
  const rois = parseRoiTable(await readFile(roiTable, 'utf8'), roiTable);
  const folder = await readSlideFolder(wsiDir);
  const jobs: ReferenceJob[] = [];
  for (const roi of [...rois].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
    const found = slideFileFor(roi, folder, builtinSlides());
    if (!found.ok) throw new Error(found.reason);
    const source = await openSlide(found.path);
    try {
      const geometry = slideGeometry(source);
      const plan = planRoi(geometry, roi, RESOLUTION);
      const { levelIndex, rect } = resolveRead(source, geometry, plan);
      const level = source.levels[levelIndex] as { width: number; height: number };
      jobs.push({
        name: imageFileName(roi, RESOLUTION, 'png'),
        slide: found.path,
        level: levelIndex,
        levelSize: [level.width, level.height],
        left: rect.left,
        top: rect.top,
        width: rect.width,
        height: rect.height,
        outWidth: plan.width,
        outHeight: plan.height,
        rgba: isResampled(plan),
      });
    } finally {
      await source.close();
    }
  }
  return jobs;
}

/** Why the reference cannot run here, or null when it can. */
export function referenceUnavailable(): string | null {
  const r = spawnSync(PYTHON, ['-c', 'import openslide, PIL'], { encoding: 'utf8' });
  if (r.error !== undefined) return `${PYTHON} not found`;
  if (r.status !== 0) return `${PYTHON} lacks openslide or PIL (apt-get install python3-openslide python3-pil)`;
  return null;
}

/** sha256 over name, width, height, channels and the decoded pixels of every PNG in `dir`. */
export async function pixelDigest(dir: string): Promise<string> {
  const all = createHash('sha256');
  for (const name of (await readdir(dir)).filter((n) => n.endsWith('.png')).sort()) {
    const { data, info } = await sharp(join(dir, name)).raw().toBuffer({ resolveWithObject: true });
    all.update(`${name} ${info.width}x${info.height}x${info.channels} ${createHash('sha256').update(data).digest('hex')}\n`);
  }
  return all.digest('hex');
}

/** The reference's PNGs have the sizes and channel counts bcss wrote: the same work was done. */
async function sameShapes(bcssDir: string, refDir: string): Promise<void> {
  const names = (await readdir(bcssDir)).filter((n) => n.endsWith('.png')).sort();
  for (const name of names) {
    const [a, b] = await Promise.all([sharp(join(bcssDir, name)).metadata(), sharp(join(refDir, name)).metadata()]);
    if (a.width !== b.width || a.height !== b.height || a.channels !== b.channels) {
      throw new Error(`${name}: bcss wrote ${a.width}x${a.height}x${a.channels}, the reference ${b.width}x${b.height}x${b.channels}`);
    }
  }
}

function side(runs: MeasuredRun[], mpix: number): S6Side {
  return {
    wallS: spread(runs.map((r) => r.wallSeconds)),
    cpuS: spreadOrNull(runs.map((r) => r.cpuSeconds)),
    peakRssMiB: spreadOrNull(runs.map((r) => r.maxRssMiB)),
    mpixPerS: spread(runs.map((r) => mpix / r.wallSeconds)),
  };
}

function extractArgs(wsiDir: string, out: string, roiTable: string): string[] {
  return [CLI_BIN, 'extract', '--wsi-dir', wsiDir, '--out', out, '--rois', roiTable, '--mpp', '0.25', '--json'];
}

async function runBcss(work: string, wsiDir: string, roiTable: string, out: string): Promise<{ run: MeasuredRun; mpix: number; images: number }> {
  const run = await measureChild(process.execPath, extractArgs(wsiDir, out, roiTable), { cwd: work, env: cleanEnv() });
  if (run.exitCode !== 0) throw new Error(`bcss extract exited ${run.exitCode ?? run.signal}: ${run.stderr.slice(-2000)}`);
  const summary = JSON.parse(run.stdout) as { images: Array<{ width: number; height: number; status: string }>; failures: unknown[] };
  if (summary.failures.length > 0 || summary.images.some((i) => i.status !== 'done')) throw new Error(`bcss extract: ${summary.failures.length} failure(s), or images skipped`);
  return { run, mpix: summary.images.reduce((s, i) => s + i.width * i.height, 0) / 1e6, images: summary.images.length };
}

async function memoryCheck(o: S6Options, work: string): Promise<NonNullable<S6Result['memory']>> {
  o.progress(`S6 memory: making (or finding) ${MEMORY_ROI} at scale 1 …`);
  const folder = await demoWsiFolder({ scale: 1, cacheDir: o.cacheDir, dir: join(work, 'wsis-memory'), slides: [MEMORY_ROI] });
  const { run, mpix } = await runBcss(work, folder.dir, folder.roiTablePath, join(work, 'out-memory'));
  await rm(join(work, 'out-memory'), { recursive: true, force: true });
  const peakRssMB = run.maxRssMiB === null ? null : (run.maxRssMiB * 1024 * 1024) / 1e6;
  o.progress(`S6 memory: ${mpix.toFixed(1)} MPix in ${run.wallSeconds.toFixed(1)} s, peak RSS ${peakRssMB?.toFixed(0) ?? 'n/a'} MB`);
  return { roi: MEMORY_ROI, megapixels: mpix, wallS: run.wallSeconds, peakRssMB, limitMB: RSS_LIMIT_MB };
}

export async function runS6(o: S6Options): Promise<S6Result> {
  const work = await mkdtemp(join(tmpdir(), 'bcss-bench-s6-'));
  try {
    o.progress(`S6: making (or finding) the ${o.slides?.length ?? 151} demo slide files at scale ${o.scale} in ${o.cacheDir} …`);
    const folder = await demoWsiFolder({ scale: o.scale, cacheDir: o.cacheDir, dir: join(work, 'wsis'), ...(o.slides === undefined ? {} : { slides: o.slides }) });
    o.progress(`S6: ${folder.slides} slide files, ${(folder.bytes / 1e9).toFixed(2)} GB, ready in ${folder.makeSeconds.toFixed(1)} s`);
    const skipped = referenceUnavailable();
    if (skipped !== null) o.progress(`S6: reference skipped: ${skipped}`);
    const manifest = join(work, 'reference-jobs.json');
    if (skipped === null) await writeFile(manifest, JSON.stringify({ jobs: await referenceJobs(folder.dir, folder.roiTablePath) }));
    const bcssRuns: MeasuredRun[] = [];
    const refRuns: MeasuredRun[] = [];
    const ratios: number[] = [];
    const loads: number[] = [];
    let mpix = 0;
    let rois = 0;
    let versions = '';
    let digest: string | null = null;
    for (let i = 0; i < o.runs; i++) {
      loads.push(loadavg()[0] ?? 0);
      const out = join(work, `out-${i}`);
      const b = await runBcss(work, folder.dir, folder.roiTablePath, out);
      ({ mpix, images: rois } = b);
      bcssRuns.push(b.run);
      o.progress(`S6 bcss run ${i + 1}: ${b.images} images, ${mpix.toFixed(1)} MPix in ${b.run.wallSeconds.toFixed(2)} s (${(mpix / b.run.wallSeconds).toFixed(2)} MPix/s), CPU ${b.run.cpuSeconds?.toFixed(1) ?? 'n/a'} s, peak RSS ${b.run.maxRssMiB?.toFixed(0) ?? 'n/a'} MiB, load ${loads[i]?.toFixed(1)}`);
      if (o.digest && digest === null) digest = await pixelDigest(join(out, 'images'));
      if (skipped === null) {
        const refOut = join(work, `ref-${i}`);
        const r = await measureChild(PYTHON, [REFERENCE_SCRIPT, '--manifest', manifest, '--out', refOut, '--workers', String(o.refWorkers)], { cwd: work, env: process.env });
        if (r.exitCode !== 0) throw new Error(`the reference exited ${r.exitCode ?? r.signal}: ${r.stderr.slice(-2000)}`);
        const rep = JSON.parse(r.stdout) as { megapixels: number; openslide: string; pillow: string };
        if (Math.abs(rep.megapixels - mpix) > 1e-6) throw new Error(`the reference made ${rep.megapixels} MPix, bcss ${mpix}`);
        if (i === 0) await sameShapes(join(out, 'images'), refOut);
        versions = `OpenSlide ${rep.openslide}, Pillow ${rep.pillow}`;
        refRuns.push(r);
        ratios.push(r.wallSeconds / b.run.wallSeconds);
        o.progress(`S6 reference run ${i + 1} (${o.refWorkers} worker(s)): ${r.wallSeconds.toFixed(2)} s (${(mpix / r.wallSeconds).toFixed(2)} MPix/s), CPU ${r.cpuSeconds?.toFixed(1) ?? 'n/a'} s, peak RSS ${r.maxRssMiB?.toFixed(0) ?? 'n/a'} MiB; ratio ${(r.wallSeconds / b.run.wallSeconds).toFixed(2)}`);
        await rm(refOut, { recursive: true, force: true });
      }
      await rm(out, { recursive: true, force: true });
    }
    return {
      scale: o.scale,
      rois,
      megapixels: mpix,
      slideFiles: { count: folder.slides, bytes: folder.bytes, makeSeconds: folder.makeSeconds },
      loadAverage: loads,
      bcss: side(bcssRuns, mpix),
      reference: skipped === null ? { ...side(refRuns, mpix), workers: o.refWorkers, versions } : null,
      referenceSkipped: skipped,
      ratio: ratios.length > 0 ? spread(ratios) : null,
      ratioTarget: 2,
      pixelDigest: digest,
      memory: o.memory ? await memoryCheck(o, work) : null,
    };
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

export const DEFAULT_REF_WORKERS = cpus().length;

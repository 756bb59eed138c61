/**
 * A small download folder built by the test itself: real catalog ROI names (one per site that
 * matters for the splits), RGB images and grey masks made with sharp from known layouts, and a
 * bcss.lock.json listing them, as `bcss download` writes it.
 */
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative, sep } from 'node:path';
import sharp from 'sharp';
import { builtinRois } from '../../src/catalog/rois.js';
import { roiFileName } from '../../src/geometry/naming.js';

export interface SyntheticRoi {
  roi: string;
  site: string;
  fileName: string;
  width: number;
  height: number;
  /** Columns x < outsideColumns are outside the ROI (code 0). */
  outsideColumns: number;
  /** The code of the middle band (rows 10..19). */
  middleCode: number;
}

/**
 * The known layout: code 0 left of `outsideColumns`; inside, rows 0..9 tumour (1), rows 10..19
 * `middleCode`, the rest stroma (2).
 */
export function maskCode(r: SyntheticRoi, x: number, y: number): number {
  if (x < r.outsideColumns) return 0;
  if (y < 10) return 1;
  if (y < 20) return r.middleCode;
  return 2;
}

/** The known image: a deterministic RGB pattern that differs per ROI. */
export function imagePixel(r: SyntheticRoi, x: number, y: number): [number, number, number] {
  const seed = r.roi.charCodeAt(5) + r.roi.charCodeAt(6);
  return [(x * 5 + y + seed) % 256, (y * 7 + seed * 3) % 256, (x * y + 40) % 256];
}

export function maskPixels(r: SyntheticRoi): Uint8Array {
  const out = new Uint8Array(r.width * r.height);
  for (let y = 0; y < r.height; y++) for (let x = 0; x < r.width; x++) out[y * r.width + x] = maskCode(r, x, y);
  return out;
}

export function imagePixels(r: SyntheticRoi): Uint8Array {
  const out = new Uint8Array(r.width * r.height * 3);
  for (let y = 0; y < r.height; y++) for (let x = 0; x < r.width; x++) out.set(imagePixel(r, x, y), (y * r.width + x) * 3);
  return out;
}

/** Sites chosen so every split part is present: A2 train/train, BH train/val, OL and E2 test/test. */
const LAYOUT: ReadonlyArray<{ site: string; width: number; height: number; outsideColumns: number; middleCode: number }> = [
  { site: 'A2', width: 40, height: 30, outsideColumns: 12, middleCode: 19 },
  { site: 'BH', width: 36, height: 25, outsideColumns: 0, middleCode: 7 },
  { site: 'OL', width: 30, height: 30, outsideColumns: 25, middleCode: 10 },
  { site: 'E2', width: 25, height: 22, outsideColumns: 6, middleCode: 20 },
];

export function syntheticRois(): SyntheticRoi[] {
  const catalog = builtinRois();
  return LAYOUT.map((l) => {
    const rec = catalog.find((r) => r.site === l.site);
    if (rec === undefined) throw new Error(`no catalog ROI at site ${l.site}`);
    return {
      roi: rec.name,
      site: rec.site,
      fileName: roiFileName(rec.name, rec.xmin, rec.ymin, { kind: 'mpp', mpp: 0.25 }),
      width: l.width,
      height: l.height,
      outsideColumns: l.outsideColumns,
      middleCode: l.middleCode,
    };
  });
}

export async function writeGreyPng(path: string, pixels: Uint8Array, width: number, height: number): Promise<void> {
  await sharp(Buffer.from(pixels), { raw: { width, height, channels: 1 } }).toColourspace('b-w').png().toFile(path);
}

export async function writeRgbPng(path: string, pixels: Uint8Array, width: number, height: number): Promise<void> {
  await sharp(Buffer.from(pixels), { raw: { width, height, channels: 3 } }).png().toFile(path);
}

export interface Synthetic {
  root: string;
  rois: SyntheticRoi[];
  cleanup: () => Promise<void>;
}

export async function makeSyntheticDataset(options: { lock?: boolean; rois?: SyntheticRoi[] } = {}): Promise<Synthetic> {
  const root = await mkdtemp(join(tmpdir(), 'bcss-prepare-'));
  const rois = options.rois ?? syntheticRois();
  await mkdir(join(root, 'images'));
  await mkdir(join(root, 'masks'));
  const artifacts: object[] = [];
  for (const r of rois) {
    await writeRgbPng(join(root, 'images', r.fileName), imagePixels(r), r.width, r.height);
    await writeGreyPng(join(root, 'masks', r.fileName), maskPixels(r), r.width, r.height);
    for (const kind of ['images', 'masks']) {
      artifacts.push({ id: `${kind}/${r.fileName}`, kind, path: `${kind}/${r.fileName}`, status: 'done', source: { params: { roi: r.roi } } });
    }
  }
  if (options.lock !== false) await writeFile(join(root, 'bcss.lock.json'), JSON.stringify({ version: 1, artifacts }, null, 2));
  return { root, rois, cleanup: () => rm(root, { recursive: true, force: true }) };
}

/** Every file below `dir` (relative, '/'-separated) with its mtime, size and SHA-256. */
export async function snapshot(dir: string): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  const walk = async (d: string): Promise<void> => {
    const entries = await readdir(d, { withFileTypes: true }).catch(() => []);
    for (const e of entries) {
      const p = join(d, e.name);
      if (e.isDirectory()) await walk(p);
      else {
        const info = await stat(p);
        const hash = createHash('sha256').update(await readFile(p)).digest('hex');
        out.set(relative(dir, p).split(sep).join('/'), `${info.mtimeMs} ${info.size} ${hash}`);
      }
    }
  };
  await walk(dir);
  return out;
}

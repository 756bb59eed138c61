/**
 * A WSI folder of demo slide files for `bcss extract` benches: the demo makes its real TIFF files
 * (cached under `cacheDir`, so a second bench run finds them), and the folder holds symlinks to
 * them under their GDC names, as `--components wsis` would leave them.
 */
import { mkdir, stat, symlink } from 'node:fs/promises';
import { join } from 'node:path';
import { loadDemoDataset } from '../../src/server/demo/demo-dataset.js';

export interface DemoWsiFolder {
  dir: string;
  roiTablePath: string;
  /** Slide files linked, and their total size in bytes. */
  slides: number;
  bytes: number;
  /** Seconds spent making (or finding) the files. */
  makeSeconds: number;
}

export async function demoWsiFolder(options: { scale: number; cacheDir: string; dir: string; slides?: string[] }): Promise<DemoWsiFolder> {
  const t0 = performance.now();
  const dataset = await loadDemoDataset({
    scale: options.scale,
    cacheDir: options.cacheDir,
    slideFiles: 'tiff',
    ...(options.slides === undefined ? {} : { slides: options.slides }),
  });
  if (dataset.roiTablePath === null) throw new Error('the demo dataset wrote no ROI table');
  await mkdir(options.dir, { recursive: true });
  let slides = 0;
  let bytes = 0;
  for (const item of dataset.items) {
    const stored = item.slide?.storedTiff;
    if (stored === undefined) continue;
    // One at a time: the demo makes at most two at once anyway, and memory stays flat.
    const path = await stored();
    await symlink(path, join(options.dir, item.name));
    slides += 1;
    bytes += (await stat(path)).size;
  }
  return { dir: options.dir, roiTablePath: dataset.roiTablePath, slides, bytes, makeSeconds: (performance.now() - t0) / 1000 };
}

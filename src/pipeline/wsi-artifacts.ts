/**
 * The `wsis` component's artifacts: one per slide of the selected ROIs, named by the catalog's
 * file name (the name the GDC knows it by). The lock path is always `wsis/<file name>`; when
 * `--wsi-dir` puts the slides elsewhere, the folder is part of the params and `fileOnDisk` maps
 * the lock path there.
 */
import { basename, join, resolve } from 'node:path';
import { builtinSlides, findSlideForRoi } from '../catalog/index.js';
import type { RoiRecord } from '../catalog/types.js';
import type { DownloadOptions } from './types.js';

export const DEFAULT_WSI_DIR = 'wsis';

/** The slides' file names of these ROIs (catalog slides only), sorted, each once. */
export function wsiSlideNames(rois: readonly RoiRecord[]): string[] {
  const slides = builtinSlides();
  const names = new Set<string>();
  for (const roi of rois) {
    const s = findSlideForRoi(roi, slides);
    if (s !== undefined) names.add(s.fileName);
  }
  return [...names].sort();
}

/** The slide folder as an absolute path, or null for the default `<outDir>/wsis`. */
export function customWsiDir(options: Pick<DownloadOptions, 'outDir' | 'wsiDir'>): string | null {
  if (options.wsiDir === undefined) return null;
  const dir = resolve(options.wsiDir);
  return dir === resolve(options.outDir, DEFAULT_WSI_DIR) ? null : dir;
}

/** One `wsis` artifact (an `Artifact` of artifacts.ts, spelled out here so the two files do not import each other). */
export interface WsiArtifact {
  id: string;
  kind: 'wsis';
  path: string;
  roi: null;
  slideFileName: string;
  params: { slide: string; wsiDir: string | null };
}

export function wsiArtifacts(options: DownloadOptions): WsiArtifact[] {
  const wsiDir = customWsiDir(options);
  return wsiSlideNames(options.rois).map((name) => {
    const path = `${DEFAULT_WSI_DIR}/${name}`;
    return { id: path, kind: 'wsis', path, roi: null, slideFileName: name, params: { slide: name, wsiDir } };
  });
}

/** Where a lock entry's file is: under the output folder, or a `wsis` entry's own `--wsi-dir`. */
export function fileOnDisk(outDir: string, entry: { kind: string; path: string; source: { params: Record<string, unknown> } }): string {
  const dir = entry.source.params.wsiDir;
  if (entry.kind === 'wsis' && typeof dir === 'string') return join(dir, basename(entry.path));
  return join(outDir, entry.path);
}

/**
 * ROI → slide file in a WSI folder. Files carry the names GDC and the DSA give them
 * (`TCGA-A1-A0SK-01Z-00-DX1.<UUID>.svs`). The catalog's file name is tried first (ignoring
 * case: upstream spells some UUIDs in lowercase); failing that, the one file whose name has the
 * ROI's slide key (`TCGA-A1-A0SK-DX1`, slide-match.ts). Two candidates are an error, not a guess.
 */
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { findSlideForRoi, slideNameKey } from '../catalog/slides.js';
import type { RoiRecord, SlideRecord } from '../catalog/types.js';
import { UsageError } from '../errors.js';
import { slideKeyOfItemName } from '../pipeline/slide-match.js';

export type SlideFileResolution = { ok: true; path: string; fileName: string } | { ok: false; reason: string };

export interface SlideFolder {
  dir: string;
  /** File names in the folder (not recursive). */
  names: readonly string[];
}

export async function readSlideFolder(dir: string): Promise<SlideFolder> {
  try {
    const entries = await readdir(dir, { withFileTypes: true });
    return { dir, names: entries.filter((e) => e.isFile() || e.isSymbolicLink()).map((e) => e.name).sort() };
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    throw new UsageError(`--wsi-dir ${dir} cannot be read (${typeof code === 'string' ? code : String(err)})`, {
      hint: 'Point --wsi-dir at the folder holding the .svs files (e.g. OUT/wsis, where download_wsis_gdc.sh puts them).',
    });
  }
}

export function slideFileFor(roi: RoiRecord, folder: SlideFolder, catalog: readonly SlideRecord[]): SlideFileResolution {
  const slide = findSlideForRoi(roi, catalog);
  if (slide !== undefined) {
    const key = slideNameKey(slide.fileName);
    const exact = folder.names.find((n) => slideNameKey(n) === key);
    if (exact !== undefined) return { ok: true, path: join(folder.dir, exact), fileName: exact };
  }
  const wanted = roi.name.toUpperCase();
  const byKey = folder.names.filter((n) => /\.(svs|tiff?)$/i.test(n) && slideKeyOfItemName(n) === wanted);
  const only = byKey[0];
  if (byKey.length === 1 && only !== undefined) return { ok: true, path: join(folder.dir, only), fileName: only };
  if (byKey.length > 1) return { ok: false, reason: `slide ${roi.name} is ambiguous in ${folder.dir}: ${byKey.join(', ')}` };
  const name = slide?.fileName ?? `${roi.name.slice(0, 12)}-…-${roi.name.slice(13)}.<uuid>.svs`;
  return { ok: false, reason: `slide file ${name} is not in ${folder.dir}` };
}

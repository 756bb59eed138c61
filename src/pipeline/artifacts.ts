/**
 * The plan's unit of work: one artifact = one file under the output folder. Built from the
 * options alone (no I/O, no network) so that a rerun can decide from the lock and the disk
 * whether anything needs the network at all.
 */
import { builtinSlides, findSlideForRoi } from '../catalog/index.js';
import type { RoiRecord } from '../catalog/types.js';
import { UsageError } from '../errors.js';
import { roiFileName } from '../geometry/naming.js';
import type { Resolution } from '../geometry/types.js';
import type { Component, DownloadOptions } from './types.js';
import { wsiArtifacts } from './wsi-artifacts.js';

export type WsiScriptKind = 'girder-sh' | 'girder-bat' | 'gdc-manifest' | 'gdc-sh';

export interface Artifact {
  /** Stable id, also the key in the lock: `images/<file>`, `masks/<file>`, `annotations/<ROI>`, `wsis/<file>`. */
  id: string;
  kind: Component;
  /**
   * Relative, `/`-separated path. For annotations of a slide the catalog does not know, the file
   * name comes from the DSA listing, so it is null until then.
   */
  path: string | null;
  roi: RoiRecord | null;
  /** Everything that decides the file's content; compared with the lock entry's `source.params`. */
  params: Record<string, unknown>;
  /** The catalog's full slide file name, when known. */
  slideFileName: string | null;
  script?: WsiScriptKind;
}

export const WSI_SCRIPT_FILES: Record<WsiScriptKind, string> = {
  'girder-sh': 'wsis/download_wsis.sh',
  'girder-bat': 'wsis/download_wsis.bat',
  'gdc-manifest': 'wsis/gdc_manifest.txt',
  'gdc-sh': 'wsis/download_wsis_gdc.sh',
};

/** `images/` and `masks/` share one name (the original's convention); `.jpg` only for JPEG renders. */
export function imageFileName(roi: RoiRecord, resolution: Resolution, encoding: 'png' | 'jpeg'): string {
  const name = maskFileName(roi, resolution);
  return encoding === 'jpeg' ? name.replace(/\.png$/, '.jpg') : name;
}

/** Masks are always PNG, named like the PNG image. */
export function maskFileName(roi: RoiRecord, resolution: Resolution): string {
  try {
    return roiFileName(roi.name, roi.xmin, roi.ymin, resolution);
  } catch (err) {
    // e.g. a DX2 ROI: the BCSS naming scheme (and the loaders that parse it) only knows DX1.
    throw new UsageError(`cannot name the files of ROI ${roi.name}: ${(err as Error).message}`, { cause: err });
  }
}

/** `TCGA-…-DX1.<UUID>.svs` → `TCGA-…-DX1.<UUID>.json` (the original script's name). */
export function annotationFileName(slideFileName: string): string {
  const base = slideFileName.replace(/\.svs$/i, '');
  if (base === '' || /[/\\]/.test(base) || base === '.' || base === '..') {
    throw new RangeError(`slide name ${JSON.stringify(slideFileName)} cannot be used as a file name`);
  }
  return `${base}.json`;
}

function boundsOf(roi: RoiRecord): number[] {
  return [roi.xmin, roi.ymin, roi.xmax, roi.ymax];
}

function resolutionParam(res: Resolution): Record<string, unknown> {
  return res.kind === 'mpp' ? { kind: 'mpp', mpp: res.mpp } : res.kind === 'mag' ? { kind: 'mag', magnification: res.magnification } : { kind: 'base' };
}

/**
 * Every artifact of a run, interleaved per ROI (image, mask, annotations) so that the DSA render
 * lane and the figshare lane work at the same time, then the WSI scripts.
 *
 * Service URLs are deliberately NOT part of images/masks/annotations params: the same region of
 * the same slide is the same file whichever mirror or port served it, and a changed port must not
 * make a resumed run fetch everything again. The URL is still recorded in the lock as the source.
 */
export function buildArtifacts(options: DownloadOptions): Artifact[] {
  const wants = new Set(options.components);
  const slides = builtinSlides();
  const out: Artifact[] = [];
  for (const roi of options.rois) {
    const slide = findSlideForRoi(roi, slides);
    const slideFileName = slide?.fileName ?? null;
    const common = { roi: roi.name, bounds: boundsOf(roi) };
    if (wants.has('images')) {
      const path = `images/${imageFileName(roi, options.resolution, options.encoding)}`;
      out.push({
        id: path,
        kind: 'images',
        path,
        roi,
        slideFileName,
        params: { ...common, resolution: resolutionParam(options.resolution), encoding: options.encoding },
      });
    }
    if (wants.has('masks')) {
      const path = `masks/${maskFileName(roi, options.resolution)}`;
      out.push({
        id: path,
        kind: 'masks',
        path,
        roi,
        slideFileName,
        params: {
          ...common,
          maskFileId: roi.maskFileId,
          resolution: resolutionParam(options.resolution),
          maskAlign: options.maskAlign,
        },
      });
    }
    if (wants.has('annotations')) {
      out.push({
        id: `annotations/${roi.name}`,
        kind: 'annotations',
        path: slideFileName === null ? null : `annotations/${annotationFileName(slideFileName)}`,
        roi,
        slideFileName,
        params: { roi: roi.name },
      });
    }
  }
  if (wants.has('wsi-scripts')) {
    const slideNames = options.rois.map((r) => r.name).sort();
    const girderParams = { apiUrl: options.apiUrl, folderId: options.folderId, slides: slideNames, keyEnvVar: options.wsiKeyEnvVar };
    const gdcParams = { gdcUrl: options.gdcUrl, slides: slideNames };
    for (const script of ['girder-sh', 'girder-bat', 'gdc-manifest', 'gdc-sh'] as const) {
      const path = WSI_SCRIPT_FILES[script];
      out.push({
        id: path,
        kind: 'wsi-scripts',
        path,
        roi: null,
        slideFileName: null,
        script,
        params: script.startsWith('girder') ? girderParams : gdcParams,
      });
    }
  }
  if (wants.has('wsis')) out.push(...wsiArtifacts(options));
  return out;
}

/** Deterministic JSON (object keys sorted) for comparing params. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const keys = Object.keys(value).sort();
    return `{${keys
      .filter((k) => (value as Record<string, unknown>)[k] !== undefined)
      .map((k) => `${JSON.stringify(k)}:${canonicalJson((value as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

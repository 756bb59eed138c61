/**
 * `meta/`: the facts a consumer needs next to the pixels (docs/dataset.md#class-codes, #splits, #consumer-pitfalls):
 * class codes with their groups and the "0 = outside ROI, don't care" rule, the ROI table that
 * was used, slide magnifications, the published site splits and a dataset card. Generated from
 * the catalog and the options only (no network), byte-identical for identical inputs, so reruns
 * leave them untouched.
 */
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import {
  BASELINE_TEST_SITES,
  baselineSplit,
  builtinClasses,
  builtinSlides,
  CITATION,
  DATA_LICENSE,
  DATASET_TITLE,
  EVA_VAL_SITES,
  evaSplit,
  findSlideForRoi,
  readBuiltinDataFile,
} from '../../catalog/index.js';
import type { RoiRecord } from '../../catalog/types.js';
import { formatMm, mmPerPixel } from '../../geometry/naming.js';
import type { Resolution } from '../../geometry/types.js';
import { sha256Hex } from '../hash-file.js';
import type { LockEntry } from '../lock-file.js';
import type { DownloadOptions } from '../types.js';
import { writeGenerated } from './wsi-scripts.js';

export interface MetaFile {
  path: string;
  content: string;
}

export const ZERO_NOTE =
  'Mask value 0 means outside the ROI / "don\'t care": give it zero weight in training; it is not a class. ' +
  'Unannotated pixels inside an ROI are stroma (2).';

function roiTableCsv(rois: readonly RoiRecord[]): string {
  // The original roiBounds.csv layout: empty first header, CRLF line ends.
  const lines = [',xmin,ymin,xmax,ymax,mask_link', ...rois.map((r) => `${r.name},${r.xmin},${r.ymin},${r.xmax},${r.ymax},${r.maskUrl}`)];
  return lines.map((l) => `${l}\r\n`).join('');
}

function magnificationText(m: number): string {
  return Number.isInteger(m) ? m.toFixed(1) : String(m);
}

function slideTableCsv(rois: readonly RoiRecord[]): string {
  const slides = builtinSlides();
  const rows: string[] = [];
  const seen = new Set<string>();
  for (const roi of rois) {
    const s = findSlideForRoi(roi, slides);
    if (s === undefined || seen.has(s.fileName)) continue;
    seen.add(s.fileName);
    rows.push(`${s.caseId},${s.fileName},${s.dsaItemId},${magnificationText(s.magnification)}`);
  }
  return [',name,_id,magnification', ...rows].map((l) => `${l}\n`).join('');
}

function splitsCsv(rois: readonly RoiRecord[]): string {
  const lines = ['roi,site,baseline_split,eva_split', ...rois.map((r) => `${r.name},${r.site},${baselineSplit(r)},${evaSplit(r)}`)];
  return lines.map((l) => `${l}\n`).join('');
}

function classesJson(): string {
  const doc = {
    note: ZERO_NOTE,
    classes: builtinClasses().map((c) => ({ code: c.code, name: c.name, group: c.group, dsaGroup: c.dsaGroup, overlayOrder: c.overlayOrder })),
    groups: {
      description:
        'Baseline 5-group mapping of the grand-challenge Baseline page; 0 is ignored. exclude (7) and undetermined (15) are not documented there and follow the literal "other = the rest" reading.',
    },
  };
  return `${JSON.stringify(doc, null, 2)}\n`;
}

/** How the run asked the DSA for pixels, in words and in the exact request parameters. */
export function describeResolution(res: Resolution): string {
  switch (res.kind) {
    case 'mpp':
      return `${res.mpp} µm/px, requested as mm_x=mm_y=${formatMm(mmPerPixel(res.mpp))} (full precision; the original script's %.4f sent 0.0003 for 0.25 µm/px, i.e. 0.3 µm/px)`;
    case 'mag':
      return `objective magnification ${res.magnification}×, requested as magnification=${res.magnification}`;
    case 'base':
      return 'scan (base) resolution, requested without any scaling parameter';
  }
}

function readme(options: DownloadOptions, toolVersion: string): string {
  const align =
    options.maskAlign === 'resize'
      ? 'resize: the (H−1)×(W−1) base mask is resized with the exact scikit-image nearest-neighbour map to the image size (the original script\'s behaviour; it duplicates the middle row and column)'
      : 'pad: a zero (outside-ROI) row and column are appended to the (H−1)×(W−1) base mask before it is resized to the image size (geometrically exact)';
  const components = options.components.join(', ');
  return [
    `# ${DATASET_TITLE}`,
    '',
    `Written by bcss ${toolVersion}; components requested in the last run: ${components}.`,
    '',
    '## Citation',
    '',
    CITATION,
    '',
    '## Licence',
    '',
    `The dataset (images, masks, annotations) is released under ${DATA_LICENSE} (public domain dedication).`,
    '',
    '## Contents',
    '',
    '- `images/<ROI>_xmin<X>_ymin<Y>_<resolution>.png`: regions rendered by the Digital Slide Archive, stored exactly as sent (lossless PNG unless JPEG was asked for): RGBA with alpha 255 when the server resampled the region, RGB at the scan resolution.',
    '- `masks/<same name>`: 8-bit greyscale label masks on the same pixel grid as the image; values are the class codes in `classes.json` / `gtruth_codes.tsv`.',
    '- `annotations/<slide>.json`: the DSA annotation documents of each slide, as received (base-resolution coordinates).',
    '- `wsis/`: scripts to fetch the whole-slide images: `download_wsis.sh`/`.bat` (DSA via girder-client), `gdc_manifest.txt` and `download_wsis_gdc.sh` (GDC, checked against md5).',
    '- `meta/`: this card, classes, the ROI table used, slide magnifications and splits.',
    '- `bcss.lock.json`: every file with its size, SHA-256 and source; `bcss verify` re-checks them offline.',
    '',
    '## Resolution',
    '',
    `${describeResolution(options.resolution)}. The xmin/ymin in file names are base-resolution slide coordinates.`,
    '',
    '## Mask alignment',
    '',
    `${align}.`,
    '',
    '## Class code 0',
    '',
    ZERO_NOTE,
    '',
    '## Splits',
    '',
    `\`splits.csv\`: baseline_split is the grand-challenge Baseline split by institution (test sites ${BASELINE_TEST_SITES.join(', ')});`,
    `eva_split additionally takes validation from sites ${EVA_VAL_SITES.join(', ')} (kaiko-ai/eva). There is no official split file.`,
    '',
  ].join('\n');
}

export function buildMetaFiles(options: DownloadOptions, toolVersion: string): MetaFile[] {
  return [
    { path: 'meta/classes.json', content: classesJson() },
    // The original file, byte for byte, so existing loaders read it unchanged.
    { path: 'meta/gtruth_codes.tsv', content: readBuiltinDataFile('gtruth_codes.tsv') },
    { path: 'meta/roiBounds.csv', content: roiTableCsv(options.rois) },
    { path: 'meta/slide_magnifications.csv', content: slideTableCsv(options.rois) },
    { path: 'meta/splits.csv', content: splitsCsv(options.rois) },
    { path: 'meta/README.md', content: readme(options, toolVersion) },
  ];
}

/**
 * Writes each meta file unless the file on disk already has exactly this content; returns the
 * lock entries and how many were (re)written.
 */
export async function writeMetaFiles(
  outDir: string,
  files: readonly MetaFile[],
  previous: (id: string) => LockEntry | undefined,
  now: () => Date,
): Promise<{ entries: LockEntry[]; written: number }> {
  const entries: LockEntry[] = [];
  let written = 0;
  for (const f of files) {
    const dest = join(outDir, f.path);
    const existing = await readFile(dest, 'utf8').catch(() => null);
    if (existing === f.content) {
      const old = previous(f.path);
      const sha256 = sha256Hex(f.content);
      const info = await stat(dest);
      entries.push(
        old !== undefined && old.sha256 === sha256 && old.bytes === info.size
          ? old
          : { ...metaEntry(f, sha256, now), mtimeMs: info.mtimeMs },
      );
      continue;
    }
    entries.push(await writeGenerated({ outDir, now }, { id: f.path, kind: 'wsi-scripts', params: {}, path: f.path }, f.content, 'meta'));
    written++;
  }
  return { entries, written };
}

function metaEntry(f: MetaFile, sha256: string, now: () => Date): LockEntry {
  return {
    id: f.path,
    kind: 'meta',
    path: f.path,
    bytes: Buffer.byteLength(f.content, 'utf8'),
    sha256,
    source: { url: null, params: {} },
    status: 'done',
    completed: now().toISOString(),
  };
}

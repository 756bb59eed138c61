/**
 * One output folder holds one dataset. Its spec — resolution, encoding, mask alignment, the ROI
 * table (digest) and the sources — is recorded in the lock by the first run; a later run with
 * another spec is refused (exit 2) unless it asks to `--replace` the folder, so a folder can never
 * hold images at two resolutions or meta/ for another table. Runs with the same spec but other
 * ROIs or components add to the folder: the record keeps the union. Pure.
 */
import type { RoiRecord } from '../catalog/types.js';
import { formatMm, mmPerPixel } from '../geometry/naming.js';
import type { Resolution } from '../geometry/types.js';
import { canonicalJson } from './artifacts.js';
import { sha256Hex } from './hash-file.js';
import type { DownloadOptions } from './types.js';

export interface DatasetSpec {
  resolution: Resolution;
  encoding: 'png' | 'jpeg';
  maskAlign: 'resize' | 'pad';
  /** SHA-256 of the whole ROI table the run chose from (before `--slides`). */
  roiTableSha256: string;
  sources: { apiUrl: string; folderId: string; figshareUrl: string; figshareArticleId: number; gdcUrl: string };
}

/** What the lock records about the folder: its spec and everything any run planned in it. */
export interface DatasetRecord extends DatasetSpec {
  /** ROI names the folder holds (or is meant to hold), in table order. */
  rois: string[];
  components: string[];
  /** Artifact ids planned by any run; those without a lock entry were never fetched. */
  planned: string[];
}

/** The table a run chose its ROIs from: the whole table when the CLI knows it. */
export function tableOf(options: DownloadOptions): readonly RoiRecord[] {
  return options.roiTable ?? options.rois;
}

export function roiTableDigest(rois: readonly RoiRecord[]): string {
  return sha256Hex(rois.map((r) => `${r.name},${r.xmin},${r.ymin},${r.xmax},${r.ymax},${r.maskFileId}`).join('\n'));
}

export function specOf(options: DownloadOptions): DatasetSpec {
  return {
    resolution: options.resolution,
    encoding: options.encoding,
    maskAlign: options.maskAlign,
    roiTableSha256: roiTableDigest(tableOf(options)),
    sources: {
      apiUrl: options.apiUrl,
      folderId: options.folderId,
      figshareUrl: options.figshareUrl,
      figshareArticleId: options.figshareArticleId,
      gdcUrl: options.gdcUrl,
    },
  };
}

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]']);

/**
 * A source's identity. A local server (`bcss serve --port 0`) gets another port at every start,
 * and a resumed run against the restarted server is the same dataset, so loopback ports are left out.
 */
export function sourceKey(url: string): string {
  try {
    const u = new URL(url);
    if (LOOPBACK.has(u.hostname)) u.port = '';
    return u.toString().replace(/\/+$/, '');
  } catch {
    return url;
  }
}

export function describeResolution(res: Resolution): string {
  if (res.kind === 'mpp') return `${res.mpp} µm/px (mm_x=${formatMm(mmPerPixel(res.mpp))})`;
  if (res.kind === 'mag') return `magnification ${res.magnification}×`;
  return 'base (scan) resolution';
}

/** Each aspect of a spec as [name, text]; equal text means the same dataset. */
function aspects(s: DatasetSpec): Array<[string, string, string]> {
  return [
    ['resolution', describeResolution(s.resolution), canonicalJson(s.resolution)],
    ['encoding', s.encoding, s.encoding],
    ['mask alignment', s.maskAlign, s.maskAlign],
    ['ROI table', `sha256 ${s.roiTableSha256.slice(0, 12)}…`, s.roiTableSha256],
    ['DSA', `${s.sources.apiUrl} folder ${s.sources.folderId}`, `${sourceKey(s.sources.apiUrl)} ${s.sources.folderId}`],
    ['figshare', `${s.sources.figshareUrl} article ${s.sources.figshareArticleId}`, `${sourceKey(s.sources.figshareUrl)} ${s.sources.figshareArticleId}`],
    ['GDC', s.sources.gdcUrl, sourceKey(s.sources.gdcUrl)],
  ];
}

/** The aspects in which two specs differ (empty = the same dataset). */
export function specDifferences(folder: DatasetSpec, run: DatasetSpec): string[] {
  const a = aspects(folder);
  const b = aspects(run);
  return a.filter(([, , key], i) => key !== b[i]?.[2]).map(([name]) => name);
}

/** One line: every aspect of a spec. */
export function describeSpec(s: DatasetSpec): string {
  return aspects(s)
    .map(([name, text]) => `${name} ${text}`)
    .join('; ');
}

/** The record after a run with `options` planned `plannedIds`: the union of both. */
export function mergeRecord(previous: DatasetRecord | null, options: DownloadOptions, plannedIds: readonly string[]): DatasetRecord {
  const table = tableOf(options);
  const names = new Set([...(previous?.rois ?? []), ...options.rois.map((r) => r.name)]);
  // Table order, then (for a table that lost a row, which the digest check rules out) the rest.
  const rois = [...table.map((r) => r.name).filter((n) => names.has(n)), ...[...names].filter((n) => !table.some((r) => r.name === n))];
  const components = [...new Set([...(previous?.components ?? []), ...options.components])];
  const planned = [...new Set([...(previous?.planned ?? []), ...plannedIds])].sort();
  return { ...specOf(options), rois, components, planned };
}

/** The ROI rows of the folder: every ROI any run of this dataset selected. */
export function folderRois(record: DatasetRecord, options: DownloadOptions): RoiRecord[] {
  const held = new Set(record.rois);
  return tableOf(options).filter((r) => held.has(r.name));
}

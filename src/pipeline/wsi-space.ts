/**
 * How many bytes the `wsis` component still needs, from the GDC records (one `POST /files`) less
 * what parts already hold, and the refusal to start when the slide folder's file system has less
 * free space, naming both numbers.
 */
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { DiskError } from '../errors.js';
import { queryGdcFiles } from '../remote/gdc-client.js';
import { partPathFor } from '../transfer/resumable-download.js';
import type { Transfer } from '../transfer/types.js';
import type { Artifact } from './artifacts.js';
import { freeBytesFor } from './free-space.js';
import type { DownloadOptions } from './types.js';
import { customWsiDir, DEFAULT_WSI_DIR, wsiSlideNames } from './wsi-artifacts.js';

export function wsiFolder(options: DownloadOptions, outDir: string): string {
  return customWsiDir(options) ?? join(outDir, DEFAULT_WSI_DIR);
}

/** Bytes still to fetch for a slide of `size` bytes whose part may already hold some. */
export async function remainingBytes(dir: string, fileName: string, size: number): Promise<number> {
  // A finished file in place is checked and taken without a download (resumable-download.ts).
  if ((await stat(join(dir, fileName)).then((s) => s.size, () => -1)) === size) return 0;
  const held = await stat(partPathFor(join(dir, fileName))).then((s) => s.size, () => 0);
  return Math.max(0, size - (held <= size ? held : 0));
}

/** Artifact id → bytes still to fetch, for the `wsis` artifacts of `toFetch` the GDC knows. */
export async function wsiBytesToFetch(toFetch: readonly Artifact[], options: DownloadOptions, outDir: string, transfer: Transfer): Promise<Map<string, number>> {
  const wanted = toFetch.filter((a) => a.kind === 'wsis' && a.slideFileName !== null);
  const out = new Map<string, number>();
  if (wanted.length === 0) return out;
  const lookup = await queryGdcFiles({
    transfer,
    baseUrl: options.gdcUrl,
    fileNames: wsiSlideNames(options.rois),
    ...(options.gdcToken === undefined ? {} : { token: options.gdcToken }),
  });
  const dir = wsiFolder(options, outDir);
  for (const a of wanted) {
    const hit = lookup.files.get(a.slideFileName as string);
    if (hit !== undefined) out.set(a.id, await remainingBytes(dir, hit.fileName, hit.fileSize));
  }
  return out;
}

/** DiskError when `dir`'s file system has fewer than `needed` free bytes. */
export async function checkFreeSpace(dir: string, needed: number, what: string): Promise<void> {
  const free = await freeBytesFor(dir);
  if (free === undefined || needed <= free) return;
  throw new DiskError(dir, `${what} needs ${needed} bytes (${(needed / 1e9).toFixed(2)} GB) in ${dir}, but only ${free} bytes (${(free / 1e9).toFixed(2)} GB) are free there`, {
    hint: 'Free some space, or put the slides on another disk with --wsi-dir DIR.',
  });
}

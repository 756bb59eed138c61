/**
 * The guard at the start of a download: does the output folder hold the dataset this run asks
 * for? Same spec → go on (and add to it). Another spec → refuse with exit 2, naming both specs
 * and the two ways forward; with `--replace`, move bcss's files aside to a sibling folder first
 * (nothing is ever deleted).
 */
import { mkdir, readdir, rename } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { UsageError } from '../errors.js';
import { toDiskError } from '../storage/disk-error.js';
import { describeSpec, specDifferences, specOf, describeResolution, type DatasetRecord, type DatasetSpec } from './dataset-spec.js';
import { fileTimestamp, LOCK_FILE_NAME, LOCK_JOURNAL_NAME, type LockFile } from './lock-file.js';
import type { DownloadOptions } from './types.js';

/** Top-level names bcss writes into an output folder (downloads, bookkeeping, prepare outputs). */
const BCSS_NAMES = new Set(['images', 'masks', 'annotations', 'wsis', 'meta', 'logs', 'splits', 'prepared', 'tiles', 'gallery', '.bcss-prepare']);

function isBcssEntry(name: string): boolean {
  return (
    BCSS_NAMES.has(name) ||
    name === LOCK_FILE_NAME ||
    name === LOCK_JOURNAL_NAME ||
    name.startsWith(`${LOCK_FILE_NAME}.corrupt-`) ||
    name.startsWith(`${LOCK_JOURNAL_NAME}.corrupt-`)
  );
}

export interface FolderCheck {
  /** The folder's record to build on (null: a new folder, or one just moved aside). */
  previous: DatasetRecord | null;
  /** Set when `--replace` moved the old files: where they are now. */
  replacedTo?: string;
}

/**
 * A lock written before bcss recorded the dataset: its options still tell the resolution,
 * encoding and mask alignment, which are compared; the rest is taken as this run's.
 */
function legacySpec(lock: LockFile, run: DatasetSpec): DatasetSpec {
  return { ...run, resolution: lock.options.resolution, encoding: lock.options.encoding, maskAlign: lock.options.maskAlign };
}

/**
 * The record an older lock implies: the ROIs and components its entries hold, so that the first
 * subset run after an upgrade still keeps meta/ and wsis/ describing the whole folder.
 */
function legacyRecord(lock: LockFile, run: DatasetSpec): DatasetRecord {
  const rois = new Set<string>();
  for (const e of lock.artifacts) {
    const roi = e.source.params.roi;
    if (typeof roi === 'string' && e.kind !== 'meta' && e.kind !== 'wsi-scripts') rois.add(roi);
  }
  return { ...legacySpec(lock, run), rois: [...rois], components: [...lock.options.components], planned: lock.artifacts.filter((e) => e.kind !== 'meta').map((e) => e.id).sort() };
}

/** Where `--replace` moves the old files: beside the folder, never inside it. */
export function replacedFolderName(outDir: string, now: Date): string {
  return join(dirname(outDir), `${basename(outDir)}-replaced-${fileTimestamp(now)}`);
}

async function moveAside(outDir: string, now: Date): Promise<string> {
  const to = replacedFolderName(outDir, now);
  try {
    await mkdir(to);
    for (const name of await readdir(outDir)) {
      if (isBcssEntry(name)) await rename(join(outDir, name), join(to, name));
    }
  } catch (err) {
    throw toDiskError(err, to, 'move the old dataset to');
  }
  return to;
}

export async function checkFolderDataset(outDir: string, lock: LockFile | null, options: DownloadOptions, now: () => Date): Promise<FolderCheck> {
  if (lock === null) return { previous: null };
  const run = specOf(options);
  const folder = lock.dataset ?? legacySpec(lock, run);
  const differs = specDifferences(folder, run);
  if (differs.length === 0) return { previous: lock.dataset ?? legacyRecord(lock, run) };
  if (options.replace === true) return { previous: null, replacedTo: await moveAside(outDir, now()) };
  const resolutionNote =
    differs.includes('resolution') ? ` (the folder's images are at ${describeResolution(folder.resolution)})` : '';
  throw new UsageError(
    `the output folder ${outDir} holds another dataset than this run asks for: ${differs.join(', ')} differ${resolutionNote}.\n` +
      `  the folder: ${describeSpec(folder)}\n` +
      `  this run:   ${describeSpec(run)}`,
    {
      hint:
        'One folder holds one dataset. Either choose another --out for this one, or add --replace to move the ' +
        `folder's current files to ${replacedFolderName(outDir, now())} first (nothing is deleted).`,
    },
  );
}

/**
 * `bcss verify`: offline and read-only. Re-hashes every file the lock lists, reports missing,
 * changed and extra files, files of another dataset spec and an incomplete download, checks that each mask has its image's size (both from the PNG
 * header; images are never decoded) and that mask values are class codes (masks are decoded).
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import { builtinClasses } from '../catalog/index.js';
import { readPngHeader } from '../image/png-header.js';
import { LEASE_FILE } from '../storage/run-lease.js';
import { hashFile } from './hash-file.js';
import { readJpegSize } from '../image/jpeg-size.js';
import { LOCK_FILE_NAME, LOCK_JOURNAL_NAME, readLock, type LockEntry } from './lock-file.js';
import { decodeGreyPng } from '../image/label-png.js';
import type { VerifyIssue, VerifyReport } from './types.js';
import { readHead } from './read-head.js';
import { datasetIssues } from './verify-dataset.js';
import { fileOnDisk } from './wsi-artifacts.js';
import { isResumablePartName } from '../transfer/resumable-download.js';

export interface RunVerifyOptions {
  /** The folder a download wrote (the one holding `bcss.lock.json`). */
  outDir: string;
}

/** Top-level names that are bookkeeping, not data. */
/** What `bcss prepare` derives from the download: not artifacts of the lock, so not "extra". */
const PREPARE_OUTPUTS = new Set(['splits', 'prepared', 'tiles', 'gallery', '.bcss-prepare']);

function isIgnored(rel: string): boolean {
  const top = rel.split('/')[0] ?? '';
  return (
    top === 'logs' ||
    PREPARE_OUTPUTS.has(top) ||
    rel === 'meta/class_stats.csv' ||
    rel === LOCK_FILE_NAME ||
    rel === LOCK_JOURNAL_NAME ||
    rel === LEASE_FILE ||
    rel.startsWith(`${LOCK_FILE_NAME}.corrupt-`) ||
    rel.startsWith(`${LOCK_JOURNAL_NAME}.corrupt-`)
  );
}

async function listFiles(root: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (dir: string): Promise<void> => {
    let entries;
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      const p = join(dir, e.name);
      const rel = relative(root, p).split(sep).join('/');
      if (isIgnored(rel)) continue;
      if (e.isDirectory()) await walk(p);
      else out.push(rel);
    }
  };
  await walk(root);
  return out.sort();
}

/** Pixel size from the file header: PNG IHDR, or the JPEG SOF marker. */
async function pixelSize(path: string): Promise<{ width: number; height: number }> {
  const head = await readHead(path, 64 * 1024);
  if (head[0] === 0xff && head[1] === 0xd8) {
    const size = readJpegSize(head);
    if (size === null) throw new Error('no JPEG frame header');
    return size;
  }
  const h = readPngHeader(head);
  return { width: h.width, height: h.height };
}

function stemOf(path: string): string {
  const base = path.slice(path.lastIndexOf('/') + 1);
  return base.replace(/\.(png|jpg)$/i, '');
}

/**
 * Re-checks a finished download offline against its lock file: every artifact's size and sha256,
 * image/mask pairs of equal size, mask values that are class codes, and files the lock does not
 * know. Makes no request and changes nothing; `report.ok` is true only when no issue was found.
 *
 * @example
 * ```ts
 * import { runVerify } from 'bcss';
 * const report = await runVerify({ outDir: 'BCSS' });
 * for (const issue of report.issues) console.log(issue.problem, issue.path, issue.detail);
 * ```
 */
export async function runVerify(options: RunVerifyOptions): Promise<VerifyReport> {
  const t0 = performance.now();
  const outDir = options.outDir;
  const issues: VerifyIssue[] = [];
  let bytesHashed = 0;
  const finish = (checked: number): VerifyReport => ({
    ok: issues.length === 0,
    checked,
    bytesHashed,
    seconds: (performance.now() - t0) / 1000,
    issues,
  });

  const read = await readLock(outDir, { moveAside: false });
  if (read.lock === null) {
    issues.push(
      read.warning === undefined
        ? { path: LOCK_FILE_NAME, problem: 'missing', detail: `no ${LOCK_FILE_NAME} in ${outDir}; run bcss download first` }
        : { path: LOCK_FILE_NAME, problem: 'unreadable', detail: read.warning },
    );
    return finish(0);
  }
  // A damaged lock is reported; its salvaged entries are still checked.
  if (read.warning !== undefined) issues.push({ path: LOCK_FILE_NAME, problem: 'unreadable', detail: read.warning });
  const entries = read.lock.artifacts;
  const hashed = await checkHashes(outDir, entries, issues);
  bytesHashed = hashed.bytesHashed;
  await checkExtraFiles(outDir, entries, issues);
  // Sizes: each image against its lock entry; each mask against its image (or its lock entry).
  const imagesByStem = await checkImages(outDir, hashed.intact, issues);
  await checkMasks(outDir, hashed.intact, imagesByStem, issues);
  // The folder as a whole: one dataset (one spec, one ROI table), everything planned fetched.
  issues.push(...(await datasetIssues(outDir, read.lock)));
  return finish(entries.length);
}

/** Each listed file is on disk with the lock's size and sha256; returns the intact ones by path. */
async function checkHashes(outDir: string, entries: readonly LockEntry[], issues: VerifyIssue[]): Promise<{ intact: Map<string, LockEntry>; bytesHashed: number }> {
  const intact = new Map<string, LockEntry>();
  let bytesHashed = 0;
  for (const e of entries) {
    const abs = fileOnDisk(outDir, e);
    let size: number;
    try {
      const info = await stat(abs);
      if (!info.isFile()) {
        issues.push({ path: e.path, problem: 'missing', detail: 'not a regular file' });
        continue;
      }
      size = info.size;
    } catch {
      issues.push({ path: e.path, problem: 'missing', detail: `listed in the lock (${e.bytes} bytes) but not on disk` });
      continue;
    }
    const { sha256, bytes } = await hashFile(abs);
    bytesHashed += bytes;
    if (sha256 !== e.sha256 || size !== e.bytes) {
      issues.push({
        path: e.path,
        problem: 'changed',
        detail: `${size} bytes, SHA-256 ${sha256.slice(0, 16)}…; the lock says ${e.bytes} bytes, ${e.sha256.slice(0, 16)}…`,
      });
      continue;
    }
    intact.set(e.path, e);
  }
  return { intact, bytesHashed };
}

/** Files the lock does not know (a killed run's temp files are named as such). */
async function checkExtraFiles(outDir: string, entries: readonly LockEntry[], issues: VerifyIssue[]): Promise<void> {
  const listed = new Set(entries.map((e) => e.path));
  for (const rel of await listFiles(outDir)) {
    if (listed.has(rel)) continue;
    const temp = /(^|\/)\.[^/]+\.[0-9a-f]{16}\.part$/.test(rel);
    const slidePart = !temp && rel.startsWith('wsis/') && isResumablePartName(rel.slice(rel.lastIndexOf('/') + 1));
    issues.push({
      path: rel,
      problem: 'extra',
      detail: temp
        ? 'temp file left by an interrupted run (the next download removes it)'
        : slidePart
          ? 'an incomplete slide kept for resume: the next download with --components wsis continues it'
          : 'not in the lock file: move or delete it (a rerun does not remove it)',
    });
  }
}

type ImagesByStem = Map<string, { entry: LockEntry; size: { width: number; height: number } }>;

/** Each image's pixel size against its lock entry; returns the sizes by file stem for the masks. */
async function checkImages(outDir: string, intact: ReadonlyMap<string, LockEntry>, issues: VerifyIssue[]): Promise<ImagesByStem> {
  const imagesByStem: ImagesByStem = new Map();
  for (const e of intact.values()) {
    if (e.kind !== 'images') continue;
    try {
      const size = await pixelSize(join(outDir, e.path));
      if (e.width !== undefined && e.height !== undefined && (size.width !== e.width || size.height !== e.height)) {
        issues.push({ path: e.path, problem: 'size-mismatch', detail: `${size.width}×${size.height} px, the lock says ${e.width}×${e.height} px` });
      }
      imagesByStem.set(stemOf(e.path), { entry: e, size });
    } catch (err) {
      issues.push({ path: e.path, problem: 'unreadable', detail: (err as Error).message });
    }
  }
  return imagesByStem;
}

/** Each mask: the size of its image (or its lock entry), and values that are class codes. */
async function checkMasks(outDir: string, intact: ReadonlyMap<string, LockEntry>, imagesByStem: ImagesByStem, issues: VerifyIssue[]): Promise<void> {
  const codes = new Uint8Array(256);
  for (const c of builtinClasses()) codes[c.code] = 1;
  for (const e of intact.values()) {
    if (e.kind !== 'masks') continue;
    let mask;
    try {
      mask = await decodeGreyPng(await readFile(join(outDir, e.path)), { label: e.path });
    } catch (err) {
      issues.push({ path: e.path, problem: 'unreadable', detail: (err as Error).message });
      continue;
    }
    const image = imagesByStem.get(stemOf(e.path));
    if (image !== undefined && (image.size.width !== mask.width || image.size.height !== mask.height)) {
      issues.push({
        path: e.path,
        problem: 'size-mismatch',
        detail: `mask ${mask.width}×${mask.height} px, image ${image.entry.path} ${image.size.width}×${image.size.height} px`,
      });
    } else if (image === undefined && e.width !== undefined && e.height !== undefined && (mask.width !== e.width || mask.height !== e.height)) {
      issues.push({ path: e.path, problem: 'size-mismatch', detail: `${mask.width}×${mask.height} px, the lock says ${e.width}×${e.height} px` });
    }
    const seen = new Uint8Array(256);
    for (let i = 0; i < mask.data.length; i++) seen[mask.data[i] as number] = 1;
    const bad: number[] = [];
    for (let v = 0; v < 256; v++) if (seen[v] === 1 && codes[v] !== 1) bad.push(v);
    if (bad.length > 0) {
      issues.push({ path: e.path, problem: 'bad-values', detail: `values ${bad.slice(0, 8).join(', ')} are not class codes (0..21)` });
    }
  }
}

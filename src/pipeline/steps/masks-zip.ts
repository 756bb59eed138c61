/**
 * Masks through figshare's one-ZIP route (`--masks-via`, issue #11). figshare asks for at most one
 * request per second, so n masks fetched one file at a time cost ≥ n seconds; the whole article
 * as one ZIP costs three polite requests (listing, article record, archive) plus its transfer.
 *
 * - `auto` takes the ZIP when its estimated time beats n × interval (see `chooseMasksRoute`).
 * - The article version comes from the article record and is pinned in the archive URL.
 * - The archive goes to a temp file in the output folder (its name is a temp-file name, so a
 *   killed run's copy is removed by the next run); members are read one at a time when a mask
 *   task asks, so memory holds a few masks, never the archive.
 * - A member is used only if its size and md5 match the listing's `size` and `computed_md5`;
 *   members nobody asked for are never decoded. Any failure of the route, or of one member,
 *   sends the masks concerned to the per-file route, and the run log says so.
 */
import { unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { IntegrityError } from '../../errors.js';
import { articleZipUrl, looksLikeZip, openZip, readArticleRecord, type OpenedZip } from '../../remote/figshare-zip.js';
import type { FigshareFileInfo } from '../../remote/types.js';
import type { RemoteContext } from '../remote-context.js';
import type { DownloadOptions, MasksVia, PipelineEvent } from '../types.js';
import { OBJECT_STORE_LANE } from '../types.js';


/**
 * Bandwidth assumed for the archive before the run has measured its own (bytes/s): 10 MB/s, a
 * modest connection, so `auto` does not pick the ZIP for a few masks on a slow line.
 */
export const ASSUMED_ZIP_BYTES_PER_SEC = 10e6;
/** Received bytes after which the run's own average rate replaces the assumption. */
export const MEASURED_RATE_MIN_BYTES = 1 << 20;

export interface RouteChoice {
  route: 'zip' | 'files';
  zipSeconds: number;
  filesSeconds: number;
  bytesPerSec: number;
}

/**
 * ZIP time = the two extra polite request slots (article record, archive) + Σ member sizes over
 * the bandwidth (measured when the run has received enough, else assumed); per-file time =
 * wanted × interval. The ZIP holds every member, wanted or not, so its size is the whole sum.
 */
export function chooseMasksRoute(input: {
  via: MasksVia;
  wanted: number;
  archiveBytes: number;
  intervalMs: number;
  measured?: { bytes: number; seconds: number };
}): RouteChoice {
  const m = input.measured;
  const bytesPerSec = m !== undefined && m.bytes >= MEASURED_RATE_MIN_BYTES && m.seconds > 0 ? m.bytes / m.seconds : ASSUMED_ZIP_BYTES_PER_SEC;
  const zipSeconds = (2 * input.intervalMs) / 1000 + input.archiveBytes / bytesPerSec;
  const filesSeconds = (input.wanted * input.intervalMs) / 1000;
  const route = input.via === 'auto' ? (zipSeconds < filesSeconds ? 'zip' : 'files') : input.via;
  return { route, zipSeconds, filesSeconds, bytesPerSec };
}

/** Hands each mask task its verified base-mask bytes from the archive, or null: fetch the file. */
export interface MaskZipSource {
  take(file: FigshareFileInfo): Promise<Buffer | null>;
  /** Closes the archive and deletes its temp file (idempotent). */
  close(): Promise<void>;
}

export interface MaskZipDeps {
  outDir: string;
  options: DownloadOptions;
  remote: RemoteContext;
  /** figshare file ids of the masks this run fetches. */
  wanted: readonly number[];
  emit: (event: PipelineEvent) => void;
  /** Seconds since the run began (for the measured rate). */
  elapsedSeconds: () => number;
}

/** Room for a local header, descriptor and central record per member, and the end records. */
const ZIP_OVERHEAD_PER_MEMBER = 1024;
const ZIP_OVERHEAD_FIXED = 64 * 1024;

/** The archive's temp-file name (`.<name>.<16 hex>.part`: cleaned up by the next run). */
function archivePath(outDir: string, articleId: number, version: number): string {
  return join(outDir, `.bcss-article-${articleId}-v${version}.zip.${randomBytes(8).toString('hex')}.part`);
}

type Log = (level: 'info' | 'warn', message: string) => void;

/** `auto`'s comparison for the masks still wanted (logged either way); true = take the archive. */
function archiveIsFaster(deps: MaskZipDeps, files: ReadonlyMap<number, FigshareFileInfo>, wanted: number, log: Log): boolean {
  const { options, remote } = deps;
  const via = options.masksVia ?? 'auto';
  const archiveBytes = [...files.values()].reduce((sum, f) => sum + f.size, 0);
  const choice = chooseMasksRoute({
    via,
    wanted,
    archiveBytes,
    intervalMs: options.lanes.figshare?.minIntervalMs ?? 1000,
    measured: { bytes: remote.transfer.stats.bytes, seconds: deps.elapsedSeconds() },
  });
  const why =
    `ZIP ≈ ${choice.zipSeconds.toFixed(1)} s (${(archiveBytes / 1e6).toFixed(1)} MB at ${(choice.bytesPerSec / 1e6).toFixed(1)} MB/s) ` +
    `vs ${wanted} file request(s) ≈ ${choice.filesSeconds.toFixed(1)} s`;
  log('info', choice.route === 'zip' ? `masks: figshare's article ZIP (--masks-via ${via}; ${why})` : `masks: one request per file (--masks-via ${via}; ${why})`);
  return choice.route === 'zip';
}

/** Article record → pinned archive URL → the archive in a temp file of the output folder. */
async function downloadArchive(deps: MaskZipDeps, files: ReadonlyMap<number, FigshareFileInfo>, onPath: (path: string) => void): Promise<string> {
  const { options, remote } = deps;
  const articleId = options.figshareArticleId;
  const sample = deps.wanted.map((id) => files.get(id)).find((f) => f !== undefined) ?? files.values().next().value;
  if (sample === undefined) throw new Error(`figshare article ${articleId} lists no files`);
  const record = await readArticleRecord(remote.transfer, options.figshareUrl, articleId, 'figshare', remote.figshareAuth?.() ?? {});
  if (record.downloadDisabled) throw new Error(`figshare article ${articleId} has downloads disabled`);
  const url = articleZipUrl(sample.downloadUrl, articleId, record.version);
  if (url === null) throw new Error(`cannot derive the article ZIP URL from ${sample.downloadUrl}`);
  const archiveBytes = [...files.values()].reduce((sum, f) => sum + f.size, 0);
  const maxBytes = archiveBytes + files.size * ZIP_OVERHEAD_PER_MEMBER + ZIP_OVERHEAD_FIXED;
  const path = archivePath(deps.outDir, articleId, record.version);
  onPath(path);
  await remote.transfer.download({
    url,
    lane: 'figshare',
    redirectLane: OBJECT_STORE_LANE,
    destPath: path,
    sniff: 'any',
    syncDir: false, // a temp file: nothing relies on its name surviving a crash
    // Aborted the moment it passes what the listed members can make (docs/security.md).
    maxBytes,
    maxBytesReason: `the article's ${files.size} listed files plus ZIP overhead`,
    ...remote.figshareAuth?.(),
    validate: async (_temp, stored) => {
      // Retried: an HTML page or a cut answer is a source fault like any other.
      if (!looksLikeZip(stored.head)) throw new IntegrityError(`${url}: the answer is not a ZIP archive`);
      if (stored.bytes > maxBytes) throw new Error(`${url}: the archive is ${stored.bytes} bytes, more than the listed files (${maxBytes})`);
    },
  });
  deps.emit({ type: 'log', level: 'info', message: `masks: article ${articleId} v${record.version} ZIP received` });
  return path;
}

/** The member's bytes if its size and md5 match the file record; else null (logged). */
async function verifiedMember(zip: OpenedZip, file: FigshareFileInfo, log: Log): Promise<Buffer | null> {
  const info = zip.members.get(file.name);
  const reject = (why: string): null => {
    log('warn', `masks: ZIP member ${file.name} ${why}; fetching file ${file.id} on its own`);
    return null;
  };
  if (info === undefined) return reject('is missing');
  if (info === null) return reject('occurs twice');
  if (info.size !== file.size) return reject(`has ${info.size} bytes, the listing says ${file.size}`);
  try {
    const read = await zip.read(file.name, file.size);
    if (read.md5 !== file.computedMd5) return reject(`has md5 ${read.md5}, the listing says ${file.computedMd5}`);
    return read.data;
  } catch (err) {
    return reject(`could not be read (${err instanceof Error ? err.message : String(err)})`);
  }
}

export function openMaskZipSource(deps: MaskZipDeps): MaskZipSource {
  const via = deps.options.masksVia ?? 'auto';
  const log: Log = (level, message) => deps.emit({ type: 'log', level, message });
  let path: string | null = null;
  let closed = false;
  let outstanding = new Set(deps.wanted).size;

  const removeArchive = async (): Promise<void> => {
    if (path === null) return;
    const p = path;
    path = null;
    await unlink(p).catch(() => undefined);
  };

  let archive: Promise<OpenedZip | null> | null = null;
  const start = (): Promise<OpenedZip | null> => {
    archive ??= (async () => {
      const files = await deps.remote.figshareListing();
      if (via === 'files' || deps.wanted.length === 0 || !archiveIsFaster(deps, files, outstanding, log)) return null;
      try {
        await downloadArchive(deps, files, (p) => (path = p));
        if (closed || path === null) {
          await removeArchive();
          return null;
        }
        return await openZip(path);
      } catch (err) {
        log('warn', `masks: the article ZIP route failed (${err instanceof Error ? err.message : String(err)}); fetching the ${outstanding} unverified mask(s) one file at a time`);
        await removeArchive();
        return null;
      }
    })();
    return archive;
  };

  const close = async (): Promise<void> => {
    if (closed) return;
    closed = true;
    const zip = await archive?.catch(() => null);
    zip?.close();
    await removeArchive();
  };

  // Started at once: the listing and the archive need nothing from the DSA.
  if (via !== 'files' && deps.wanted.length > 0) start().catch(() => undefined);

  return {
    async take(file) {
      if (via === 'files') return null;
      let zip: OpenedZip | null;
      try {
        zip = await start();
      } catch {
        return null; // the listing failed: the per-file route reports it
      }
      if (zip === null || closed) return null;
      try {
        return await verifiedMember(zip, file, log);
      } finally {
        if (--outstanding <= 0) await close();
      }
    },
    close,
  };
}

/**
 * Images: stream the DSA region render straight to a temp file in `images/`; before the rename,
 * read its header and compare its size with what large_image's algorithm predicts for the ROI
 * at this resolution (docs/imaging.md#region-size). The RGB is never decoded (docs/architecture.md#decisions-worth-knowing).
 */
import { join } from 'node:path';
import { builtinSlides, DSA_FOLDER_ID, findSlideForRoi } from '../../catalog/index.js';
import { IntegrityError } from '../../errors.js';
import { readPngHeader, type PngHeader } from '../../image/png-header.js';
import { readPngHeaderFromFile } from '../../image/png-header-file.js';
import { explainGirderError } from '../../remote/girder-client.js';
import { EmptyBodyError, WrongContentError } from '../../transfer/content-errors.js';
import type { Artifact } from '../artifacts.js';
import { checkedOutputSize, regionByteCeiling } from '../geometry-sanity.js';
import { isJpeg, readJpegSize } from '../../image/jpeg-size.js';
import type { LockEntry } from '../lock-file.js';
import type { DownloadOptions } from '../types.js';
import type { RunStepContext, StepContext } from './step-context.js';
import { readHead } from '../read-head.js';

export interface PixelSize {
  width: number;
  height: number;
}

/** How many leading bytes are searched for the JPEG SOF marker. */
const JPEG_HEAD_BYTES = 64 * 1024;

/**
 * The `validate` hook for a region download: PNG via the IHDR, JPEG via the SOF marker (the
 * engine has no JPEG sniffer, so the magic is checked here too). A wrong size is a
 * WrongContentError: the header of even a cut-short render is intact, so a well-formed render of
 * another size is the server's (deterministic) answer, and rendering it again would only repeat an
 * expensive request. The message carries both sizes.
 */
export function imageValidator(
  expected: PixelSize,
  encoding: 'png' | 'jpeg',
  label: string,
): (tempPath: string, stored?: { bytes: number; head: Uint8Array }) => Promise<void> {
  return async (tempPath, stored) => {
    // The engine hands over the body's first bytes; the file is read only without them.
    const inMemory = stored !== undefined && (stored.head.length >= JPEG_HEAD_BYTES || stored.head.length === stored.bytes) ? stored.head : null;
    let got: PixelSize;
    if (encoding === 'png') {
      const header = inMemory !== null ? pngHeaderOf(inMemory, tempPath) : await readPngHeaderFromFile(tempPath);
      got = { width: header.width, height: header.height };
    } else {
      const head = inMemory ?? (await readHead(tempPath, JPEG_HEAD_BYTES));
      if (!isJpeg(head)) {
        throw new IntegrityError(`${label}: the render is not a JPEG (first bytes ${JSON.stringify(head.subarray(0, 16).toString('latin1'))})`, {
          path: tempPath,
          expected: 'JPEG',
        });
      }
      const size = readJpegSize(head);
      if (size === null) throw new IntegrityError(`${label}: no JPEG frame header in the first ${JPEG_HEAD_BYTES} bytes`, { path: tempPath });
      got = size;
    }
    if (got.width !== expected.width || got.height !== expected.height) {
      throw new WrongContentError(
        `${label}: the DSA sent ${got.width}×${got.height} px but the region math predicts ${expected.width}×${expected.height} px`,
        { path: tempPath, expected: `${expected.width}x${expected.height}`, actual: `${got.width}x${got.height}` },
      );
    }
  };
}

/** `readPngHeader` with the file's path in the message, as `readPngHeaderFromFile` reports it. */
function pngHeaderOf(head: Uint8Array, path: string): PngHeader {
  try {
    return readPngHeader(head);
  } catch (err) {
    if (err instanceof IntegrityError) {
      throw new IntegrityError(`${path}: ${err.message}`, { path, expected: err.expected, actual: err.actual, cause: err });
    }
    throw err;
  }
}

/**
 * A render started before the DSA listing confirmed the slide's item (`imageStep` below): the
 * catalog's id is used, and before the file may take its final name the listing must name the
 * same item, or the render is thrown away (EarlyRenderMissed) and done again with the right one.
 */
export interface EarlyRender {
  itemId: string;
  /** Resolves once the services may be asked with credentials (after login). */
  authenticated: Promise<void>;
  /** The item the listing names for this ROI. */
  confirm: () => Promise<string>;
}

/** The listing named another item than the one rendered early; nothing was stored. */
export class EarlyRenderMissed extends Error {}

export async function fetchImage(ctx: StepContext, artifact: Artifact, early?: EarlyRender): Promise<LockEntry> {
  const { roi, path } = artifact;
  if (roi === null || path === null) throw new Error(`image artifact ${artifact.id} has no ROI/path`);
  const { options, remote } = ctx;
  const bounds = { left: roi.xmin, top: roi.ymin, right: roi.xmax, bottom: roi.ymax };
  const what = `${roi.name} image`;
  try {
    if (early !== undefined) await early.authenticated;
    const itemId = early?.itemId ?? remote.slideFor(roi).itemId;
    // The render goes out without waiting for its slide's metadata (`/tiles`, prefetched): only
    // the size check needs it, and it is in long before the render is done. A render slot never
    // waits for a metadata lookup.
    const geometry = remote.geometryFor(itemId);
    geometry.catch(() => undefined); // awaited in validate
    const url = remote.girder.regionUrl(itemId, bounds, options.resolution, options.encoding);
    const destPath = join(ctx.outDir, path);
    const ceiling = regionByteCeiling(roi, options.resolution);
    const stored = await remote.transfer.download({
      url,
      lane: remote.girder.renderLane,
      maxBytes: ceiling.bytes,
      maxBytesReason: ceiling.reason,
      // The render slot is the DSA's: once a render's answer starts (with its length known, i.e.
      // the render is complete), the next render may begin while these bytes travel.
      releaseLaneOnHeaders: true,
      ...remote.girder.authHeaders(),
      destPath,
      // The lock syncs the folder before it records the file (lock-file.ts), once per batch.
      syncDir: false,
      sniff: options.encoding === 'png' ? 'png' : 'any',
      validate: async (tempPath, got) => {
        const expected = checkedOutputSize(await geometry, roi, options.resolution);
        await imageValidator(expected, options.encoding, what)(tempPath, got);
        if (early !== undefined) {
          const confirmed = await early.confirm();
          if (confirmed !== itemId) throw new EarlyRenderMissed(`${what}: the DSA lists item ${confirmed}, not the catalog's ${itemId}`);
        }
      },
    });
    const expected = checkedOutputSize(await geometry, roi, options.resolution);
    return {
      id: artifact.id,
      kind: 'images',
      path,
      bytes: stored.bytes,
      sha256: stored.sha256,
      mtimeMs: stored.mtimeMs,
      source: { url, params: artifact.params },
      imageSource: 'dsa',
      width: expected.width,
      height: expected.height,
      status: 'done',
      completed: ctx.now().toISOString(),
    };
  } catch (err) {
    if (err instanceof EmptyBodyError) {
      // Not a transport fault: large_image's way of saying "nothing to render" (docs/protocols.md#tiles-region).
      throw new IntegrityError(
        `${what}: the DSA rendered nothing for this region (every answer was a 200 with an empty body, as large_image sends for a region outside the slide, of zero size, or at a resolution it cannot meet); check this ROI's bounds in the ROI table and the --mpp/--mag value. Last answer: ${err.message}`,
        { path, cause: err },
      );
    }
    throw explainGirderError(err, what);
  }
}

/**
 * Images rendered before the DSA listing is in (artifact id → the catalog's item id): the first
 * ones of the fetch list, as many as the render lane runs at once. Only for the catalog's own DSA
 * folder, where its ids are the real ones; the listing still confirms each before it is stored.
 */
export function earlyRenders(toFetch: readonly Artifact[], options: DownloadOptions): Map<string, string> {
  const out = new Map<string, string>();
  if (options.folderId !== DSA_FOLDER_ID || options.imageSource === 'wsi') return out;
  const room = options.lanes['dsa-render']?.concurrency ?? 4;
  const catalog = builtinSlides();
  for (const a of toFetch) {
    if (out.size >= room) break;
    if (a.kind !== 'images' || a.roi === null) continue;
    const id = findSlideForRoi(a.roi, catalog)?.dsaItemId;
    if (id !== undefined) out.set(a.id, id);
  }
  return out;
}

/**
 * The images step of a download run: an early render goes out on the catalog's item id while the
 * listing is on the wire (the listing must confirm it); every other image waits for the listing.
 */
export async function imageStep(ctx: RunStepContext, a: Artifact): Promise<LockEntry> {
  const itemId = ctx.early.get(a.id);
  if (itemId !== undefined && a.roi !== null) {
    const roi = a.roi;
    const confirm = async (): Promise<string> => {
      await ctx.connected;
      return ctx.remote.slideFor(roi).itemId;
    };
    try {
      return await fetchImage(ctx, a, { itemId, authenticated: ctx.remote.authenticated, confirm });
    } catch (err) {
      // Rendered again only if the listing names another item: any other failure would repeat.
      const confirmed = await confirm().catch(() => null);
      if (confirmed === null || confirmed === itemId) throw err;
      ctx.log(`${a.id}: rendered early from the catalog's item ${itemId}, but the DSA lists ${confirmed}; rendering it again`);
    }
  }
  return fetchImage(ctx, a);
}

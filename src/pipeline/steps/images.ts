/**
 * Images: stream the DSA region render straight to a temp file in `images/`; before the rename,
 * read its header and compare its size with what large_image's algorithm predicts for the ROI
 * at this resolution (remote-services.md A11). The RGB is never decoded (architecture.md).
 */
import { open, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { IntegrityError } from '../../errors.js';
import { readPngHeaderFromFile } from '../../geometry/png-header-file.js';
import { predictOutputSize } from '../../geometry/region-size.js';
import { explainGirderError } from '../../remote/girder-client.js';
import { EmptyBodyError, WrongContentError } from '../../transfer/content-errors.js';
import type { Artifact } from '../artifacts.js';
import { isJpeg, readJpegSize } from '../jpeg-size.js';
import type { LockEntry } from '../lock-file.js';
import type { StepContext } from './step-context.js';

export interface PixelSize {
  width: number;
  height: number;
}

/** How many leading bytes are searched for the JPEG SOF marker. */
const JPEG_HEAD_BYTES = 64 * 1024;

async function readHead(path: string, n: number): Promise<Buffer> {
  const fh = await open(path, 'r');
  try {
    const buf = Buffer.alloc(n);
    const { bytesRead } = await fh.read(buf, 0, n, 0);
    return buf.subarray(0, bytesRead);
  } finally {
    await fh.close();
  }
}

/**
 * The `validate` hook for a region download: PNG via the IHDR, JPEG via the SOF marker (the
 * engine has no JPEG sniffer, so the magic is checked here too). A wrong size is a
 * WrongContentError: the header of even a cut-short render is intact, so a well-formed render of
 * another size is the server's (deterministic) answer, and rendering it again would only repeat an
 * expensive request. The message carries both sizes.
 */
export function imageValidator(expected: PixelSize, encoding: 'png' | 'jpeg', label: string): (tempPath: string) => Promise<void> {
  return async (tempPath) => {
    let got: PixelSize;
    if (encoding === 'png') {
      const header = await readPngHeaderFromFile(tempPath);
      got = { width: header.width, height: header.height };
    } else {
      const head = await readHead(tempPath, JPEG_HEAD_BYTES);
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

export async function fetchImage(ctx: StepContext, artifact: Artifact): Promise<LockEntry> {
  const { roi, path } = artifact;
  if (roi === null || path === null) throw new Error(`image artifact ${artifact.id} has no ROI/path`);
  const { options, remote } = ctx;
  const slide = remote.slideFor(roi);
  const bounds = { left: roi.xmin, top: roi.ymin, right: roi.xmax, bottom: roi.ymax };
  const what = `${roi.name} image`;
  try {
    const geometry = await remote.geometryFor(slide.itemId);
    const expected = predictOutputSize(geometry, bounds, options.resolution);
    const url = remote.girder.regionUrl(slide.itemId, bounds, options.resolution, options.encoding);
    const destPath = join(ctx.outDir, path);
    const stored = await remote.transfer.download({
      url,
      lane: remote.girder.renderLane,
      ...remote.girder.authHeaders(),
      destPath,
      sniff: options.encoding === 'png' ? 'png' : 'any',
      validate: imageValidator(expected, options.encoding, what),
    });
    const info = await stat(destPath);
    return {
      id: artifact.id,
      kind: 'images',
      path,
      bytes: stored.bytes,
      sha256: stored.sha256,
      mtimeMs: info.mtimeMs,
      source: { url, params: artifact.params },
      width: expected.width,
      height: expected.height,
      status: 'done',
      completed: ctx.now().toISOString(),
    };
  } catch (err) {
    if (err instanceof EmptyBodyError) {
      // Not a transport fault: large_image's way of saying "nothing to render" (A10).
      throw new IntegrityError(
        `${what}: the DSA rendered nothing for this region (every answer was a 200 with an empty body, as large_image sends for a region outside the slide, of zero size, or at a resolution it cannot meet); check this ROI's bounds in the ROI table and the --mpp/--mag value. Last answer: ${err.message}`,
        { path, cause: err },
      );
    }
    throw explainGirderError(err, what);
  }
}

/**
 * Masks: the base mask from figshare (a member of the article ZIP, masks-zip.ts, or the listing's
 * `download_url` on the figshare lane; either way md5 = the listing's `computed_md5`), checked, resized to the image's grid and written atomically. The
 * target is the PREDICTED region size, so masks work without images (which the original could
 * not do at 0.25 µm/px), and it equals the image's size because images are checked against the
 * same prediction.
 */
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { builtinClasses } from '../../catalog/index.js';
import type { RoiRecord } from '../../catalog/types.js';
import { explainGirderError } from '../../remote/girder-client.js';
import { writeFileAtomic } from '../../storage/atomic-file.js';
import type { Artifact } from '../artifacts.js';
import { sha256Hex } from '../hash-file.js';
import type { LockEntry } from '../lock-file.js';
import { checkedOutputSize } from '../geometry-sanity.js';
import { convertMask } from '../mask-convert.js';
import type { PixelSize } from './images.js';
import { OBJECT_STORE_LANE } from '../types.js';
import type { StepContext } from './step-context.js';

/** The image's size for this ROI: base RGB size with --base, else the region math on `/tiles`. */
export async function maskTargetSize(ctx: StepContext, roi: RoiRecord): Promise<PixelSize> {
  const { resolution } = ctx.options;
  if (resolution.kind === 'base') return { width: roi.xmax - roi.xmin, height: roi.ymax - roi.ymin };
  const slide = ctx.remote.slideFor(roi);
  try {
    const geometry = await ctx.remote.geometryFor(slide.itemId);
    // Checked against the catalog: a lying /tiles must not size the mask (issue 9 item 9).
    return checkedOutputSize(geometry, roi, resolution);
  } catch (err) {
    throw explainGirderError(err, `${roi.name} slide metadata`);
  }
}

/**
 * `size`: where the target size comes from when not from the DSA's `/tiles` (`--image-source`,
 * steps/mask-size.ts: the local slide's geometry); the DSA's by default.
 */
export async function fetchMask(ctx: StepContext, artifact: Artifact, size?: () => Promise<PixelSize>): Promise<LockEntry> {
  const { roi, path } = artifact;
  if (roi === null || path === null) throw new Error(`mask artifact ${artifact.id} has no ROI/path`);
  const { remote, options } = ctx;
  // The target size (slide metadata, DSA) and the base mask (figshare) do not depend on each
  // other: ask both services at once. An unresolved slide still fails before any download.
  if (options.resolution.kind !== 'base' && size === undefined) remote.slideFor(roi);
  const targetSize = size === undefined ? maskTargetSize(ctx, roi) : size();
  targetSize.catch(() => undefined); // awaited below; a failure must not go unhandled meanwhile
  const file = await remote.figshareFile(roi.maskFileId);
  // From the article ZIP when the run took that route and the member checks out; else the file.
  const fromZip = (await ctx.maskZip?.take(file)) ?? null;
  const png =
    fromZip ??
    (
      await remote.transfer.buffer({
        url: file.downloadUrl,
        lane: 'figshare',
        redirectLane: OBJECT_STORE_LANE,
        // The figshare token (private articles); dropped by the engine on the redirect to the object store.
        ...remote.figshareAuth?.(),
        sniff: 'png',
        expectedBytes: file.size,
        expectedMd5: file.computedMd5,
      })
    ).data;
  const target = await targetSize;
  const converted = await convertMask({
    png,
    roi,
    target,
    align: options.maskAlign,
    classCodes: builtinClasses().map((c) => c.code),
  });
  const destPath = join(ctx.outDir, path);
  // The lock syncs the folder before it records the file (lock-file.ts), once per batch.
  await writeFileAtomic(destPath, converted.png, { syncDir: false });
  const info = await stat(destPath);
  return {
    id: artifact.id,
    kind: 'masks',
    path,
    bytes: converted.png.length,
    sha256: sha256Hex(converted.png),
    mtimeMs: info.mtimeMs,
    source: { url: file.downloadUrl, params: artifact.params },
    sourceChecksum: { md5: file.computedMd5 },
    width: converted.width,
    height: converted.height,
    maskBase: converted.base,
    status: 'done',
    completed: ctx.now().toISOString(),
  };
}

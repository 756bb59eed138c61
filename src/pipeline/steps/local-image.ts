/**
 * An ROI image rendered from its local slide inside a download run (`--image-source wsi`, or
 * `auto`'s fall-back): the same code as `bcss extract` (render/render-roi.ts), the same name,
 * size, channels and lock params as the DSA's render, and the slide's geometry from the file, so
 * nothing here asks the DSA. When the run downloads the slide too, this waits for that slide only.
 */
import { dirname, join } from 'node:path';
import { builtinSlides } from '../../catalog/slides.js';
import type { RoiRecord } from '../../catalog/types.js';
import { BcssError, DiskError, type ErrorKind } from '../../errors.js';
import { planRoi, renderPlanToFile, type RenderedFile } from '../../render/render-roi.js';
import { readSlideFolder, slideFileFor, type SlideFolder } from '../../render/slide-files.js';
import { openSlide, type FileSlideSource } from '../../slides/open-slide.js';
import { slideGeometry } from '../../slides/slide-geometry.js';
import { ensureDir } from '../../storage/atomic-file.js';
import type { Artifact } from '../artifacts.js';
import { describeError } from '../dsa-breaker.js';
import { checkedOutputSize } from '../geometry-sanity.js';
import type { ImageRouting } from '../image-routing.js';
import type { LockEntry } from '../lock-file.js';
import { wsiSourceUrl } from '../run-extract.js';
import type { Resolution, SlideGeometry } from '../../geometry/types.js';
import type { StepContext } from './step-context.js';

/** One ROI's local slide is missing, unreadable or failed to download: that ROI fails, the run goes on. */
export class SlideProblem extends BcssError {
  constructor(kind: ErrorKind, message: string, options: { cause?: unknown } = {}) {
    super(kind, message, options);
  }
}

const WHAT_TO_DO_MISSING = 'add --components wsis to fetch it from the GDC, or point --wsi-dir at the folder that holds the slides';

/** The folder's files; a folder that does not exist (yet) holds none. */
async function slideFolder(dir: string): Promise<SlideFolder> {
  try {
    return await readSlideFolder(dir);
  } catch {
    return { dir, names: [] };
  }
}

/** True when the ROI's slide file is in the folder now, or this run downloads it. */
export async function slideAvailable(routing: ImageRouting, a: Artifact): Promise<boolean> {
  if (a.roi === null) return false;
  if (a.slideFileName !== null && routing.arrivals.expects(a.slideFileName)) return true;
  return slideFileFor(a.roi, await slideFolder(routing.wsiDir), builtinSlides()).ok;
}

/** The slide file of the ROI, after its download when this run fetches it. */
async function findSlide(routing: ImageRouting, a: Artifact, roi: RoiRecord): Promise<{ path: string; fileName: string }> {
  const name = a.slideFileName;
  if (name !== null && routing.arrivals.expects(name)) {
    try {
      await routing.arrivals.wait(name);
    } catch (err) {
      const kind = err instanceof BcssError ? err.kind : 'remote';
      throw new SlideProblem(kind, `${roi.name}: its slide ${name} did not arrive from the GDC (${describeError(err)}); the image needs it`, { cause: err });
    }
  }
  const found = slideFileFor(roi, await slideFolder(routing.wsiDir), builtinSlides());
  if (!found.ok) throw new SlideProblem('usage', `${roi.name}: ${found.reason}; ${WHAT_TO_DO_MISSING}`);
  return found;
}

/** The slide file opened, or the ROI's SlideProblem naming the file and what to do; the file is never touched. */
async function openLocalSlide(slidePath: string, roi: RoiRecord): Promise<FileSlideSource> {
  try {
    return await openSlide(slidePath);
  } catch (err) {
    throw new SlideProblem(
      'integrity',
      `${roi.name}: slide file ${slidePath} cannot be read as a tiled TIFF/SVS (${describeError(err)}); it was left as it is: delete it and rerun with --components wsis to fetch it again, or point --wsi-dir at a good copy`,
      { cause: err },
    );
  }
}

/** Opens, checks and renders; any failure of the slide itself (not of the disk) is the ROI's SlideProblem. */
async function renderFromFile(slidePath: string, roi: RoiRecord, resolution: Resolution, dest: string, signal?: AbortSignal): Promise<RenderedFile> {
  const source = await openLocalSlide(slidePath, roi);
  try {
    const geometry = slideGeometry(source);
    // The same checks and size as the DSA road: the file's metadata against the catalog's magnification.
    const expected = checkedOutputSize(geometry, roi, resolution);
    const plan = planRoi(geometry, roi, resolution);
    if (plan.width !== expected.width || plan.height !== expected.height) {
      throw new Error(`plan ${plan.width}x${plan.height} differs from the predicted ${expected.width}x${expected.height}`);
    }
    return await renderPlanToFile(source, geometry, plan, dest, { syncDir: false, ...(signal === undefined ? {} : { signal }) });
  } catch (err) {
    if (err instanceof DiskError || signal?.aborted === true) throw err;
    const kind = err instanceof BcssError ? err.kind : 'integrity';
    throw new SlideProblem(kind, `${roi.name}: rendering from slide file ${slidePath} failed: ${describeError(err)}`, { cause: err });
  } finally {
    await source.close().catch(() => undefined);
  }
}

/** The slide file's geometry (after its download when this run fetches it), for a mask's size. */
export async function localSlideGeometry(routing: ImageRouting, a: Artifact): Promise<SlideGeometry> {
  const { roi } = a;
  if (roi === null) throw new Error(`artifact ${a.id} has no ROI`);
  const slide = await findSlide(routing, a, roi);
  const source = await openLocalSlide(slide.path, roi);
  try {
    return slideGeometry(source);
  } finally {
    await source.close().catch(() => undefined);
  }
}

export async function renderLocalImage(ctx: StepContext, routing: ImageRouting, a: Artifact, signal?: AbortSignal): Promise<LockEntry> {
  const { roi, path } = a;
  if (roi === null || path === null) throw new Error(`image artifact ${a.id} has no ROI/path`);
  const slide = await findSlide(routing, a, roi);
  const dest = join(ctx.outDir, path);
  await ensureDir(dirname(dest));
  const file = await routing.localSlots.run(() => renderFromFile(slide.path, roi, ctx.options.resolution, dest, signal));
  return {
    id: a.id,
    kind: 'images',
    path,
    bytes: file.bytes,
    sha256: file.sha256,
    mtimeMs: file.mtimeMs,
    source: { url: wsiSourceUrl(slide.fileName), params: a.params },
    imageSource: 'wsi',
    width: file.width,
    height: file.height,
    status: 'done',
    completed: ctx.now().toISOString(),
  };
}

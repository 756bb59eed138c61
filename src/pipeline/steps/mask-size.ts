/**
 * A mask's target size (the image's size) by `--image-source` (docs/local-render.md): from the
 * DSA's `/tiles` as always with `dsa`; from the local slide's geometry with `wsi` (so the mask
 * matches the image rendered from that slide, with no DSA request); with `auto`, from the DSA,
 * and from the local slide when the DSA is unavailable (the breaker is open, or this slide's
 * `/tiles` failed after its retries) and the slide is there or on its way. At `--base` the size
 * is the ROI's own, whatever the source.
 */
import { describeError, isDsaUnavailable } from '../dsa-breaker.js';
import { checkedOutputSize } from '../geometry-sanity.js';
import type { Artifact } from '../artifacts.js';
import type { PixelSize } from './images.js';
import { localSlideGeometry, slideAvailable } from './local-image.js';
import { maskTargetSize } from './masks.js';
import type { RunStepContext } from './step-context.js';

/** The size source for `fetchMask`, or undefined for the DSA's (the default). */
export function maskSizeSource(ctx: RunStepContext, a: Artifact): (() => Promise<PixelSize>) | undefined {
  const { roi } = a;
  const routing = ctx.images;
  const { resolution } = ctx.options;
  if (roi === null || resolution.kind === 'base' || routing.mode === 'dsa') return undefined;
  const fromSlide = async (): Promise<PixelSize> => checkedOutputSize(await localSlideGeometry(routing, a), roi, resolution);
  if (routing.mode === 'wsi') return fromSlide;
  return async () => {
    if ((routing.breaker.open || routing.connectError !== null) && (await slideAvailable(routing, a))) return fromSlide();
    if (routing.connectError !== null) throw routing.connectError;
    try {
      return await maskTargetSize(ctx, roi);
    } catch (err) {
      if (!isDsaUnavailable(err) || !(await slideAvailable(routing, a))) throw err;
      ctx.log(`${a.id}: the DSA's slide metadata failed after its retries (${describeError(err)}); sizing the mask from the local slide`);
      return fromSlide();
    }
  };
}

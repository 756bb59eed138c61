/**
 * The images step of a download run, by `--image-source` (docs/local-render.md):
 *
 * - `dsa`: the DSA's region render (images.ts), as always.
 * - `wsi`: the local slide (local-image.ts); the DSA is never asked.
 * - `auto`: the DSA first. An ROI whose render still fails after its retries because the DSA is
 *   unavailable (dsa-breaker.ts: connection failures, 5xx, 429) is made from its local slide when
 *   the slide is in the WSI folder or this run downloads it; any other failure (a 4xx, a wrong
 *   size) stands. Once the breaker is open, ROIs go straight to their slides. A slide that cannot
 *   be used (unreadable, its download failed) sends the ROI back to the DSA once more; if that
 *   fails too, the failure names both.
 */
import { BcssError } from '../../errors.js';
import type { Artifact } from '../artifacts.js';
import { describeError, isDsaUnavailable } from '../dsa-breaker.js';
import type { LockEntry } from '../lock-file.js';
import { imageStep } from './images.js';
import { renderLocalImage, slideAvailable, SlideProblem } from './local-image.js';
import type { RunStepContext } from './step-context.js';

export async function imageBySource(ctx: RunStepContext, a: Artifact): Promise<LockEntry> {
  const routing = ctx.images;
  if (routing.mode === 'wsi') return renderLocalImage(ctx, routing, a, ctx.transferOverrides.signal);
  if (!routing.fallback) return imageStep(ctx, a);
  return autoImage(ctx, a);
}

async function autoImage(ctx: RunStepContext, a: Artifact): Promise<LockEntry> {
  const routing = ctx.images;
  if (routing.breaker.open && (await slideAvailable(routing, a))) {
    ctx.log(`${a.id}: not asked of the DSA, which is down (${routing.breaker.reason ?? ''}); rendering it from the local slide`);
    return fromSlideThenDsa(ctx, a, null);
  }
  // The login or listing failed without ending the run, and there is no slide to fall back on.
  if (routing.connectError !== null) throw routing.connectError;
  let dsaError: unknown;
  try {
    const entry = await imageStep(ctx, a);
    routing.breaker.success();
    return entry;
  } catch (err) {
    if (ctx.transferOverrides.signal?.aborted === true) throw err;
    routing.breaker.failure(err);
    if (!isDsaUnavailable(err) || !(await slideAvailable(routing, a))) throw err;
    dsaError = err;
  }
  ctx.log(`${a.id}: the DSA render failed after its retries (${describeError(dsaError)}); rendering it from the local slide`);
  return fromSlideThenDsa(ctx, a, dsaError);
}

/** The local slide; if it cannot be used, the DSA once more. `dsaError`: the DSA's earlier failure, if it was asked. */
async function fromSlideThenDsa(ctx: RunStepContext, a: Artifact, dsaError: unknown): Promise<LockEntry> {
  const routing = ctx.images;
  try {
    const entry = await renderLocalImage(ctx, routing, a, ctx.transferOverrides.signal);
    routing.fallbacks += 1;
    return entry;
  } catch (err) {
    if (!(err instanceof SlideProblem) || routing.connectError !== null) throw err;
    ctx.log(`${a.id}: the local slide cannot be used (${err.message}); asking the DSA ${dsaError === null ? '' : 'once more '}instead`);
    try {
      return await imageStep(ctx, a);
    } catch (again) {
      const message = `${err.message}; and the DSA render failed ${dsaError === null ? '' : 'again '}(${describeError(again)})`;
      throw again instanceof BcssError ? new BcssError(again.kind, message, { cause: again }) : new Error(message, { cause: again });
    }
  }
}

/**
 * Worker thread of render-pool.ts: renders one planned ROI at a time into its temp file, so that
 * the JavaScript half of the rendering (resampling rows, PNG filtering) runs on every core. The
 * main thread plans, renames and records; a worker only reads its slide and writes the temp file.
 */
import { parentPort } from 'node:worker_threads';
import { BcssError, DiskError } from '../errors.js';
import { openSlide, type FileSlideSource } from '../slides/open-slide.js';
import { slideGeometry } from '../slides/slide-geometry.js';
import type { SlideGeometry } from '../geometry/types.js';
import { renderPlanToTemp } from './render-roi.js';
import type { PoolError, PoolReply, PoolRequest } from './render-pool.js';

let open: { path: string; source: FileSlideSource; geometry: SlideGeometry } | null = null;
const controllers = new Map<number, AbortController>();

async function slide(path: string): Promise<{ source: FileSlideSource; geometry: SlideGeometry }> {
  if (open?.path === path) return open;
  await open?.source.close().catch(() => undefined);
  open = null;
  const source = await openSlide(path);
  open = { path, source, geometry: slideGeometry(source) };
  return open;
}

function describe(err: unknown): PoolError {
  if (err instanceof DiskError) return { name: err.name, message: err.message, kind: 'disk', path: err.path, ...(err.hint === undefined ? {} : { hint: err.hint }) };
  if (err instanceof BcssError) return { name: err.name, message: err.message, kind: err.kind, ...(err.hint === undefined ? {} : { hint: err.hint }) };
  if (err instanceof Error) return { name: err.name, message: err.message };
  return { name: 'Error', message: String(err) };
}

async function render(req: Extract<PoolRequest, { type: 'render' }>): Promise<PoolReply> {
  const controller = new AbortController();
  controllers.set(req.id, controller);
  try {
    const { source, geometry } = await slide(req.slidePath);
    const options = { signal: controller.signal, ...(req.maxStripPixels === undefined ? {} : { maxStripPixels: req.maxStripPixels }) };
    const rendered = await renderPlanToTemp(source, geometry, req.plan, req.tempPath, options);
    return { type: 'done', id: req.id, rendered };
  } catch (err) {
    return { type: 'failed', id: req.id, error: describe(err) };
  } finally {
    controllers.delete(req.id);
  }
}

parentPort?.on('message', (req: PoolRequest) => {
  if (req.type === 'abort') {
    controllers.get(req.id)?.abort();
    return;
  }
  void render(req).then((reply) => parentPort?.postMessage(reply));
});

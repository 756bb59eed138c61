import { createReadStream, createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import sharp from 'sharp';
import type { RegionPlan, RegionRequest, SlideGeometry } from '../../geometry/types.js';
import { readRegion, readRegionStrips } from '../../slides/region-reader.js';
import type { ServedItem } from '../dataset-types.js';
import type { FaultInjector } from '../faults.js';
import { DEFAULT_RENDER_MEMORY_MB, RenderBudget, renderCost } from '../render-budget.js';
import { RenderQueue } from '../render-queue.js';
import { restError } from './girder-errors.js';
import { pngStream } from '../../image/png-stream-writer.js';
import { applyEncoding, encodeRegion } from './region-encode.js';
import type { RegionParams } from './region-params.js';
import type { GirderStore } from './store.js';

type FullPlan = Extract<RegionPlan, { empty: false }>;

/** Pass items through, letting pending I/O run (setImmediate) before computing the next one. */
async function* yieldBetween<T>(items: AsyncIterable<T>): AsyncGenerator<T> {
  for await (const item of items) {
    yield item;
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
}

export interface RegionLimits {
  /** Refuse (400) outputs, or source reads, above this many pixels. Default 256 Mi px. */
  maxRegionPixels: number;
  /** Above this many pixels (output or source read) render in strips instead of one buffer. Default 16 Mi px. */
  streamAbovePixels: number;
  /** Strip size of streamed renders. Default 2 Mi px. */
  maxStripPixels: number;
}

export const DEFAULT_REGION_LIMITS: RegionLimits = {
  maxRegionPixels: 256 * 1024 * 1024,
  streamAbovePixels: 16 * 1024 * 1024,
  maxStripPixels: 2 * 1024 * 1024,
};

/** A render's answer: whole bytes, or a stream to pipe (huge regions). */
export type RenderResult = ({ kind: 'buffer'; body: Buffer } | { kind: 'stream'; body: Readable; cleanup: () => Promise<void> }) & {
  /** For the request log: how the answer was made. */
  note?: string;
  /** Give back the render's memory budget: call once the answer has been sent (or abandoned). */
  release: () => void;
};

/**
 * Renders `tiles/region` answers: through the render queue (bounded concurrency, modelled render
 * time), from an optional in-memory cache, buffered for ordinary sizes and in strips for huge ones
 * so memory stays bounded.
 *
 * Huge outputs: PNG is encoded on the fly (png-stream-writer). sharp cannot encode JPEG/TIFF from
 * strips (raw input is buffered whole), so those are first streamed to a temporary PNG (zlib level
 * 1) and re-encoded file → stream by libvips, which reads sequentially in bounded memory.
 */
export class RegionService {
  private readonly cache = new Map<string, Buffer>();
  /** Huge JPEG/TIFF encodes at once: each is CPU- and disk-bound, so a couple keep both busy. */
  private readonly hugeEncodes = new RenderQueue(2, 0);
  private cacheBytes = 0;

  constructor(
    private readonly store: GirderStore,
    private readonly faults: FaultInjector,
    readonly limits: RegionLimits = DEFAULT_REGION_LIMITS,
    readonly budget: RenderBudget = new RenderBudget({ capacityBytes: DEFAULT_RENDER_MEMORY_MB * 1024 * 1024 }),
  ) {}

  /** 400 when the output or the source read would exceed the cap. */
  checkSize(plan: FullPlan, outSize: { width: number; height: number }): void {
    const cap = this.limits.maxRegionPixels;
    const out = outSize.width * outSize.height;
    const rb = plan.readBounds;
    const read = (rb.right - rb.left) * (rb.bottom - rb.top);
    if (out > cap) {
      throw restError(
        `Value Error: Requested region is too large: the output would be ${outSize.width} x ${outSize.height} = ${out} pixels; ` +
          `this server renders at most ${cap} pixels per request. Ask for a smaller region or a lower resolution.`,
      );
    }
    if (read > cap) {
      throw restError(
        `Value Error: Requested region is too large: it needs ${rb.right - rb.left} x ${rb.bottom - rb.top} = ${read} source pixels; ` +
          `this server reads at most ${cap} pixels per request. Ask for a smaller region or a lower resolution.`,
      );
    }
  }

  async render(
    item: ServedItem,
    geometry: SlideGeometry,
    req: RegionRequest,
    plan: FullPlan,
    p: RegionParams,
    fill: { width: number; height: number } | null,
    cacheKey: string,
    /** True once the client has gone (checked after waiting for memory). */
    gone: () => boolean = () => false,
  ): Promise<RenderResult> {
    const outSize = fill ?? { width: plan.width, height: plan.height };
    this.checkSize(plan, outSize);
    const rb = plan.readBounds;
    const resampled = rb.right - rb.left !== plan.width || rb.bottom - rb.top !== plan.height;
    const megapixels = (outSize.width * outSize.height) / 1e6;
    const huge = Math.max(outSize.width * outSize.height, (rb.right - rb.left) * (rb.bottom - rb.top)) > this.limits.streamAbovePixels;

    const cached = this.faults.cacheRegions ? this.cache.get(cacheKey) : undefined;
    if (cached) {
      // Touch for LRU order; the modelled render time still applies.
      this.cache.delete(cacheKey);
      this.cache.set(cacheKey, cached);
      await this.faults.renderQueue.run(megapixels, async () => undefined);
      return { kind: 'buffer', body: cached, note: 'region from cache', release: () => undefined };
    }
    if (huge && fill !== null) {
      throw restError(`Value Error: fill (letterboxing) is not supported for outputs above ${this.limits.streamAbovePixels} pixels by this server`);
    }
    const readPixels = (rb.right - rb.left) * (rb.bottom - rb.top);
    const outPixels = outSize.width * outSize.height;
    // Wait for memory first: a queued render holds nothing but its request.
    const release = await this.budget.acquire(renderCost(huge ? 'streamed' : 'buffered', readPixels, outPixels, this.limits.maxStripPixels));
    try {
      if (gone()) throw new Error('the client left while its render waited');
      if (huge) return await this.renderStream(item, geometry, plan, p, resampled, megapixels, release);
      const body = await this.faults.renderQueue.run(megapixels, async () => {
        const lease = await this.store.source(item);
        const { pixels } = await readRegion(lease.source, geometry, req).finally(() => lease.release());
        if (pixels === null) return Buffer.alloc(0);
        return encodeRegion(pixels, p, resampled, fill);
      });
      if (this.faults.cacheRegions) this.remember(cacheKey, body);
      return { kind: 'buffer', body, release };
    } catch (err) {
      release();
      throw err;
    }
  }

  private remember(key: string, body: Buffer): void {
    if (body.length > this.faults.cacheRegionsMaxBytes) return;
    this.cache.set(key, body);
    this.cacheBytes += body.length;
    for (const [k, v] of this.cache) {
      if (this.cacheBytes <= this.faults.cacheRegionsMaxBytes) break;
      this.cache.delete(k);
      this.cacheBytes -= v.length;
    }
  }

  /**
   * Huge outputs. The render-queue slot (a modelled DSA worker) is held while pixels are computed
   * ahead of sending, not while a slow client reads; memory is bounded by the budget instead.
   */
  private async renderStream(
    item: ServedItem,
    geometry: SlideGeometry,
    plan: FullPlan,
    p: RegionParams,
    resampled: boolean,
    megapixels: number,
    release: () => void,
  ): Promise<RenderResult> {
    const strips = async (): Promise<{ rows: ReturnType<typeof readRegionStrips>; done: () => void }> => {
      const lease = await this.store.source(item);
      return { rows: readRegionStrips(lease.source, geometry, plan, { maxStripPixels: this.limits.maxStripPixels }), done: () => lease.release() };
    };
    if (p.encoding === 'PNG') {
      // Strips are computed as the client reads: only the modelled render time takes a slot.
      await this.faults.renderQueue.run(megapixels, async () => undefined);
      const { rows, done } = await strips();
      // One chunk of read-ahead, and a turn of the event loop between strips, so that many slow
      // streams neither buffer ahead nor starve other requests of the (single) JS thread.
      const body = Readable.from(pngStream({ width: plan.width, height: plan.height, channels: resampled ? 4 : 3 }, yieldBetween(rows)), {
        highWaterMark: 1,
      });
      return { kind: 'stream', body, note: 'region streamed (PNG strips)', release, cleanup: async () => done() };
    }
    // sharp cannot encode JPEG/TIFF from strips, and its stream output is one buffer of the whole
    // image; so strips → temporary PNG → libvips writes the encoded file → the file is streamed.
    const dir = await mkdtemp(join(tmpdir(), 'bcss-region-'));
    const cleanup = async (): Promise<void> => {
      await rm(dir, { recursive: true, force: true });
    };
    try {
      const encoded = join(dir, 'region.out');
      // The modelled render time takes a worker slot; the real encoding runs in its own small lane
      // so that it never keeps ordinary renders waiting (its memory is already in the budget).
      await this.faults.renderQueue.run(megapixels, async () => undefined);
      await this.hugeEncodes.run(0, async () => {
        const png = join(dir, 'region.png');
        const { rows, done } = await strips();
        try {
          await pipeline(Readable.from(pngStream({ width: plan.width, height: plan.height, channels: 3, compressionLevel: 1 }, rows)), createWriteStream(png));
        } finally {
          done();
        }
        await applyEncoding(sharp(png, { limitInputPixels: false, sequentialRead: true }), p, resampled).toFile(encoded);
        await rm(png, { force: true });
      });
      return { kind: 'stream', body: createReadStream(encoded), cleanup, release, note: 'region streamed (via temporary PNG)' };
    } catch (err) {
      await cleanup();
      throw err;
    }
  }
}

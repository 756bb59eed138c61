/**
 * Pillow's resize (pil-resample.ts) of a whole region on every core: the output rows are cut into
 * one band per worker thread, each band computed from only the input rows it needs, and the bands
 * joined. Each row's arithmetic does not depend on the banding, so the result is the one-thread
 * resize, sample for sample. libvips ran its resize on its own threads; this keeps the JavaScript
 * resize from serialising a server's renders on the main thread.
 *
 * Small regions (below POOL_MIN_PIXELS of output) are not worth the copies and run inline, as does
 * everything when worker threads cannot start (the pool then stays off for the process) and
 * everything on a worker thread (a render worker already has its core).
 */
import { availableParallelism } from 'node:os';
import { isMainThread, Worker } from 'node:worker_threads';
import { pilResize, pilRowsNeeded, type PilKernel } from './pil-resample.js';
import { pilResampleRowsFast } from './pil-resample-wasm.js';
import type { BandAnswer, BandJob } from './pil-worker.js';

/** Outputs below this many pixels are resized on the calling thread. */
export const POOL_MIN_PIXELS = 1 << 18;

interface Pending {
  resolve: (data: Buffer) => void;
  reject: (err: Error) => void;
}

/**
 * The worker is this module's sibling. From dist/ it is plain JavaScript; when bcss runs from its
 * TypeScript sources (tests, benches: `node --import tsx`) a worker thread does not inherit tsx's
 * loader hooks, so it registers them before importing the worker module.
 */
function startWorker(): Worker {
  if (!import.meta.url.endsWith('.ts')) return new Worker(new URL('./pil-worker.js', import.meta.url));
  const url = new URL('./pil-worker.ts', import.meta.url).href;
  const boot = `import('tsx/esm/api').then((tsx) => { tsx.register(); return import(${JSON.stringify(url)}); });`;
  return new Worker(boot, { eval: true });
}

class ResamplePool {
  private readonly workers: Worker[] = [];
  private readonly pending = new Map<number, Pending>();
  private readonly busy = new Map<Worker, number>();
  private nextId = 1;
  private next = 0;

  constructor(readonly size: number) {
    for (let i = 0; i < size; i++) {
      const worker = startWorker();
      worker.unref();
      worker.on('message', (answer: BandAnswer) => this.settle(worker, answer));
      worker.on('error', (err) => this.fail(err));
      this.workers.push(worker);
      this.busy.set(worker, 0);
    }
  }

  run(job: Omit<BandJob, 'id'>): Promise<Buffer> {
    const worker = this.workers[this.next++ % this.workers.length] as Worker;
    const id = this.nextId++;
    const n = (this.busy.get(worker) ?? 0) + 1;
    this.busy.set(worker, n);
    // A worker with work holds the process open; an idle one does not.
    if (n === 1) worker.ref();
    return new Promise<Buffer>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      worker.postMessage({ ...job, id } satisfies BandJob);
    });
  }

  private settle(worker: Worker, answer: BandAnswer): void {
    const n = (this.busy.get(worker) ?? 1) - 1;
    this.busy.set(worker, n);
    if (n === 0) worker.unref();
    const p = this.pending.get(answer.id);
    if (p === undefined) return;
    this.pending.delete(answer.id);
    if ('error' in answer) p.reject(new Error(`resample worker: ${answer.error}`));
    else p.resolve(Buffer.from(answer.data.buffer, answer.data.byteOffset, answer.data.byteLength));
  }

  /** A worker died: fail what is in flight and stop using the pool. */
  private fail(err: Error): void {
    pool = null;
    for (const p of this.pending.values()) p.reject(err);
    this.pending.clear();
    for (const w of this.workers) void w.terminate();
  }
}

let pool: ResamplePool | null | undefined;

function getPool(): ResamplePool | null {
  if (pool === undefined) {
    // Off the main thread the caller is itself one of several parallel renders (extract's render
    // pool, one ROI per core): bands on more threads would only oversubscribe the cores.
    const size = isMainThread ? Math.min(4, availableParallelism()) : 1;
    try {
      pool = size > 1 ? new ResamplePool(size) : null;
    } catch {
      pool = null;
    }
  }
  return pool;
}

/**
 * Output rows [y0, y1) of Pillow's resize of an inW × inH RGB image to outW × outH with `kernel`,
 * from `slab`, its input rows [slabTop, slabTop + slabRows) (at least pilRowsNeeded(y0, y1)):
 * pilResampleRowsFast (WASM SIMD where available), on the worker pool when the rows are worth it.
 */
export async function pilResampleRowsParallel(
  size: { inW: number; inH: number; outW: number; outH: number; kernel: PilKernel },
  slab: Buffer,
  slabTop: number,
  slabRows: number,
  y0: number,
  y1: number,
): Promise<Buffer> {
  const { inW, inH, outW, outH, kernel } = size;
  const model = pilResize(inW, inH, outW, outH, kernel);
  const workers = outW * (y1 - y0) >= POOL_MIN_PIXELS ? getPool() : null;
  if (workers === null) return pilResampleRowsFast(model, slab, slabTop, slabRows, y0, y1);
  const bands = Math.min(workers.size, y1 - y0);
  const rowsPerBand = Math.ceil((y1 - y0) / bands);
  const rowLen = inW * 3;
  const parts: Promise<Buffer>[] = [];
  for (let b0 = y0; b0 < y1; b0 += rowsPerBand) {
    const b1 = Math.min(y1, b0 + rowsPerBand);
    const need = pilRowsNeeded(model, b0, b1);
    // Posted as a copy: the input may be shared (sharp's output, a pooled Buffer), not ours to transfer.
    const part = slab.subarray((need.start - slabTop) * rowLen, (need.end - slabTop) * rowLen);
    parts.push(workers.run({ inW, inH, outW, outH, kernel, slab: part, slabTop: need.start, slabRows: need.end - need.start, y0: b0, y1: b1 }));
  }
  try {
    return Buffer.concat(await Promise.all(parts));
  } catch {
    // A worker died (the pool is off from now on): the same rows, on this thread.
    return pilResampleRowsFast(model, slab, slabTop, slabRows, y0, y1);
  }
}

/** Worker threads in use (0 when resizes run on the calling thread); starts the pool if need be. */
export function resamplePoolSize(): number {
  return getPool()?.size ?? 0;
}

/**
 * Renders planned ROIs on worker threads (render-worker.ts), one ROI per worker at a time. A
 * rendering is mostly JavaScript on one thread (Pillow's resize, the PNG filter), so
 * `bcss extract` keeps every core busy by rendering several ROIs at once. Each worker writes and
 * fsyncs a temp file; the caller renames it, so an interrupted run never leaves a final name.
 */
import { Worker } from 'node:worker_threads';
import type { RegionPlan } from '../geometry/types.js';
import { BcssError, DiskError, type ErrorKind } from '../errors.js';
import { removeQuietly } from '../storage/atomic-file.js';
import type { RenderedTemp } from './render-roi.js';

type FullPlan = Extract<RegionPlan, { empty: false }>;

export type PoolRequest =
  | { type: 'render'; id: number; slidePath: string; plan: FullPlan; tempPath: string; maxStripPixels?: number }
  | { type: 'abort'; id: number };

export interface PoolError {
  name: string;
  message: string;
  kind?: ErrorKind;
  path?: string;
  hint?: string;
}

export type PoolReply = { type: 'done'; id: number; rendered: RenderedTemp } | { type: 'failed'; id: number; error: PoolError };

export interface RenderJob {
  slidePath: string;
  plan: FullPlan;
  tempPath: string;
  maxStripPixels?: number;
}

/** The error a worker described, as the class the caller tells apart (disk and bugs end a run). */
function revive(e: PoolError): Error {
  const hint = e.hint === undefined ? {} : { hint: e.hint };
  if (e.kind === 'disk') return new DiskError(e.path ?? '', e.message, hint);
  if (e.kind !== undefined) return new BcssError(e.kind, e.message, hint);
  if (e.name === 'AbortError') return new DOMException(e.message, 'AbortError');
  if (e.name === 'TypeError') return new TypeError(e.message);
  if (e.name === 'RangeError') return new RangeError(e.message);
  if (e.name === 'ReferenceError') return new ReferenceError(e.message);
  return new Error(e.message);
}

// In dist/ the worker is a .js file. The sources (tests run them through tsx) have a .ts file, and
// a worker thread does not inherit tsx's loader: there a bootstrap registers it first.
const FROM_SOURCE = import.meta.url.endsWith('.ts');
const WORKER_URL = new URL(FROM_SOURCE ? './render-worker.ts' : './render-worker.js', import.meta.url);

function startWorker(): Worker {
  // workerData must be an object: geotiff's `web-worker` dependency reads `workerData.mod` in any
  // non-main thread to decide whether it is one of its own workers.
  if (!FROM_SOURCE) return new Worker(WORKER_URL, { workerData: {} });
  const boot = `import('tsx/esm/api').then((m) => { m.register(); return import(${JSON.stringify(WORKER_URL.href)}); });`;
  return new Worker(boot, { eval: true, workerData: {} });
}

interface Slot {
  worker: Worker;
  busy: boolean;
}

export class RenderPool {
  readonly #slots: Slot[];
  readonly #waiting: Array<(slot: Slot) => void> = [];
  readonly #pending = new Map<number, { resolve: (r: RenderedTemp) => void; reject: (e: Error) => void }>();
  #next = 1;
  #closed = false;

  constructor(readonly size: number) {
    this.#slots = Array.from({ length: size }, () => {
      const worker = startWorker();
      worker.on('message', (reply: PoolReply) => this.#settle(reply));
      worker.on('error', (err) => this.#failAll(err));
      worker.unref();
      return { worker, busy: false };
    });
  }

  #settle(reply: PoolReply): void {
    const p = this.#pending.get(reply.id);
    this.#pending.delete(reply.id);
    if (reply.type === 'done') p?.resolve(reply.rendered);
    else p?.reject(revive(reply.error));
  }

  #failAll(err: Error): void {
    for (const p of this.#pending.values()) p.reject(err);
    this.#pending.clear();
  }

  async #acquire(): Promise<Slot> {
    const free = this.#slots.find((s) => !s.busy);
    const slot = free ?? (await new Promise<Slot>((resolve) => this.#waiting.push(resolve)));
    slot.busy = true;
    return slot;
  }

  #release(slot: Slot): void {
    slot.busy = false;
    const next = this.#waiting.shift();
    if (next !== undefined) next(slot);
  }

  /** Renders `job` into its temp file; `signal` aborts it (the worker removes the temp file). */
  async render(job: RenderJob, signal?: AbortSignal): Promise<RenderedTemp> {
    if (this.#closed) throw new Error('RenderPool: render() after close()');
    const slot = await this.#acquire();
    const id = this.#next++;
    const onAbort = (): void => slot.worker.postMessage({ type: 'abort', id } satisfies PoolRequest);
    try {
      signal?.throwIfAborted();
      signal?.addEventListener('abort', onAbort, { once: true });
      const done = new Promise<RenderedTemp>((resolve, reject) => this.#pending.set(id, { resolve, reject }));
      slot.worker.ref();
      slot.worker.postMessage({ type: 'render', id, ...job } satisfies PoolRequest);
      return await done;
    } catch (err) {
      await removeQuietly(job.tempPath);
      throw err;
    } finally {
      signal?.removeEventListener('abort', onAbort);
      slot.worker.unref();
      this.#release(slot);
    }
  }

  async close(): Promise<void> {
    this.#closed = true;
    await Promise.all(this.#slots.map((s) => s.worker.terminate()));
  }
}

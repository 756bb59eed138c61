/**
 * Worker thread of resample-pool.ts: one band of output rows of Pillow's resize per message.
 * The message carries the axis sizes and the input rows the band needs; the answer is the band.
 */
import { parentPort } from 'node:worker_threads';
import { pilResize, type PilKernel } from './pil-resample.js';
import { pilResampleRowsFast } from './pil-resample-wasm.js';

export interface BandJob {
  id: number;
  inW: number;
  inH: number;
  outW: number;
  outH: number;
  kernel: PilKernel;
  /** Input rows [slabTop, slabTop + slabRows) of width inW, RGB. */
  slab: Uint8Array;
  slabTop: number;
  slabRows: number;
  y0: number;
  y1: number;
}

export type BandAnswer = { id: number; data: Uint8Array } | { id: number; error: string };

parentPort?.on('message', (job: BandJob) => {
  try {
    const model = pilResize(job.inW, job.inH, job.outW, job.outH, job.kernel);
    const slab = Buffer.from(job.slab.buffer, job.slab.byteOffset, job.slab.byteLength);
    const data = pilResampleRowsFast(model, slab, job.slabTop, job.slabRows, job.y0, job.y1);
    const answer: BandAnswer = { id: job.id, data };
    parentPort?.postMessage(answer, [data.buffer as ArrayBuffer]);
  } catch (err) {
    parentPort?.postMessage({ id: job.id, error: err instanceof Error ? err.message : String(err) } satisfies BandAnswer);
  }
});

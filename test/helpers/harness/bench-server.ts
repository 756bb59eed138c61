/**
 * The modelled server of the benchmarks: `bcss serve`'s server started inside the bench process
 * over the demo dataset, with a service model (latency, bandwidth cap, render queue) expressed
 * as fault options, and region bytes cached so the server spends no CPU once warmed up.
 */
import { builtinRois } from '../../../src/catalog/index.js';
import { loadDemoDataset } from '../../../src/server/demo/demo-dataset.js';
import type { ServedDataset } from '../../../src/server/dataset-types.js';
import type { FaultOptions, ServiceFaults } from '../../../src/server/faults.js';
import { startServer, type RequestLogEntry, type RunningServer } from '../../../src/server/start-server.js';

export interface ServiceModel {
  /** Delay before the first byte of every answer (ms). */
  latencyMs: number;
  /** Regions rendered at once by the DSA. */
  renderConcurrency: number;
  /** Modelled render time per output megapixel (ms). */
  renderMsPerMegapixel: number;
  /** Body bandwidth of each service, shared by its responses (bytes/s). */
  bandwidthBytesPerSec: number;
}

/** The S1 model of the issue: 50 ms latency, 4 renders at a time, 40 ms/MPix, 100 MB/s. */
export const PAPER_MODEL: ServiceModel = { latencyMs: 50, renderConcurrency: 4, renderMsPerMegapixel: 40, bandwidthBytesPerSec: 100e6 };

export interface DatasetChoice {
  scale: number;
  /** ROI names to serve; all 151 when absent. */
  slides?: string[];
  cacheDir: string;
}

export async function loadBenchDataset(choice: DatasetChoice): Promise<ServedDataset> {
  return loadDemoDataset({ scale: choice.scale, cacheDir: choice.cacheDir, ...(choice.slides ? { slides: choice.slides } : {}) });
}

/** The first `n` ROI names of the built-in table (the `--quick` subset). */
export function firstRoiNames(n: number): string[] {
  return builtinRois()
    .slice(0, n)
    .map((r) => r.name);
}

/**
 * Fault options for a model (and optional faults on top). Girder gets the render queue; every
 * service gets the same latency and its own bandwidth cap. `cacheRegions` keeps rendered region
 * bytes in memory so, after a warm-up, a region costs the server a timer, not CPU.
 */
export function modelFaults(model: ServiceModel | null, extra: { girder?: ServiceFaults; figshare?: ServiceFaults; seed?: number } = {}, cacheMaxBytes = 2 ** 30): FaultOptions {
  const base: ServiceFaults = model === null ? {} : { latencyMs: model.latencyMs, bandwidthBytesPerSec: model.bandwidthBytesPerSec };
  const render: ServiceFaults = model === null ? {} : { renderConcurrency: model.renderConcurrency, renderMsPerMegapixel: model.renderMsPerMegapixel };
  return {
    seed: extra.seed ?? 1,
    cacheRegions: true,
    cacheRegionsMaxBytes: cacheMaxBytes,
    girder: { ...base, ...render, ...extra.girder },
    figshare: { ...base, ...extra.figshare },
    gdc: { ...base },
  };
}

export interface BenchServer {
  server: RunningServer;
  /** Log entries with the bench clock's time at which each response closed (ms). */
  timed: Array<{ entry: RequestLogEntry; endMs: number }>;
  /** figshare's service base (`…/figshare`), which serves `/ndownloader/files/<id>`. */
  figshareBase: string;
}

export async function startBenchServer(opts: {
  dataset: ServedDataset;
  faults: FaultOptions;
  port?: number;
  /** Render huge regions as one buffer (so they can be cached) instead of in strips. */
  bufferHugeRegions?: boolean;
  /** Called with every finished request, after it is logged. */
  onRequest?: (entry: RequestLogEntry) => void;
}): Promise<BenchServer> {
  const timed: BenchServer['timed'] = [];
  const server = await startServer({
    dataset: opts.dataset,
    port: opts.port ?? 0,
    faults: opts.faults,
    ...(opts.bufferHugeRegions === true ? { regionLimits: { streamAbovePixels: 256 * 1024 * 1024 } } : {}),
    onRequest: (entry) => {
      timed.push({ entry, endMs: performance.now() });
      opts.onRequest?.(entry);
    },
  });
  return { server, timed, figshareBase: server.urls.figshare.replace(/\/v2$/, '') };
}

/**
 * S2: the largest ROI (TCGA-D8-A142-DX1, ≈ 128 megapixels at 0.25 µm/px) at demo scale 1, images
 * + masks. What matters is the client's peak RSS: the image must stream to disk and the mask be
 * resized without holding more than a few full-size buffers. The server renders the region once
 * during an unmeasured warm-up run and serves it from its cache afterwards, so its CPU does not
 * compete with the client's on the timed runs.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { assertSucceeded, runDownload } from '../../test/helpers/harness/bcss-client.js';
import { loadBenchDataset, modelFaults, startBenchServer, type ServiceModel } from '../../test/helpers/harness/bench-server.js';

export const S2_ROI = 'TCGA-D8-A142-DX1';

export interface S2Run {
  wallSeconds: number;
  cpuSeconds: number | null;
  maxRssMiB: number | null;
  bytes: number;
  requests: number;
  imagePixels: number | null;
}

export interface S2Options {
  work: string;
  cacheDir: string;
  scale: number;
  model: ServiceModel;
  runs: number;
  clientArgs: readonly string[];
  progress: (line: string) => void;
}

export async function runS2(o: S2Options): Promise<{ warmupSeconds: number; runs: S2Run[] }> {
  const dataset = await loadBenchDataset({ scale: o.scale, slides: [S2_ROI], cacheDir: o.cacheDir });
  if (dataset.roiTablePath === null) throw new Error('S2: the demo dataset wrote no ROI table');
  // Room for the whole encoded region in the server's cache.
  const bench = await startBenchServer({ dataset, faults: modelFaults(o.model, {}, 3 * 2 ** 30), bufferHugeRegions: true });
  const timeoutMs = 60 * 60_000;
  try {
    const extra = ['--figshare-interval', '0', ...o.clientArgs];
    o.progress(`S2 warm-up at scale ${o.scale} (the server renders ${S2_ROI} once; this takes a while)…`);
    const warm = await runDownload(bench.server.urls, dataset.roiTablePath, join(o.work, 's2-warmup'), o.work, { extra, timeoutMs });
    assertSucceeded('S2 warm-up', warm);
    o.progress(`S2 warm-up: ${warm.run.wallSeconds.toFixed(1)} s, client RSS ${warm.run.maxRssMiB?.toFixed(0) ?? '?'} MiB`);
    const runs: S2Run[] = [];
    for (let i = 1; i <= o.runs; i++) {
      bench.server.resetLog();
      const c = await runDownload(bench.server.urls, dataset.roiTablePath, join(o.work, `s2-run${i}`), o.work, { extra, timeoutMs });
      assertSucceeded(`S2 run ${i}`, c);
      const s = c.result;
      if (s === null) throw new Error(`S2 run ${i}: no JSON summary`);
      const image = (JSON.parse(await readFile(s.lockPath, 'utf8')) as {
        artifacts: Array<{ kind: string; width?: number; height?: number }>;
      }).artifacts.find((a) => a.kind === 'images');
      const run: S2Run = {
        wallSeconds: c.run.wallSeconds,
        cpuSeconds: c.run.cpuSeconds,
        maxRssMiB: c.run.maxRssMiB,
        bytes: s.bytes,
        requests: s.requests,
        imagePixels: image?.width !== undefined && image.height !== undefined ? image.width * image.height : null,
      };
      o.progress(
        `S2 run ${i}/${o.runs}: ${run.wallSeconds.toFixed(1)} s, client RSS ${run.maxRssMiB?.toFixed(0) ?? '?'} MiB, ` +
          `${((run.imagePixels ?? 0) / 1e6).toFixed(1)} MPix image, ${(run.bytes / 1e6).toFixed(0)} MB`,
      );
      runs.push(run);
    }
    return { warmupSeconds: warm.run.wallSeconds, runs };
  } finally {
    await bench.server.close();
  }
}

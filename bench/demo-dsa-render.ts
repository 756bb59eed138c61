/**
 * What rendering from the slide files' stored tiles costs the demo DSA: every ROI's `tiles/region`
 * pixels (read + resample, as region-service.ts makes them for ordinary sizes, PNG encoding left
 * out since it is the same either way) from the tile source the DSA uses (demo-tile-slide.ts:
 * JPEG tiles encoded once per process and decoded, both cached) against the lossless mirrored
 * pixels it used before (demo-slide.ts `demoSlideImage`). Not a test: timings vary.
 *
 *   node --import tsx bench/demo-dsa-render.ts [--scale 0.1] [--slides A1-A0SK,...] [--passes 2]
 *
 * Pass 1 of the tile source starts with empty tile caches (every tile encoded and decoded);
 * later passes show the caches' effect. CPU is this process's user + system time, libvips'
 * threads included.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { parseRoiTable } from '../src/catalog/rois.js';
import type { Resolution } from '../src/geometry/types.js';
import { slideKeyOfItemName } from '../src/pipeline/slide-match.js';
import { roiRegionRequest } from '../src/render/render-roi.js';
import { loadDemoDataset } from '../src/server/demo/demo-dataset.js';
import { demoBasePixels, demoSlideImage, demoSlideSpec } from '../src/server/demo/demo-slide.js';
import { demoTileSlideImage } from '../src/server/demo/demo-tile-slide.js';
import { builtinSlides, findSlideForRoi, builtinRois } from '../src/catalog/index.js';
import { scaleRoiBounds } from '../src/server/demo/roi-table.js';
import type { ServedSlideImage } from '../src/server/dataset-types.js';
import { readRegion } from '../src/slides/region-reader.js';

const { values } = parseArgs({ options: { scale: { type: 'string', default: '0.1' }, slides: { type: 'string' }, passes: { type: 'string', default: '2' } } });
const scale = Number(values.scale);
const RESOLUTIONS: Resolution[] = [{ kind: 'mpp', mpp: 0.25 }, { kind: 'mag', magnification: 20 }, { kind: 'base' }];

const cacheDir = await mkdtemp(join(tmpdir(), 'bcss-bench-dsa-render-'));
try {
  const dataset = await loadDemoDataset({ scale, cacheDir, slideFiles: 'stand-in', ...(values.slides ? { slides: values.slides.split(',') } : {}) });
  const rois = parseRoiTable(await readFile(dataset.roiTablePath ?? '', 'utf8'), 'demo ROI table');
  const slides = builtinSlides();
  // The same specs the dataset uses (seed 1), so both sources show the same virtual slides.
  const specOf = (name: string): ReturnType<typeof demoSlideSpec> => {
    const roi = builtinRois().find((r) => r.name === name);
    const slide = roi && findSlideForRoi(roi, slides);
    if (!roi || !slide) throw new Error(`no slide for ${name}`);
    return demoSlideSpec({ seed: 1, name: slide.fileName, magnification: slide.magnification, roi, scaledRoi: scaleRoiBounds(roi, scale) }, scale);
  };
  await demoBasePixels();
  const sources: Record<string, (name: string) => ServedSlideImage> = {
    mirrored: (name) => demoSlideImage(specOf(name), demoBasePixels),
    tiles: (name) => demoTileSlideImage(specOf(name), demoBasePixels),
  };
  console.log(`scale ${scale}, ${rois.length} ROIs x ${RESOLUTIONS.length} resolutions`);
  console.log('| source | pass | output MPix | wall s | CPU s |');
  console.log('|---|---|---|---|---|');
  for (const [label, imageOf] of Object.entries(sources)) {
    for (let pass = 1; pass <= Number(values.passes); pass++) {
      const cpu0 = process.cpuUsage();
      const t0 = performance.now();
      let mpix = 0;
      for (const roi of rois) {
        const image = imageOf(roi.name);
        const served = dataset.items.find((i) => slideKeyOfItemName(i.name) === roi.name)?.slide?.geometry;
        if (served?.sizeX !== image.geometry.sizeX || served.sizeY !== image.geometry.sizeY) throw new Error(`${roi.name}: not the served slide`);
        const source = await image.open();
        for (const res of RESOLUTIONS) {
          const { pixels } = await readRegion(source, image.geometry, roiRegionRequest(roi, res));
          mpix += pixels ? (pixels.width * pixels.height) / 1e6 : 0;
        }
        await source.close();
      }
      const cpu = process.cpuUsage(cpu0);
      console.log(`| ${label} | ${pass} | ${mpix.toFixed(1)} | ${((performance.now() - t0) / 1000).toFixed(2)} | ${((cpu.user + cpu.system) / 1e6).toFixed(2)} |`);
    }
  }
} finally {
  await rm(cacheDir, { recursive: true, force: true });
}

/**
 * Slides benchmarks (not tests: timings vary by machine).
 *
 *   node --import tsx bench/slides.ts            # runs every scenario, one child process each
 *   node --import tsx bench/slides.ts <name>     # one scenario in this process
 *
 * The virtual slide is the demo's: the bundled CMU-1-Small-Region.svs base, mirror-tiled to a
 * 40x, 0.25 µm/px, 120000 x 90000 slide with Aperio-like 1/4/16/64 storage. Peak RSS is the
 * process's maxRSS (including Node itself and the ~20 MB decoded base); each scenario runs in its
 * own process so peaks do not mix.
 */
import { spawnSync } from 'node:child_process';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import type { RegionRequest } from '../src/geometry/types.js';
import { createMirroredSlide, loadBasePixels } from '../src/slides/mirrored-slide.js';
import { readRegion, readRegionStrips } from '../src/slides/region-reader.js';
import { slideGeometry } from '../src/slides/slide-geometry.js';

const here = dirname(fileURLToPath(import.meta.url));
const repoRoot = resolve(here, '..');
const SLIDE = resolve(repoRoot, 'data/slides/CMU-1-Small-Region.svs');

const MB = 1024 * 1024;
const rssMiB = (): number => process.resourceUsage().maxRSS / 1024; // maxRSS is in KiB

async function virtualSlide() {
  const base = await loadBasePixels(SLIDE);
  const slide = createMirroredSlide(base, { width: 120000, height: 90000, mm: 0.00025, magnification: 40 });
  return { slide, geometry: slideGeometry(slide) };
}

const region4000 = { left: 45749, top: 25055, right: 49749, bottom: 28055 };

/** readRegion of a 4000 x 3000 base-pixel region: first call, then the median of 5. */
async function timeRegion(extra: RegionRequest): Promise<string> {
  const { slide, geometry } = await virtualSlide();
  const times: number[] = [];
  let size = '';
  for (let i = 0; i < 6; i++) {
    const t0 = performance.now();
    const { plan, pixels } = await readRegion(slide, geometry, { ...region4000, ...extra });
    times.push(performance.now() - t0);
    if (!plan.empty && pixels) size = `${pixels.width}x${pixels.height} from level ${plan.readLevel}`;
  }
  const rest = times.slice(1).sort((a, b) => a - b);
  return `${size}: first ${times[0]?.toFixed(0)} ms, median ${rest[2]?.toFixed(0)} ms, peak RSS ${rssMiB().toFixed(0)} MiB`;
}

/** readRegionStrips over a region whose output is ~120 Mpx; strips are hashed and dropped. */
async function stripsRun(region: RegionRequest): Promise<string> {
  const { slide, geometry } = await virtualSlide();
  const { planRegion } = await import('../src/geometry/region-size.js');
  const plan = planRegion(geometry, region);
  if (plan.empty) throw new Error('empty plan');
  const before = rssMiB();
  const t0 = performance.now();
  let checksum = 0;
  let strips = 0;
  for await (const strip of readRegionStrips(slide, geometry, plan)) {
    for (let i = 0; i < strip.data.length; i += 4099) checksum = (checksum + (strip.data[i] as number)) % 1e9;
    strips += 1;
  }
  const ms = performance.now() - t0;
  const mpx = (plan.width * plan.height) / 1e6;
  return (
    `${plan.width}x${plan.height} (${mpx.toFixed(1)} Mpx, ${((plan.width * plan.height * 3) / MB).toFixed(0)} MiB raw) ` +
    `from ${plan.readBounds.right - plan.readBounds.left}x${plan.readBounds.bottom - plan.readBounds.top}: ` +
    `${strips} strips, ${(ms / 1000).toFixed(1)} s, peak RSS ${rssMiB().toFixed(0)} MiB (${before.toFixed(0)} before), checksum ${checksum}`
  );
}

const scenarios: Record<string, () => Promise<string>> = {
  'region-4000x3000-base': () => timeRegion({}),
  'region-4000x3000-mag20': () => timeRegion({ magnification: 20 }),
  'region-4000x3000-mm0.0003': () => timeRegion({ mmX: 0.0003, mmY: 0.0003 }),
  'region-4000x3000-mm0.000125': () => timeRegion({ mmX: 0.000125, mmY: 0.000125 }),
  'strips-120mpx-base': () => stripsRun({ left: 20000, top: 20000, right: 32650, bottom: 29500 }),
  'strips-120mpx-shrink-mm0.0003': () => stripsRun({ left: 20000, top: 20000, right: 35180, bottom: 31400, mmX: 0.0003, mmY: 0.0003 }),
  'strips-120mpx-enlarge-mm0.000125': () => stripsRun({ left: 20000, top: 20000, right: 26325, bottom: 24750, mmX: 0.000125, mmY: 0.000125 }),
};

const only = process.argv[2];
if (only !== undefined) {
  sharp.cache(false); // what the CLI does; keeps libvips' cache out of the RSS figures
  const run = scenarios[only];
  if (run === undefined) throw new Error(`unknown scenario ${only}; known: ${Object.keys(scenarios).join(', ')}`);
  console.log(`${only}: ${await run()}`);
} else {
  console.log(`node ${process.version}, sharp ${sharp.versions.sharp}, libvips ${sharp.versions.vips}; slide ${SLIDE}`);
  for (const name of Object.keys(scenarios)) {
    const r = spawnSync(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url), name], { encoding: 'utf8' });
    process.stdout.write(r.status === 0 ? r.stdout : `${name}: FAILED\n${r.stderr}`);
  }
}

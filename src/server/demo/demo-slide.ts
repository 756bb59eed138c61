import { fileURLToPath } from 'node:url';
import { levelCount } from '../../geometry/region-size.js';
import type { SlideGeometry } from '../../geometry/types.js';
import { createMirroredSlide, loadBasePixels } from '../../slides/mirrored-slide.js';
import type { RawPixels } from '../../slides/types.js';
import type { ServedSlideImage } from '../dataset-types.js';
import { seededRandom } from './deterministic-ids.js';
import type { RoiBounds } from './roi-element.js';

/** The real Aperio slide shipped in `<package>/data/slides/` (three levels up from src|dist/server/demo). */
export const DEMO_BASE_SLIDE = fileURLToPath(new URL('../../../data/slides/CMU-1-Small-Region.svs', import.meta.url));

export const DEMO_TILE_SIZE = 240;

/** 40× Aperio scans of the BCSS slides have MPP ≈ 0.252 µm; 20× ones twice that. */
function mmForMagnification(magnification: number): number {
  if (magnification === 40) return 0.000252;
  if (magnification === 20) return 0.000504;
  return 0.01008 / magnification;
}

export interface DemoSlideSpec {
  sizeX: number;
  sizeY: number;
  magnification: number;
  mm: number;
  /** Downsamples the virtual SVS stores, like Aperio's 1×, 4×, 16×… */
  storedDownsamples: number[];
}

/**
 * Size and resolution of one virtual slide: the unscaled ROI's far corner plus a seeded margin
 * (real BCSS slides extend well beyond their ROI), then scaled. `mm`/`magnification` are what
 * the slide table says and do not change with the demo scale: a scaled demo is a smaller slide
 * at the same nominal resolution, so ROI tables, region sizes and masks stay mutually consistent.
 */
export function demoSlideSpec(
  input: { seed: number; name: string; magnification: number; roi: RoiBounds; scaledRoi: RoiBounds },
  scale: number,
): DemoSlideSpec {
  const rng = seededRandom(input.seed, input.name, 'slide-size');
  const marginX = 1500 + Math.floor(rng() * 12000);
  const marginY = 1500 + Math.floor(rng() * 9000);
  const sizeX = Math.max(Math.ceil((input.roi.xmax + marginX) * scale), input.scaledRoi.xmax + 1);
  const sizeY = Math.max(Math.ceil((input.roi.ymax + marginY) * scale), input.scaledRoi.ymax + 1);
  const storedDownsamples = [1];
  // Aperio keeps adding 4× levels while the level is still large; stop near a thumbnail's size.
  for (let d = 4; Math.max(sizeX, sizeY) / d >= 1024; d *= 4) storedDownsamples.push(d);
  const magnification = input.magnification;
  return { sizeX, sizeY, magnification, mm: mmForMagnification(magnification), storedDownsamples };
}

/** large_image's geometry for a spec: its level count, and which levels the virtual SVS stores. */
export function demoSlideGeometry(spec: DemoSlideSpec): SlideGeometry {
  const levels = levelCount(spec.sizeX, spec.sizeY, DEMO_TILE_SIZE, DEMO_TILE_SIZE);
  const stored = new Set(spec.storedDownsamples);
  return {
    sizeX: spec.sizeX,
    sizeY: spec.sizeY,
    levels,
    magnification: spec.magnification,
    mmX: spec.mm,
    mmY: spec.mm,
    // Level levels−1 is full resolution; level L is downsampled by 2^(levels−1−L).
    stored: (level: number) => Number.isInteger(level) && level >= 0 && level < levels && stored.has(2 ** (levels - 1 - level)),
  };
}

/**
 * The served slide image: geometry at once, pixels on `open()` — the real slide, decoded once
 * (shared by every demo slide through `base`) and mirrored/tiled to the virtual size.
 */
export function demoSlideImage(spec: DemoSlideSpec, base: () => Promise<RawPixels>): ServedSlideImage {
  return {
    tileWidth: DEMO_TILE_SIZE,
    tileHeight: DEMO_TILE_SIZE,
    geometry: demoSlideGeometry(spec),
    async open() {
      return createMirroredSlide(await base(), {
        width: spec.sizeX,
        height: spec.sizeY,
        mm: spec.mm,
        magnification: spec.magnification,
        tileSize: DEMO_TILE_SIZE,
        storedDownsamples: spec.storedDownsamples,
      });
    },
  };
}

let sharedBase: Promise<RawPixels> | undefined;

/** The decoded real slide, loaded on first use and kept for every demo slide of the process. */
export function demoBasePixels(): Promise<RawPixels> {
  if (sharedBase !== undefined) return sharedBase;
  const loading = loadBasePixels(DEMO_BASE_SLIDE);
  // Forget a failed load so a later request can retry (and report) it.
  loading.catch(() => (sharedBase = undefined));
  sharedBase = loading;
  return loading;
}

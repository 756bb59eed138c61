/**
 * Benchmark: BCSS rasterisation of one large ROI — an ~11000 × 11000 rotated rectangle (0.3 rad)
 * with 50 tissue polygons of ~200–400 vertices each (wobbly stars up to ~1500 px radius, several
 * classes and levels, some nested, some sticking out of the ROI) — plus the polygon fill alone for
 * an 11000 × 11000 polygon with 400 vertices. Run: node --import tsx bench/rasterise.ts
 * Prints the best of a few runs; no assertions (speed belongs here, not in tests).
 */
import { pillowFillSpans } from '../src/geometry/pillow-polygon.js';
import { polygonFillSpans } from '../src/geometry/polygon-fill.js';
import { rasteriseRoi } from '../src/geometry/rasterise.js';
import type { AnnotationElement, GtCode } from '../src/geometry/types.js';
import { mulberry32 } from '../src/server/faults.js';

function best(label: string, runs: number, fn: () => void): void {
  let min = Infinity;
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    fn();
    min = Math.min(min, performance.now() - t0);
  }
  console.log(`${label}: ${min.toFixed(1)} ms (best of ${runs})`);
}

const gtCodes: GtCode[] = [
  { group: 'roi', code: 254, overlayOrder: 0, isRoi: true, isBackground: false },
  { group: 'mostly_tumor', code: 1, overlayOrder: 1, isRoi: false, isBackground: false },
  { group: 'mostly_stroma', code: 2, overlayOrder: 2, isRoi: false, isBackground: true },
  { group: 'mostly_lymphocytic_infiltrate', code: 3, overlayOrder: 1, isRoi: false, isBackground: false },
  { group: 'necrosis_or_debris', code: 4, overlayOrder: 1, isRoi: false, isBackground: false },
  { group: 'exclude', code: 7, overlayOrder: 3, isRoi: false, isBackground: false },
];
const groups = ['mostly_tumor', 'mostly_stroma', 'mostly_lymphocytic_infiltrate', 'necrosis_or_debris', 'exclude'];

const rand = mulberry32(42);
const elements: AnnotationElement[] = [
  { type: 'rectangle', group: 'roi', center: [60000, 40000, 0], width: 11000, height: 11000, rotation: 0.3 },
];
for (let k = 0; k < 50; k++) {
  const cx = 60000 + (rand() - 0.5) * 12000;
  const cy = 40000 + (rand() - 0.5) * 12000;
  const radius = 200 + rand() * 1300;
  const n = 200 + Math.floor(rand() * 200);
  const points: number[][] = [];
  for (let i = 0; i < n; i++) {
    const t = (2 * Math.PI * i) / n;
    const r = radius * (0.8 + 0.2 * Math.sin(5 * t + k) + 0.05 * rand());
    points.push([Math.round(cx + r * Math.cos(t)), Math.round(cy + r * Math.sin(t)), 0]);
  }
  elements.push({ type: 'polyline', group: groups[k % groups.length] as string, closed: true, points });
}

let summary = '';
best('rasteriseRoi 11000x11000 rotated ROI + 50 polygons', 3, () => {
  const m = rasteriseRoi(elements, { gtCodes });
  summary = `${m.width} x ${m.height}, skipped ${m.skipped.length}`;
});
console.log(`  mask ${summary}`);

const star: Array<[number, number]> = [];
for (let i = 0; i < 400; i++) {
  const t = (2 * Math.PI * i) / 400;
  const r = 5400 + 100 * Math.sin(7 * t);
  star.push([5500 + r * Math.cos(t), 5500 + r * Math.sin(t)]);
}
const canvas = new Uint8Array(11000 * 11000);
best('polygonFillSpans 11000x11000, 400 vertices (fill into a buffer)', 5, () => {
  polygonFillSpans(star, 11000, 11000, (r, a, b) => canvas.fill(1, r * 11000 + a, r * 11000 + b));
});
best('pillowFillSpans 11000x11000, 400 vertices (Pillow rules, fill into a buffer)', 5, () => {
  pillowFillSpans(star, 11000, 11000, (r, a, b) => canvas.fill(1, r * 11000 + a, r * 11000 + b));
});

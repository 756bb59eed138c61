// Issue 8 item 5: class colours are told apart by eye (CIEDE2000), and the gallery's legend says
// what the thumbnails show for code 0. The rendering itself is checked in headless Chromium by
// scripts/gallery-screenshot.ts (a dev script; the test suite does not need a browser).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { builtinClasses } from '../../src/catalog/classes.js';
import { CLASS_PALETTE, MIN_CLASS_DELTA_E, MIN_TUMOR_DCIS_DELTA_E, ZERO_CHECKER } from '../../src/prepare/class-palette.js';
import { ciede2000, deltaE, rgbToLab } from '../../src/prepare/colour-distance.js';
import { renderGallery, type GalleryCard } from '../../src/prepare/gallery-html.js';

describe('colour distance', () => {
  test('CIEDE2000 matches the published reference pairs (Sharma, Wu & Dalal 2005)', () => {
    const pairs: Array<[[number, number, number], [number, number, number], number]> = [
      [[50, 2.6772, -79.7751], [50, 0, -82.7485], 2.0425],
      [[50, 0, 0], [50, -1, 2], 2.3669],
      [[50, 2.5, 0], [50, 3.1736, 0.5854], 1.0],
      [[50, 2.5, 0], [73, 25, -18], 27.1492],
      [[60.2574, -34.0099, 36.2677], [60.4626, -34.1751, 39.4387], 1.2644],
      [[22.7233, 20.0904, -46.694], [23.0331, 14.973, -42.5619], 2.0373],
    ];
    for (const [a, b, want] of pairs) assert.ok(Math.abs(ciede2000(a, b) - want) < 1e-4, `${a} ${b}: ${ciede2000(a, b)} ≠ ${want}`);
  });

  test('sRGB → CIELAB: white, black and pure red', () => {
    const close = (got: readonly number[], want: number[]): void => got.forEach((v, i) => assert.ok(Math.abs(v - (want[i] as number)) < 0.05, `${got} ≠ ${want}`));
    close(rgbToLab([255, 255, 255]), [100, 0, 0]);
    close(rgbToLab([0, 0, 0]), [0, 0, 0]);
    close(rgbToLab([255, 0, 0]), [53.24, 80.09, 67.2]);
  });
});

describe('class palette', () => {
  const classes = builtinClasses().filter((c) => c.code !== 0);

  test(`every two class colours differ by ΔE00 ≥ ${MIN_CLASS_DELTA_E}`, () => {
    const close: string[] = [];
    for (const a of classes) {
      for (const b of classes) {
        if (a.code >= b.code) continue;
        const d = deltaE(CLASS_PALETTE[a.code]!, CLASS_PALETTE[b.code]!);
        if (d < MIN_CLASS_DELTA_E) close.push(`${a.name}/${b.name}: ${d.toFixed(1)}`);
      }
    }
    assert.deepEqual(close, []);
  });

  test(`tumor (red) and dcis differ by ΔE00 ≥ ${MIN_TUMOR_DCIS_DELTA_E}`, () => {
    const tumor = classes.find((c) => c.name === 'tumor');
    const dcis = classes.find((c) => c.name === 'dcis');
    assert.ok(tumor && dcis);
    assert.ok(deltaE(CLASS_PALETTE[tumor.code]!, CLASS_PALETTE[dcis.code]!) >= MIN_TUMOR_DCIS_DELTA_E);
  });

  test('the code-0 checkerboard is unlike every class colour (ΔE00 ≥ 10)', () => {
    for (const c of classes) {
      for (const shade of [ZERO_CHECKER.light, ZERO_CHECKER.dark]) {
        assert.ok(deltaE(CLASS_PALETTE[c.code]!, shade) >= 10, `${c.name} vs ${shade.join(',')}`);
      }
    }
  });
});

describe('gallery page', () => {
  const card = (roi: string, width: number, height: number): GalleryCard => ({
    roi, site: 'A1', baselineSplit: 'train', evaSplit: 'train', width, height, fileName: `${roi}.png`, maskFileName: `${roi}.png`,
    thumbWidth: 512, thumbHeight: Math.round((512 * height) / width), thumbs: { image: `i/${roi}.png`, mask: `m/${roi}.png`, overlay: `o/${roi}.png` },
    counts: [10, 5, ...new Array<number>(20).fill(0)],
  });
  const html = renderGallery([card('TCGA-A1-A0SK-DX1', 4000, 600)], builtinClasses());

  test('the legend shows code 0 as the same checkerboard the mask thumbnails are drawn on', () => {
    const zero = /<li><span class="sw zero"><\/span>0 outside_roi \(([^)]*)\)/.exec(html);
    assert.ok(zero, 'legend entry for 0 uses the checkerboard swatch');
    assert.match(zero[1] ?? '', /transparent, shown as this checkerboard, in masks/);
    const checker = /\.sw\.zero\{background:([^}]+)\}/.exec(html)?.[1];
    assert.ok(checker?.includes('repeating-conic-gradient'));
    assert.ok(html.includes(`img.mask{image-rendering:pixelated;background:${checker}}`), 'mask thumbnails sit on the same checkerboard');
    assert.doesNotMatch(html, /transparent in masks/);
  });

  test('thumbnails sit in a three-column grid, so a wide ROI keeps one row', () => {
    assert.match(html, /\.thumbs\{display:grid;grid-template-columns:repeat\(3,minmax\(0,1fr\)\)/);
    assert.equal((html.match(/<figure>/g) ?? []).length, 3);
  });
});

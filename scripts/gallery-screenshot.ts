/**
 * Dev check of the gallery as a browser draws it (not part of `npm test`, which needs no browser):
 * builds a small download folder with one wide ROI, runs `bcss prepare gallery`, screenshots the
 * page in headless Chromium and checks the pixels:
 *   - the image, mask and overlay thumbnails of the wide ROI sit on one row, inside the window;
 *   - tumour and DCIS come out as their palette colours, ΔE00 ≥ MIN_TUMOR_DCIS_DELTA_E apart;
 *   - code 0 in the mask thumbnail is the checkerboard the legend shows, not black.
 *
 *   apt-get install chromium          (Debian; once, for development only)
 *   node --import tsx scripts/gallery-screenshot.ts [--keep] [--chromium /path/to/chromium]
 *
 * Exits 0 when every check passes, 1 otherwise; prints where the screenshot is.
 */
import { spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import sharp from 'sharp';
import { builtinRois } from '../src/catalog/rois.js';
import { roiFileName } from '../src/geometry/naming.js';
import { CLASS_PALETTE, MIN_TUMOR_DCIS_DELTA_E, ZERO_CHECKER } from '../src/prepare/class-palette.js';
import { deltaE, type Rgb } from '../src/prepare/colour-distance.js';
import { prepareGallery } from '../src/prepare/prepare-gallery.js';
import { OVERLAY_ALPHA } from '../src/prepare/thumbnails.js';

const WINDOW = { width: 1400, height: 1100 };
const IMAGE_RGB: Rgb = [180, 170, 160];
const TUMOR = 1;
const DCIS = 20;
// A wide ROI (8:1): the case that used to push the overlay onto a second row.
const ROI = { width: 1600, height: 200 };

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i < 0 ? undefined : process.argv[i + 1];
}

/** Mask: left quarter outside the ROI (0), then tumour on top, DCIS below. */
function maskPixels(): Uint8Array {
  const out = new Uint8Array(ROI.width * ROI.height);
  for (let y = 0; y < ROI.height; y++) {
    for (let x = 0; x < ROI.width; x++) out[y * ROI.width + x] = x < ROI.width / 4 ? 0 : y < ROI.height / 2 ? TUMOR : DCIS;
  }
  return out;
}

async function makeFolder(root: string): Promise<void> {
  const rec = builtinRois()[0];
  if (rec === undefined) throw new Error('empty catalog');
  const name = roiFileName(rec.name, rec.xmin, rec.ymin, { kind: 'mpp', mpp: 0.25 });
  await mkdir(join(root, 'images'), { recursive: true });
  await mkdir(join(root, 'masks'), { recursive: true });
  const rgb = Buffer.alloc(ROI.width * ROI.height * 3);
  for (let i = 0; i < ROI.width * ROI.height; i++) rgb.set(IMAGE_RGB, i * 3);
  await sharp(rgb, { raw: { ...ROI, channels: 3 } }).png().toFile(join(root, 'images', name));
  await sharp(Buffer.from(maskPixels()), { raw: { ...ROI, channels: 1 } }).toColourspace('b-w').png().toFile(join(root, 'masks', name));
}

interface Box {
  count: number;
  x0: number;
  x1: number;
  y0: number;
  y1: number;
}

/** Bounding box of the pixels of exactly one colour (±1 per channel for rounding), from row `fromY` down. */
function boxOf(px: Buffer, width: number, channels: number, colour: Rgb, fromY = 0, toY = Infinity): Box {
  const box: Box = { count: 0, x0: Infinity, x1: -1, y0: Infinity, y1: -1 };
  const end = Math.min(px.length / channels, (toY + 1) * width);
  for (let i = fromY * width; i < end; i++) {
    const o = i * channels;
    if (Math.abs((px[o] as number) - colour[0]) > 1 || Math.abs((px[o + 1] as number) - colour[1]) > 1 || Math.abs((px[o + 2] as number) - colour[2]) > 1) continue;
    const x = i % width;
    const y = Math.floor(i / width);
    box.count++;
    box.x0 = Math.min(box.x0, x);
    box.x1 = Math.max(box.x1, x);
    box.y0 = Math.min(box.y0, y);
    box.y1 = Math.max(box.y1, y);
  }
  return box;
}

function blend(base: Rgb, over: Rgb): Rgb {
  return [0, 1, 2].map((k) => Math.round(base[k]! * (1 - OVERLAY_ALPHA) + over[k]! * OVERLAY_ALPHA)) as unknown as Rgb;
}

async function main(): Promise<number> {
  const chromium = arg('--chromium') ?? 'chromium';
  const root = await mkdtemp(join(tmpdir(), 'bcss-gallery-shot-'));
  await makeFolder(root);
  const gallery = await prepareGallery({ root, maxWidth: 512 });
  const shot = join(root, 'gallery.png');
  const run = spawnSync(
    chromium,
    [
      '--headless', '--no-sandbox', '--disable-gpu', '--hide-scrollbars', '--force-color-profile=srgb',
      '--force-device-scale-factor=1', `--window-size=${WINDOW.width},${WINDOW.height}`, `--screenshot=${shot}`,
      pathToFileURL(gallery.htmlPath).href,
    ],
    { encoding: 'utf8', timeout: 60_000 },
  );
  if (run.error !== undefined || run.status !== 0) {
    console.error(`could not run ${chromium}: ${run.error?.message ?? run.stderr}`);
    console.error('Install it for development with: apt-get install chromium (or pass --chromium PATH).');
    return 1;
  }
  const { data, info } = await sharp(shot).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  const tumor = CLASS_PALETTE[TUMOR] as Rgb;
  const dcis = CLASS_PALETTE[DCIS] as Rgb;
  // The card starts where its image thumbnail does; the legend's swatches are above it.
  const image = boxOf(data, info.width, info.channels, IMAGE_RGB);
  const top = Number.isFinite(image.y0) ? image.y0 : 0;
  const box = (c: Rgb): Box => boxOf(data, info.width, info.channels, c, top);
  // The thumbnail row: the image's rows. A wrapped thumbnail would be drawn below them.
  const inRow = (c: Rgb): Box => boxOf(data, info.width, info.channels, c, top, image.y1);
  const mask = inRow(tumor);
  const overlay = inRow(blend(IMAGE_RGB, tumor));
  const overlayAll = box(blend(IMAGE_RGB, tumor));
  const checks: Array<[string, boolean, string]> = [];
  const check = (what: string, ok: boolean, detail: string): void => {
    checks.push([what, ok, detail]);
  };
  const show = (b: Box): string => (b.count === 0 ? 'not found' : `x ${b.x0}..${b.x1}, y ${b.y0}..${b.y1} (${b.count} px)`);
  check('image thumbnail drawn', image.count > 500, show(image));
  check('mask thumbnail drawn in the tumour colour', mask.count > 500, show(mask));
  check('overlay thumbnail drawn', overlayAll.count > 500, show(overlayAll));
  const oneRow = overlay.count > 0 && overlay.count >= 0.95 * overlayAll.count && mask.count > 0;
  check('image, mask and overlay on one row', oneRow, `image y ${image.y0}..${image.y1}; overlay ${show(overlayAll)}, ${overlay.count} px of it in the image's rows`);
  check('left to right: image, mask, overlay', image.count > 0 && mask.count > 0 && overlay.count > 0 && image.x1 < mask.x0 && mask.x1 < overlay.x0, `x: ${image.x0}, ${mask.x0}, ${overlay.x0}`);
  check('the row fits the window', overlayAll.x1 < info.width, `overlay ends at x ${overlayAll.x1} of ${info.width}`);
  const dcisBox = box(dcis);
  check('DCIS drawn in its own colour', dcisBox.count > 500, show(dcisBox));
  const d = deltaE(tumor, dcis);
  check(`tumour vs DCIS as drawn: ΔE00 ≥ ${MIN_TUMOR_DCIS_DELTA_E}`, d >= MIN_TUMOR_DCIS_DELTA_E && dcisBox.count > 0 && mask.count > 0, `ΔE00 ${d.toFixed(1)}`);
  const light = box(ZERO_CHECKER.light);
  const dark = box(ZERO_CHECKER.dark);
  const zeroInMask = light.count > 200 && dark.count > 200 && light.y0 <= mask.y1 && light.x1 >= mask.x0 - ROI.width;
  check('code 0 in the mask thumbnail is the checkerboard', zeroInMask, `light ${show(light)}; dark ${show(dark)}`);
  const black = box([0, 0, 0]);
  check('no black area stands for code 0', black.count < 100, `${black.count} black px`);

  for (const [what, ok, detail] of checks) console.log(`${ok ? 'ok  ' : 'FAIL'} ${what}: ${detail}`);
  console.log(`screenshot: ${shot}`);
  if (!process.argv.includes('--keep') && checks.every(([, ok]) => ok)) await rm(root, { recursive: true, force: true });
  return checks.every(([, ok]) => ok) ? 0 : 1;
}

process.exitCode = await main();

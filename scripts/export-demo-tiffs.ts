/**
 * Dev helper for scripts/check-demo-tiffs.py: makes demo slide files and writes what OUR reader
 * (src/slides openSlide) sees in them, so an independent reader (OpenSlide) can be compared.
 *
 *   node --import tsx scripts/export-demo-tiffs.ts --out DIR [--scale 0.05] [--slides A1-A0SK,…]
 *
 * DIR gets the .svs files, one `<slide>.L<level>.rgb` raw RGB region per stored level, and
 * manifest.json describing levels, MPP, AppMag and those regions.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { loadDemoDataset } from '../src/server/demo/demo-dataset.js';
import { filesReady } from '../src/server/files-ready.js';
import { openSlide } from '../src/slides/open-slide.js';

const { values } = parseArgs({
  options: { out: { type: 'string' }, scale: { type: 'string', default: '0.05' }, slides: { type: 'string' } },
});
if (values.out === undefined) throw new Error('--out DIR is required');
const out = values.out;
const scale = Number(values.scale);
await mkdir(out, { recursive: true });
const dataset = await loadDemoDataset({
  scale,
  cacheDir: join(out, 'cache'),
  slideFiles: 'tiff',
  ...(values.slides ? { slides: values.slides.split(',') } : {}),
});
await filesReady(dataset.gdc.files);

const slides = [];
for (const file of dataset.gdc.files) {
  const path = join(out, file.fileName);
  const chunks: Buffer[] = [];
  for await (const c of file.open()) chunks.push(c as Buffer);
  await writeFile(path, Buffer.concat(chunks));
  const slide = await openSlide(path);
  const regions = [];
  for (let level = 0; level < slide.levels.length; level++) {
    const lv = slide.levels[level] as { width: number; height: number; downsample: number };
    // Up to 600 x 400: across the middle of level 0; at the origin of reduced levels, because
    // OpenSlide addresses regions in level-0 coordinates and a reduced level's origin is the only
    // place those map to whole level pixels (its downsample is not an integer).
    const width = Math.min(600, lv.width);
    const height = Math.min(400, lv.height);
    const left = level === 0 ? Math.floor((lv.width - width) / 2) : 0;
    const top = level === 0 ? Math.floor((lv.height - height) / 2) : 0;
    const px = await slide.readRaw(level, { left, top, width, height });
    const raw = `${file.fileName}.L${level}.rgb`;
    await writeFile(join(out, raw), px.data);
    regions.push({ level, left, top, width, height, raw });
  }
  slides.push({
    file: file.fileName,
    size: file.size,
    md5: file.md5,
    isAperio: slide.isAperio,
    mpp: slide.mmX === null ? null : slide.mmX * 1000,
    appMag: slide.magnification,
    levels: slide.levels.map((l) => ({ width: l.width, height: l.height, downsample: l.downsample })),
    regions,
  });
  await slide.close();
}
await writeFile(join(out, 'manifest.json'), `${JSON.stringify({ scale, slides }, null, 1)}\n`);
process.stdout.write(`exported ${slides.length} slides to ${out}\n`);

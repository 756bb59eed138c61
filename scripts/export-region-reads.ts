/**
 * For scripts/check-pil-resize.py: every demo ROI at --mpp 0.25 and --mag 20, as the stored-level
 * pixels the demo DSA reads for it (`<n>-read.png`, lossless RGB) and the region it answers
 * (`<n>-dsa.png`, readPlanned: what tiles/region renders for ordinary sizes), plus manifest.json.
 *
 *   node --import tsx scripts/export-region-reads.ts --out DIR [--scale 0.05] [--slides A1-A0SK,...]
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import sharp from 'sharp';
import { parseRoiTable } from '../src/catalog/rois.js';
import type { Resolution } from '../src/geometry/types.js';
import { slideKeyOfItemName } from '../src/pipeline/slide-match.js';
import { planRoi } from '../src/render/render-roi.js';
import { loadDemoDataset } from '../src/server/demo/demo-dataset.js';
import { readPlanned, resolveRead } from '../src/slides/region-reader.js';
import type { RawPixels } from '../src/slides/types.js';

const { values } = parseArgs({ options: { out: { type: 'string' }, scale: { type: 'string', default: '0.05' }, slides: { type: 'string' } } });
if (values.out === undefined) throw new Error('--out DIR is required');
const out = values.out;
await mkdir(out, { recursive: true });
const dataset = await loadDemoDataset({ scale: Number(values.scale), cacheDir: join(out, 'cache'), slideFiles: 'stand-in', ...(values.slides ? { slides: values.slides.split(',') } : {}) });
const rois = parseRoiTable(await readFile(dataset.roiTablePath ?? '', 'utf8'), 'demo ROI table');
const resolutions: Array<[string, Resolution]> = [['mpp', { kind: 'mpp', mpp: 0.25 }], ['mag', { kind: 'mag', magnification: 20 }]];
const png = (px: RawPixels, path: string): Promise<unknown> => sharp(px.data, { raw: { width: px.width, height: px.height, channels: 3 } }).png({ compressionLevel: 1 }).toFile(path);
const manifest = [];
for (const roi of rois) {
  const slide = dataset.items.find((i) => slideKeyOfItemName(i.name) === roi.name)?.slide;
  if (!slide) throw new Error(`no slide for ${roi.name}`);
  const source = await slide.open();
  for (const [label, res] of resolutions) {
    const plan = planRoi(slide.geometry, roi, res);
    const { levelIndex, rect } = resolveRead(source, slide.geometry, plan);
    if (rect.width === plan.width && rect.height === plan.height) continue; // not resampled
    const name = `${roi.name}-${label}`;
    await png(await source.readRaw(levelIndex, rect), join(out, `${name}-read.png`));
    await png(await readPlanned(source, slide.geometry, plan), join(out, `${name}-dsa.png`));
    manifest.push({ name, resolution: label, width: plan.width, height: plan.height });
  }
  await source.close();
}
await writeFile(join(out, 'manifest.json'), JSON.stringify(manifest));

import assert from 'node:assert/strict';
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import sharp from 'sharp';
import { UsageError } from '../../src/errors.js';
import { escapeHtml, renderGallery } from '../../src/prepare/gallery-html.js';
import { prepareGallery } from '../../src/prepare/prepare-gallery.js';
import { CLASS_PALETTE } from '../../src/prepare/class-palette.js';
import { sampleLabels, thumbSize } from '../../src/prepare/thumbnails.js';
import { makeSyntheticDataset, maskCode, snapshot, type Synthetic } from './synthetic-dataset.js';

async function rawOf(path: string): Promise<{ data: Buffer; width: number; height: number; channels: number }> {
  const { data, info } = await sharp(path).raw().toBuffer({ resolveWithObject: true });
  return { data, width: info.width, height: info.height, channels: info.channels };
}

describe('prepare gallery', () => {
  let ds: Synthetic;
  before(async () => {
    ds = await makeSyntheticDataset();
  });
  after(async () => ds.cleanup());

  test('index.html has a card per ROI and only references thumbnails that exist, all offline', async () => {
    const r = await prepareGallery({ root: ds.root, maxWidth: 20 });
    assert.equal(r.rendered, ds.rois.length);
    const html = await readFile(join(ds.root, 'gallery/index.html'), 'utf8');
    for (const roi of ds.rois) {
      assert.ok(html.includes(`<h2>${roi.roi}</h2>`), roi.roi);
      assert.ok(html.includes(`href="../images/${roi.fileName}"`));
    }
    assert.equal((html.match(/<section class="card"/g) ?? []).length, ds.rois.length);
    const srcs = [...html.matchAll(/src="([^"]+)"/g)].map((m) => m[1] as string);
    assert.equal(srcs.length, 3 * ds.rois.length);
    for (const src of srcs) {
      assert.ok(src.startsWith('thumbs/'), src);
      assert.ok((await stat(join(ds.root, 'gallery', decodeURIComponent(src)))).isFile(), src);
    }
    assert.doesNotMatch(html, /https?:|\/\/[a-z]/i, 'no network references');
    assert.doesNotMatch(html, /<script/i);
    // The legend names every class.
    for (const name of ['outside_roi', 'tumor', 'stroma', 'angioinvasion', 'skin_adnexa']) assert.ok(html.includes(name), name);
  });

  test('thumbnails fit the box; the mask is the palette (0 transparent); the overlay darkens outside the ROI', async () => {
    await prepareGallery({ root: ds.root, maxWidth: 20 });
    for (const roi of ds.rois) {
      const size = thumbSize(roi.width, roi.height, 20);
      assert.ok(size.width <= 20 && size.height <= 20);
      const image = await rawOf(join(ds.root, `gallery/thumbs/${roi.roi}.image.png`));
      const mask = await rawOf(join(ds.root, `gallery/thumbs/${roi.roi}.mask.png`));
      const overlay = await rawOf(join(ds.root, `gallery/thumbs/${roi.roi}.overlay.png`));
      for (const t of [image, mask, overlay]) assert.deepEqual([t.width, t.height], [size.width, size.height]);
      assert.equal(mask.channels, 4);
      // Labels at thumbnail scale, sampled from the full-size layout.
      const full = new Uint8Array(roi.width * roi.height);
      for (let y = 0; y < roi.height; y++) for (let x = 0; x < roi.width; x++) full[y * roi.width + x] = maskCode(roi, x, y);
      const labels = sampleLabels(full, roi.width, roi.height, size.width, size.height);
      let outside = 0;
      for (let i = 0; i < labels.length; i++) {
        const code = labels[i] as number;
        const rgba = [...mask.data.subarray(i * 4, i * 4 + 4)];
        const o = [...overlay.data.subarray(i * 3, i * 3 + 3)];
        const im = [...image.data.subarray(i * 3, i * 3 + 3)];
        if (code === 0) {
          outside += 1;
          assert.equal(rgba[3], 0, 'outside the ROI is transparent');
          for (let k = 0; k < 3; k++) assert.ok((o[k] as number) <= Math.ceil((im[k] as number) * 0.25), 'darkened');
        } else {
          assert.deepEqual(rgba, [...(CLASS_PALETTE[code] as readonly number[]), 255]);
        }
      }
      if (roi.outsideColumns > 0) assert.ok(outside > 0, `${roi.roi} has outside pixels in the thumbnail`);
    }
  });

  test('per-class percentages are of ROI pixels', async () => {
    await prepareGallery({ root: ds.root, maxWidth: 20 });
    const html = await readFile(join(ds.root, 'gallery/index.html'), 'utf8');
    const roi = ds.rois[0];
    assert.ok(roi !== undefined);
    const card = html.slice(html.indexOf(`id="${roi.roi}"`));
    const inside = (roi.width - roi.outsideColumns) * roi.height;
    const tumour = (roi.width - roi.outsideColumns) * 10;
    assert.ok(card.includes(`tumor: ${((100 * tumour) / inside).toFixed(1)}%`));
  });

  test('a rerun renders nothing and touches no file', async () => {
    await prepareGallery({ root: ds.root, maxWidth: 20 });
    const before = await snapshot(join(ds.root, 'gallery'));
    const r = await prepareGallery({ root: ds.root, maxWidth: 20 });
    assert.equal(r.rendered, 0);
    assert.equal(r.upToDateRois, ds.rois.length);
    assert.deepEqual(await snapshot(join(ds.root, 'gallery')), before);
  });

  test('escaping and bad --max-width', async () => {
    assert.equal(escapeHtml(`<a href="x">'&'</a>`), '&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;');
    assert.match(renderGallery([], []), /0 ROIs/);
    await assert.rejects(prepareGallery({ root: ds.root, maxWidth: 0 }), UsageError);
  });
});

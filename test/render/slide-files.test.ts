import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { builtinRois } from '../../src/catalog/rois.js';
import { builtinSlides, findSlideForRoi } from '../../src/catalog/slides.js';
import type { RoiRecord } from '../../src/catalog/types.js';
import { slideFileFor } from '../../src/render/slide-files.js';

const roi = builtinRois().find((r) => r.name === 'TCGA-A1-A0SK-DX1') as RoiRecord;
const catalogName = findSlideForRoi(roi, builtinSlides())?.fileName as string;

test('the catalog file name is found ignoring case; other slides in the folder do not matter', () => {
  const names = ['TCGA-A2-A04P-01Z-00-DX1.5B4E5E8C-8B7E-4E4F-9A0A-000000000000.svs', catalogName.toLowerCase().replace('.svs', '.SVS')];
  const got = slideFileFor(roi, { dir: '/w', names }, builtinSlides());
  assert.deepEqual(got, { ok: true, path: join('/w', names[1] as string), fileName: names[1] });
});

test('another UUID for the same slide key is used when it is the only one; two are an error', () => {
  const other = 'TCGA-A1-A0SK-01Z-00-DX1.00000000-0000-0000-0000-000000000000.svs';
  assert.deepEqual(slideFileFor(roi, { dir: '/w', names: [other, 'notes.txt'] }, builtinSlides()), { ok: true, path: join('/w', other), fileName: other });
  const two = [other, other.replace('00000000-', '11111111-')];
  const got = slideFileFor(roi, { dir: '/w', names: two }, builtinSlides());
  assert.equal(got.ok, false);
  assert.match(got.ok ? '' : got.reason, /ambiguous/);
});

test('a missing slide names the file it wanted and the folder', () => {
  const got = slideFileFor(roi, { dir: '/w', names: ['TCGA-A1-A0SK-01Z-00-DX2.x.svs'] }, builtinSlides());
  assert.equal(got.ok, false);
  assert.equal(got.ok ? '' : got.reason, `slide file ${catalogName} is not in /w`);
});

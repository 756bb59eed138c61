import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { builtinDataUrl, joinRoisToSlides, loadCatalog, parseRoiTable } from '../../src/catalog/index.js';
import type { RoiRecord } from '../../src/catalog/index.js';
import { UsageError } from '../../src/errors.js';

// SHA-256 of the upstream files as published by the dataset's authors (PathologyDataScience/BCSS).
const SHA256 = {
  'roiBounds.csv': '564bc31fdd5808e5d57de40cc65541aad2c1dbc9415e2e0448f25c00ed144d28',
  'slide_magnifications.csv': 'd4abc1c7d8e172606f93cb82a7cbd3a26e796d20277251793600df8cdb547e2c',
  'gtruth_codes.tsv': '78b9ffda84febf95a454d49c83d29031af7be1032aa2413e7e535126d1d9a55f',
} as const;

describe('shipped data files', () => {
  for (const [name, sha] of Object.entries(SHA256)) {
    test(`${name} is byte-for-byte the upstream file`, () => {
      const bytes = readFileSync(builtinDataUrl(name as keyof typeof SHA256));
      assert.equal(createHash('sha256').update(bytes).digest('hex'), sha);
    });
  }
});

describe('loadCatalog', () => {
  test('joins the 151 ROIs 1:1 to the 151 slides on the case id', () => {
    const cat = loadCatalog();
    assert.equal(cat.rois.length, 151);
    assert.equal(cat.slides.length, 151);
    assert.equal(cat.roiToSlide.size, 151);
    assert.equal(cat.slideByCaseId.size, 151);
    assert.equal(cat.classes.length, 22);
    for (const roi of cat.rois) {
      assert.equal(cat.roiToSlide.get(roi.name)?.caseId, roi.caseId);
      assert.equal(cat.roiByName.get(roi.name), roi);
    }
    assert.equal(new Set(cat.slides.map((s) => s.dsaItemId)).size, 151);
  });

  test('a user ROI table keeps only the slides it needs', () => {
    const rois = parseRoiTable(
      ',xmin,ymin,xmax,ymax,mask_link\nTCGA-E2-A1LS-DX1,1,2,300,400,https://ndownloader.figshare.com/files/1\n',
      'mine.csv',
    );
    const cat = loadCatalog({ rois });
    assert.deepEqual(
      cat.slides.map((s) => s.caseId),
      ['TCGA-E2-A1LS'],
    );
    assert.match(cat.roiToSlide.get('TCGA-E2-A1LS-DX1')?.fileName ?? '', /^TCGA-E2-A1LS-01Z-00-DX1\.[0-9a-f-]+\.svs$/);
  });

  test('a user ROI without a BCSS slide is a usage error', () => {
    const rois = parseRoiTable(
      ',xmin,ymin,xmax,ymax,mask_link\nTCGA-ZZ-ZZZZ-DX1,1,2,300,400,https://ndownloader.figshare.com/files/1\n',
      'mine.csv',
    );
    assert.throws(
      () => loadCatalog({ rois }),
      (e: unknown) => e instanceof UsageError && /ROI TCGA-ZZ-ZZZZ-DX1 has no matching slide/.test(e.message),
    );
  });
});

describe('joinRoisToSlides', () => {
  const cat = loadCatalog();
  const [a, b] = cat.rois as [RoiRecord, RoiRecord];

  test('fails when a slide would have no ROI and every slide is required', () => {
    assert.throws(
      () => joinRoisToSlides([a], cat.slides.slice(0, 2), { requireEverySlide: true }),
      new RegExp(`no ROI in roiBounds\\.csv for ${b.caseId}$`),
    );
    assert.equal(joinRoisToSlides([a], cat.slides.slice(0, 2)).size, 1);
  });

  test('fails when two ROIs land on one slide', () => {
    // parseRoiTable rejects duplicate names, but records can also be built in code.
    const twin: RoiRecord = { ...b, name: a.name, caseId: a.caseId, site: a.site };
    assert.throws(
      () => joinRoisToSlides([a, twin], cat.slides),
      (e: unknown) => e instanceof UsageError && /ROIs TCGA-A1-A0SK-DX1 and TCGA-A1-A0SK-DX1 are both on slide TCGA-A1-A0SK-01Z/.test(e.message),
    );
  });
});

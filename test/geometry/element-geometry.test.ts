import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  elementClass,
  elementPolygon,
  polygonBbox,
  rectangleCorners,
} from '../../src/geometry/element-geometry.js';
import { scaleElement } from '../../src/geometry/element-scale.js';
import type { AnnotationElement } from '../../src/geometry/types.js';

describe('elementPolygon', () => {
  test('polyline: z dropped, closed/holes ignored', () => {
    const el: AnnotationElement = {
      type: 'polyline',
      closed: false,
      holes: [[[2, 2, 0], [3, 2, 0], [3, 3, 0]]],
      points: [[1, 2, 0], [3.5, 4, 0], [5, 6, 0]],
    };
    assert.deepEqual(elementPolygon(el), [[1, 2], [3.5, 4], [5, 6]]);
  });

  test('rectangle without rotation: centre ± int(size/2), corners (xmin,ymin),(xmax,ymin),(xmax,ymax),(xmin,ymax)', () => {
    assert.deepEqual(elementPolygon({ type: 'rectangle', center: [60, 40, 0], width: 20, height: 10 }), [
      [50, 35], [70, 35], [70, 45], [50, 45],
    ]);
    // Odd sizes: int(5/2) = 2, int(3/2) = 1.
    assert.deepEqual(elementPolygon({ type: 'rectangle', center: [10, 10, 0], width: 5, height: 3, rotation: 0 }), [
      [8, 9], [12, 9], [12, 11], [8, 11],
    ]);
    // The centre is not truncated before the corners are: 10.7 − 2 = 8.7 → 8, 5.2 + 1 = 6.2 → 6.
    assert.deepEqual(elementPolygon({ type: 'rectangle', center: [10.7, 5.2, 0], width: 4, height: 2 }), [
      [8, 4], [12, 4], [12, 6], [8, 6],
    ]);
  });

  test('rotation by +90°: (dx, dy) → (−dy, dx) about the centre, y pointing down', () => {
    // Offsets (−2,−1),(2,−1),(2,1),(−2,1) → (1,−2),(1,2),(−1,2),(−1,−2), plus the centre (10,10).
    assert.deepEqual(rectangleCorners(10, 10, 4, 2, Math.PI / 2), [[11, 8], [11, 12], [9, 12], [9, 8]]);
  });

  test('rotation by 30°: x = dx·cos − dy·sin + cx, y = dx·sin + dy·cos + cy, truncated', () => {
    // Centre (100, 80), half sizes 60 × 30; cos 30° = 0.8660, sin 30° = 0.5:
    // (−60,−30) → (63.04, 24.02); (60,−30) → (166.96, 84.02); (60,30) → (136.96, 135.98);
    // (−60,30) → (33.04, 75.98).
    assert.deepEqual(rectangleCorners(100, 80, 120, 60, Math.PI / 6), [[63, 24], [166, 84], [136, 135], [33, 75]]);
  });

  test('truncation is toward zero for negative values (Python int), not floor', () => {
    // Half sizes int(1.5) = 1; at 45° the corners land at ±1.414 → ±1 and ≈0 → 0.
    assert.deepEqual(rectangleCorners(0, 0, 3, 3, Math.PI / 4), [[0, -1], [1, 0], [0, 1], [-1, 0]]);
  });

  test('points and other shapes have no polygon', () => {
    assert.equal(elementPolygon({ type: 'point', center: [1, 2, 0] }), null);
    assert.equal(elementPolygon({ type: 'ellipse', center: [1, 2, 0], width: 3, height: 4 }), null);
    assert.equal(elementPolygon({ type: 'circle', center: [1, 2, 0], radius: 3 }), null);
  });

  test('malformed drawable elements throw a TypeError naming the element', () => {
    assert.throws(() => elementPolygon({ type: 'polyline', id: 'a'.repeat(24) }), /element a{24}: polyline without points/);
    assert.throws(() => elementPolygon({ type: 'polyline', points: [[1, 2, 0], [1, null, 0]] as unknown as number[][] }), /point 1/);
    assert.throws(() => elementPolygon({ type: 'rectangle', center: [1, 2, 0], width: -1, height: 2 }), TypeError);
    assert.throws(() => elementPolygon({ type: 'rectangle', center: [1, 2, 0], width: 1, height: 2, rotation: Number.NaN }), /rotation/);
    assert.throws(() => elementPolygon({ type: 'rectangle', width: 1, height: 2 }), /center/);
  });
});

describe('polygonBbox / elementClass', () => {
  test('bbox is int(min)/int(max) per axis (toward zero) and area (ymax−ymin)·(xmax−xmin)', () => {
    // x: 0.5 → 0, 10.2 → 10; y: −0.5 → 0 (not −1), 3.9 → 3.
    assert.deepEqual(polygonBbox([[0.5, 1.7], [10.2, 3.9], [4, -0.5]]), { xmin: 0, ymin: 0, xmax: 10, ymax: 3, area: 30 });
    assert.throws(() => polygonBbox([]), RangeError);
  });

  test('class is group when present, else label.value, else null', () => {
    assert.equal(elementClass({ type: 'polyline', group: 'mostly_tumor', label: { value: 'x' } }), 'mostly_tumor');
    assert.equal(elementClass({ type: 'polyline', label: { value: 'mostly_fat' } }), 'mostly_fat');
    assert.equal(elementClass({ type: 'polyline' }), null);
    // A present-but-null group does not fall back to the label (HistomicsTK checks the key).
    assert.equal(elementClass(JSON.parse('{"type":"polyline","group":null,"label":{"value":"roi"}}')), null);
  });
});

describe('scaleElement (scale_slide_annotations)', () => {
  test('multiplies and truncates center, points (z too), width and height; rotation untouched', () => {
    const el: AnnotationElement = {
      type: 'rectangle',
      center: [-3, 5, 2],
      width: 41,
      height: 7,
      rotation: 0.25,
      points: [[85, 75, 0], [95.9, 75, 3]],
    };
    const copy = structuredClone(el);
    const s = scaleElement(el, 0.5);
    // −1.5 → −1 (toward zero), 2.5 → 2; 20.5 → 20, 3.5 → 3; 47.95 → 47, 1.5 → 1.
    assert.deepEqual(s, { ...el, center: [-1, 2, 1], width: 20, height: 3, points: [[42, 37, 0], [47, 37, 1]] });
    assert.deepEqual(el, copy, 'input must not be modified');
    assert.equal(scaleElement(el, 1), el);
  });
});

/**
 * TypeScript side of scripts/crosscheck-rasteriser.py (dev only, not used by the package or tests).
 * Reads one JSON object from stdin: { polygons: [{ w, h, pts }], levels: [[key, …]], gtCodes,
 * scenes: [{ outline, elements: [{ group, points }] }] } and writes { polygons: [{ fill, drawn }],
 * levels: [{ desc, asc }], scenes: [{ data, width, height, xmin, ymin } | { error }] } to stdout;
 * masks are hex strings (row-major, two hex digits per pixel), levels are index orders.
 */
import { pillowPolygonMask } from '../src/geometry/pillow-polygon.js';
import { histomicsElementOrder } from '../src/geometry/python-set-order.js';
import { rasteriseRoi } from '../src/geometry/rasterise.js';
import { numpyArgsortQuick, pandasDescendingOrder } from '../src/geometry/tie-order.js';
import type { AnnotationElement, GtCode } from '../src/geometry/types.js';

interface Input {
  polygons: Array<{ w: number; h: number; pts: Array<[number, number]> }>;
  levels: number[][];
  gtCodes: GtCode[];
  scenes: Array<{ outline: 'drawn' | 'skipped'; elements: Array<{ group: string; points: Array<[number, number]> }> }>;
  setOrders: Array<{ roi: number; hits: number[]; rois: number[] }>;
}

const chunks: Buffer[] = [];
for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
const input = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Input;
const hex = (m: Uint8Array): string => Buffer.from(m).toString('hex');
const polygons = input.polygons.map(({ w, h, pts }) => ({
  fill: hex(pillowPolygonMask(pts, w, h, 'skipped')),
  drawn: hex(pillowPolygonMask(pts, w, h, 'drawn')),
}));
const levels = input.levels.map((keys) => ({ desc: pandasDescendingOrder(keys), asc: numpyArgsortQuick(keys) }));
const scenes = input.scenes.map(({ outline, elements }) => {
  const els: AnnotationElement[] = elements.map((e) => ({ type: 'polyline', group: e.group, points: e.points.map(([x, y]) => [x, y, 0]) }));
  try {
    const m = rasteriseRoi(els, { gtCodes: input.gtCodes, outline });
    return { data: Buffer.from(m.data).toString('hex'), width: m.width, height: m.height, xmin: m.xmin, ymin: m.ymin };
  } catch (err) {
    return { error: (err as Error).message };
  }
});
const setOrders = input.setOrders.map(({ roi, hits, rois }) => histomicsElementOrder(roi, hits, rois));
process.stdout.write(JSON.stringify({ polygons, levels, scenes, setOrders }));

/**
 * TypeScript side of scripts/crosscheck-rasteriser.py (dev only, not used by the package or tests).
 * Reads one JSON object from stdin: { polygons: [{ w, h, pts }], levels: [[key, …]] } and writes
 * { polygons: [{ fill, drawn }], levels: [[index, …]] } to stdout, where fill/drawn are the 0/1
 * masks as hex strings (row-major, two hex digits per pixel) and levels are pandas-descending orders.
 */
import { pillowPolygonMask } from '../src/geometry/pillow-polygon.js';
import { numpyArgsortQuick, pandasDescendingOrder } from '../src/geometry/tie-order.js';

interface Input {
  polygons: Array<{ w: number; h: number; pts: Array<[number, number]> }>;
  levels: number[][];
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
process.stdout.write(JSON.stringify({ polygons, levels }));

import type { AnnotationElement } from '../../geometry/types.js';

export interface ElementBox {
  lowx: number;
  lowy: number;
  lowz: number;
  highx: number;
  highy: number;
  highz: number;
  details: number;
  size: number;
}

const num = (v: unknown): number => (typeof v === 'number' ? v : 0);

/** large_image's `Annotationelement._boundingBox`, used to filter `GET /annotation/{id}` by region. */
export function elementBox(e: AnnotationElement): ElementBox {
  let box: Omit<ElementBox, 'size'>;
  if (Array.isArray(e.points) && e.points.length > 0) {
    const xs = e.points.map((p) => num(p[0]));
    const ys = e.points.map((p) => num(p[1]));
    const zs = e.points.map((p) => num(p[2]));
    box = {
      lowx: Math.min(...xs),
      lowy: Math.min(...ys),
      lowz: Math.min(...zs),
      highx: Math.max(...xs),
      highy: Math.max(...ys),
      highz: Math.max(...zs),
      details: e.points.length,
    };
  } else {
    const c = Array.isArray(e.center) ? e.center : [0, 0, 0];
    const [cx, cy, cz] = [num(c[0]), num(c[1]), num(c[2])];
    let w = 0.5;
    let h = 0.5;
    let details = 1;
    if (typeof e.width === 'number') {
      w = e.width * 0.5;
      h = num(e.height) * 0.5;
      if (e.rotation) {
        const s = Math.abs(Math.sin(e.rotation));
        const k = Math.abs(Math.cos(e.rotation));
        [w, h] = [Math.max(k * w, s * h), Math.max(s * w, k * h)];
      }
      details = 4;
    } else if (typeof e.radius === 'number') {
      w = h = e.radius;
      details = 4;
    }
    box = { lowx: cx - w, lowy: cy - h, lowz: cz, highx: cx + w, highy: cy + h, highz: cz, details };
  }
  return { ...box, size: Math.hypot(box.highy - box.lowy, box.highx - box.lowx) };
}

/** Region parameters of `GET /annotation/{id}` → (bbox field, comparison), as large_image's `bboxKeys`. */
export const BBOX_KEYS: Record<string, [keyof ElementBox, '$gte' | '$lt']> = {
  left: ['highx', '$gte'],
  right: ['lowx', '$lt'],
  top: ['highy', '$gte'],
  bottom: ['lowy', '$lt'],
  low: ['highz', '$gte'],
  high: ['lowz', '$lt'],
  minimumSize: ['size', '$gte'],
};

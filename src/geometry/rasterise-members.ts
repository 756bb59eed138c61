import { IntegrityError } from '../errors.js';
import { describeElement, elementClass, elementPolygon, polygonBbox } from './element-geometry.js';
import type { ElementBbox, Vertex } from './element-geometry.js';
import { polygonDistance } from './polygon-distance.js';
import type { GtTable } from './rasterise-table.js';
import type { AnnotationElement } from './types.js';

/** An element reduced to what rasterisation needs. */
export interface PreparedElement {
  /** Position in the input list (stable tie-breaker). */
  index: number;
  name: string;
  cls: string | null;
  polygon: Vertex[];
  bbox: ElementBbox;
}

/** HistomicsTK's membership threshold: element polygons farther than this from the ROI are ignored. */
export const MEMBERSHIP_DISTANCE = 2;

/**
 * Geometry for every drawable element. Elements that cannot be drawn are listed in `skipped` with
 * the reason (point/ellipse/… types, malformed coordinates) — except that a malformed element of
 * an ROI class throws, since silently dropping it would renumber the ROIs `roiIndex` refers to.
 */
export function prepareElements(
  elements: ReadonlyArray<AnnotationElement>,
  table: GtTable,
): { prepared: PreparedElement[]; skipped: string[] } {
  const prepared: PreparedElement[] = [];
  const skipped: string[] = [];
  elements.forEach((el, index) => {
    const name = describeElement(el, index);
    const cls = elementClass(el);
    let polygon: Vertex[] | null;
    try {
      polygon = elementPolygon(el);
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      if (cls !== null && table.byGroup.get(cls)?.isRoi === true) {
        throw new IntegrityError(`ROI ${name} has malformed geometry: ${message}`, { cause: err });
      }
      skipped.push(`${name}: malformed geometry (${message})`);
      return;
    }
    if (polygon === null) {
      skipped.push(`${name}: type ${JSON.stringify(el.type)} cannot be drawn (only polyline and rectangle)`);
      return;
    }
    prepared.push({ index, name, cls, polygon, bbox: polygonBbox(polygon) });
  });
  return { prepared, skipped };
}

/**
 * The elements drawn into one ROI's mask (docs/dataset.md#annotations-to-masks step 2), in input order: not an ROI
 * class themselves, bbox IoU with the ROI > 0 (HistomicsTK's inclusive `+1` box arithmetic), and
 * polygon within {@link MEMBERSHIP_DISTANCE} px of the ROI polygon (shapely distance).
 *
 * `skipped` reports elements that pass the geometric tests but are not drawn: a class missing
 * from the GT table, or too few vertices for shapely's ring (see {@link shapelyCanBuild};
 * HistomicsTK catches that error and moves on).
 */
export function selectRoiMembers(
  prepared: ReadonlyArray<PreparedElement>,
  roi: PreparedElement,
  table: GtTable,
): { members: PreparedElement[]; skipped: string[] } {
  const members: PreparedElement[] = [];
  const skipped: string[] = [];
  for (const el of prepared) {
    if (el === roi) continue;
    const row = el.cls === null ? undefined : table.byGroup.get(el.cls);
    if (row?.isRoi === true) continue; // other ROIs never draw into this one
    if (!(bboxIou(roi.bbox, el.bbox) > 0)) continue;
    if (row !== undefined && !shapelyCanBuild(el.polygon)) {
      skipped.push(`${el.name}: polygon has ${el.polygon.length} vertices, too few for a closed ring (shapely needs 4 coordinates, the closing one included)`);
      continue;
    }
    if (polygonDistance(el.polygon, roi.polygon) > MEMBERSHIP_DISTANCE) continue;
    if (row === undefined) {
      skipped.push(`${el.name}: class ${JSON.stringify(el.cls)} is not in the GT-codes table`);
      continue;
    }
    members.push(el);
  }
  return { members, skipped };
}

/**
 * Whether shapely's `Polygon(coords)` can be built: it closes the ring by appending the first
 * vertex unless the last one already equals it, and a ring needs at least 4 coordinates. So 3
 * distinct vertices are enough, but [A, B, A] is not. HistomicsTK catches the error and skips the
 * element (an ROI that fails here fails the whole ROI).
 */
export function shapelyCanBuild(polygon: ReadonlyArray<Vertex>): boolean {
  const n = polygon.length;
  if (n === 0) return false;
  const first = polygon[0] as Vertex;
  const last = polygon[n - 1] as Vertex;
  const closed = first[0] === last[0] && first[1] === last[1];
  return (closed ? n : n + 1) >= 4;
}

/** HistomicsTK `np_vec_no_jit_iou` for one pair: integer boxes, inclusive (+1) extents. */
export function bboxIou(a: ElementBbox, b: ElementBbox): number {
  const iw = Math.max(Math.min(a.xmax, b.xmax) - Math.max(a.xmin, b.xmin) + 1, 0);
  const ih = Math.max(Math.min(a.ymax, b.ymax) - Math.max(a.ymin, b.ymin) + 1, 0);
  const inter = iw * ih;
  const areaA = (a.xmax - a.xmin + 1) * (a.ymax - a.ymin + 1);
  const areaB = (b.xmax - b.xmin + 1) * (b.ymax - b.ymin + 1);
  return inter / (areaA + areaB - inter);
}

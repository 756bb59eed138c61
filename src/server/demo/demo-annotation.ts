import type { AnnotationElement } from '../../geometry/types.js';
import type { AnnotationDocument } from '../dataset-types.js';
import { deterministicObjectId, girderDate, hashParts, seededRandom } from './deterministic-ids.js';
import { polygonRoi, roiOutline, rotatedRectangleRoi, type RoiBounds } from './roi-element.js';
import { tissueElements } from './tissue-elements.js';

export interface DemoAnnotationInput {
  seed: number;
  scale: number;
  /** ROI name, `TCGA-A1-A0SK-DX1`. */
  roiName: string;
  /** Served (scaled) bounds. */
  bounds: RoiBounds;
  itemId: string;
  creatorId: string;
}

/** A stable display colour per group, as HistomicsUI stores one per element. */
function lineColor(group: string): string {
  const h = hashParts('colour', group);
  return `rgb(${h[0] ?? 0}, ${h[1] ?? 0}, ${h[2] ?? 0})`;
}

function decorate(el: AnnotationElement, id: string, group: string): AnnotationElement {
  return {
    ...el,
    id,
    group,
    label: { value: group },
    lineColor: lineColor(group),
    lineWidth: 2,
    ...(el.type === 'polyline' ? { fillColor: 'rgba(0, 0, 0, 0)' } : {}),
  };
}

/**
 * The elements of one demo ROI: first the ROI element (group `roi`; a seeded mix of rotated
 * rectangles and polygons, see roi-element.ts) whose truncated vertex bbox equals `bounds`, then
 * the tissue polygons. Deterministic in (seed, scale, roiName, bounds).
 */
export function demoElements(input: DemoAnnotationInput): AnnotationElement[] {
  const { seed, scale, roiName, bounds } = input;
  const rng = seededRandom(seed, scale, roiName, 'annotation');
  // One ROI in three is a polygon; the rest are rotated rectangles when one fits the box.
  const wantPolygon = rng() < 1 / 3;
  const roi = (wantPolygon ? null : rotatedRectangleRoi(bounds, rng)) ?? polygonRoi(bounds, rng);
  const tissue = tissueElements(bounds, roiOutline(roi), rng);
  return [roi, ...tissue].map((el, i) =>
    decorate(el, deterministicObjectId(seed, scale, roiName, 'element', i), i === 0 ? 'roi' : String(el.group)),
  );
}

/** The DSA annotation document (the fields of docs/protocols.md#annotations) holding `demoElements`. */
export function demoAnnotationDocument(input: DemoAnnotationInput): AnnotationDocument {
  const id = deterministicObjectId(input.seed, input.scale, input.roiName, 'annotation');
  return {
    _id: id,
    itemId: input.itemId,
    creatorId: input.creatorId,
    created: girderDate(id, 540),
    updated: girderDate(id, 3_600_000 + 125),
    updatedId: input.creatorId,
    public: true,
    _version: 1,
    annotation: {
      name: input.roiName,
      description: `Deterministic demo annotation (seed ${input.seed}, scale ${input.scale}): ROI and tissue regions`,
      elements: demoElements(input),
      attributes: { bcssDemo: { seed: input.seed, scale: input.scale, roi: input.roiName } },
    },
  };
}

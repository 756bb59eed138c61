/**
 * `bcss rasterize`, one annotation file: parse, name the slide's ROIs, decide each mask's grid,
 * rasterise (geometry/rasterise.ts) and encode. No I/O here except through the callbacks, so the
 * rules can be tested without a folder.
 */
import { builtinRois, builtinSlides, findSlideByFileName, findSlideForRoi } from '../catalog/index.js';
import { IntegrityError } from '../errors.js';
import { elementClass, elementPolygon, polygonBbox } from '../geometry/element-geometry.js';
import { roiFileName, resolutionSuffix } from '../geometry/naming.js';
import { nearestIndexMap } from '../geometry/nearest.js';
import type { OutlineMode } from '../geometry/pillow-polygon.js';
import { rasteriseRoi } from '../geometry/rasterise.js';
import type { GtTable } from '../geometry/rasterise-table.js';
import type { AnnotationElement, GtCode, LabelMask, Resolution } from '../geometry/types.js';
import { encodeGrey, encodeGreyRows, type RowFiller } from '../image/grey-png.js';
import { mapRuns } from './mask-convert.js';

export type Scaling = 'resize' | 'draw';

/** A per-slide problem that is not the file's integrity: reported, the other slides continue. */
export class SlideProblem extends Error {}

/** The elements of a DSA annotation answer (an array of documents, or one document), in order. */
export function annotationElements(text: string, label: string): AnnotationElement[] {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (err) {
    throw new IntegrityError(`${label} is not valid JSON (${(err as Error).message})`, {
      hint: 'Download it again (`bcss download --components annotations`) or fix the file.',
    });
  }
  const docs = Array.isArray(data) ? data : [data];
  const out: AnnotationElement[] = [];
  docs.forEach((doc: unknown, i) => {
    const elements = (doc as { annotation?: { elements?: unknown } } | null)?.annotation?.elements;
    if (!Array.isArray(elements)) throw new IntegrityError(`${label}: document ${i} has no annotation.elements list`);
    for (const el of elements) {
      if (el === null || typeof el !== 'object' || typeof (el as { type?: unknown }).type !== 'string') {
        throw new IntegrityError(`${label}: document ${i} has an element that is not an object with a type`);
      }
      out.push(el as AnnotationElement);
    }
  });
  return out;
}

/** `TCGA-A1-A0SK-DX1` for a BCSS annotation file name, else null. */
export function roiNameOfAnnotationFile(fileBase: string): string | null {
  const slides = builtinSlides();
  const slide = findSlideByFileName(`${fileBase}.svs`, slides);
  if (slide !== undefined) {
    const roi = builtinRois().find((r) => findSlideForRoi(r, slides) === slide);
    if (roi !== undefined) return roi.name;
  }
  const m = /^(TCGA-[0-9A-Z]{2}-[0-9A-Z]{4})-.*?-(DX\d+)\b/i.exec(fileBase);
  return m === null ? null : `${(m[1] as string).toUpperCase()}-${(m[2] as string).toUpperCase()}`;
}

/** One ROI element of the file: its place among the ROIs and its base-resolution bbox. */
export interface RoiOfFile {
  roiIndex: number;
  xmin: number;
  ymin: number;
  xmax: number;
  ymax: number;
  fileName: string;
}

/**
 * The ROI elements (in input order, as `rasteriseRoi`'s roiIndex counts them) and each mask's
 * file name: the download's name for BCSS slides, `<file>_xmin…_ymin…_<res>.png` otherwise.
 * Throws SlideProblem naming unknown groups, or when there is no ROI element.
 */
export function roisOfFile(elements: AnnotationElement[], table: GtTable, fileBase: string, resolution: Resolution): RoiOfFile[] {
  const unknown = new Set<string>();
  const present = new Set<string>();
  const rois: RoiOfFile[] = [];
  const roiName = roiNameOfAnnotationFile(fileBase);
  for (const el of elements) {
    if (el.type !== 'polyline' && el.type !== 'rectangle') continue;
    const cls = elementClass(el);
    const row = cls === null ? undefined : table.byGroup.get(cls);
    present.add(cls ?? '(no group)');
    if (row === undefined) {
      unknown.add(cls ?? '(no group)');
      continue;
    }
    if (!row.isRoi) continue;
    let polygon;
    try {
      polygon = elementPolygon(el);
    } catch (err) {
      throw new IntegrityError(`${fileBase}: ROI element ${rois.length} has malformed geometry (${(err as Error).message})`);
    }
    if (polygon === null || polygon.length === 0) continue;
    const { xmin, ymin, xmax, ymax } = polygonBbox(polygon);
    const fileName =
      roiName !== null && /-DX1$/.test(roiName) && xmin >= 0 && ymin >= 0
        ? roiFileName(roiName, xmin, ymin, resolution)
        : `${fileBase}_xmin${xmin}_ymin${ymin}_${resolutionSuffix(resolution)}.png`;
    rois.push({ roiIndex: rois.length, xmin, ymin, xmax, ymax, fileName });
  }
  if (unknown.size > 0) {
    throw new SlideProblem(`groups not in the GT-codes table: ${[...unknown].sort().join(', ')}`);
  }
  if (rois.length === 0) {
    const roiGroups = [...table.byGroup].filter(([, r]) => r.isRoi).map(([g]) => g);
    throw new SlideProblem(
      `no ROI element (ROI groups in the GT-codes table: ${roiGroups.join(', ') || 'none'}; groups present: ${[...present].sort().join(', ') || 'none'})`,
    );
  }
  return rois;
}

export interface MaskJob {
  elements: AnnotationElement[];
  gtCodes: GtCode[];
  roi: RoiOfFile;
  outline: OutlineMode;
  scaling: Scaling;
  /** resize: the grid the download would use; draw: null (the scaled raster is kept as drawn). */
  target: { width: number; height: number } | null;
  /** draw: the factor vertices are multiplied (and truncated) by; 1 at base. */
  scale: number;
}

export interface RenderedMask {
  png: Buffer;
  width: number;
  height: number;
  skipped: string[];
}

/** Rasterises one ROI and encodes it as an 8-bit grey PNG on the job's grid. */
export async function renderMask(job: MaskJob): Promise<RenderedMask> {
  const mask = rasteriseRoi(job.elements, {
    gtCodes: job.gtCodes,
    roiIndex: job.roi.roiIndex,
    outline: job.outline,
    scale: job.scaling === 'draw' ? job.scale : 1,
  });
  if (job.target === null) {
    return { png: await encodeGrey(mask.data, mask.width, mask.height), width: mask.width, height: mask.height, skipped: mask.skipped };
  }
  const { width, height } = job.target;
  return { png: await encodeGreyRows(width, height, nearestRows(mask, width, height)), width, height, skipped: mask.skipped };
}

/**
 * Rows of the download's exact nearest-neighbour map (geometry/nearest.ts, as mask-convert.ts
 * applies it to a figshare mask) from the raster to the target grid, run by run.
 */
function nearestRows(src: LabelMask, tw: number, th: number): RowFiller {
  const ys = nearestIndexMap(src.height, th);
  const runs = mapRuns(nearestIndexMap(src.width, tw), tw);
  return (y0, rows, buf, stride) => {
    for (let r = 0; r < rows; r++) {
      const base = (ys[y0 + r] as number) * src.width;
      const o = r * stride + 1;
      for (let k = 0; k < runs.length; k += 4) {
        const at = o + (runs[k + 1] as number);
        const from = base + (runs[k + 2] as number);
        const len = runs[k + 3] as number;
        if (runs[k] === 0) buf.set(src.data.subarray(from, from + len), at);
        else buf.fill(src.data[from] as number, at, at + len);
      }
    }
  };
}

import { gtCodes } from '../../catalog/index.js';
import type { AnnotationElement } from '../../geometry/types.js';
import { rasteriseRoi } from '../../geometry/rasterise.js';
import { encodeGreyPng } from '../../image/label-png.js';
import type { RoiBounds } from './roi-element.js';

/**
 * The base-resolution mask PNG of one ROI, rasterised from its annotation exactly as HistomicsTK
 * would. The size must follow the BCSS convention (ymax−ymin−1)×(xmax−xmin−1) placed at
 * (xmin, ymin) (docs/dataset.md#roi-bounds-and-mask-size); anything else means the demo annotation is wrong, so it throws.
 */
export async function renderRoiMaskPng(roiName: string, elements: AnnotationElement[], bounds: RoiBounds): Promise<Buffer> {
  const mask = rasteriseRoi(elements, { gtCodes: gtCodes() });
  const width = bounds.xmax - bounds.xmin - 1;
  const height = bounds.ymax - bounds.ymin - 1;
  if (mask.width !== width || mask.height !== height || mask.xmin !== bounds.xmin || mask.ymin !== bounds.ymin) {
    throw new Error(
      `demo mask of ${roiName}: rasterised ${mask.width}x${mask.height} at (${mask.xmin}, ${mask.ymin}), ` +
        `expected ${width}x${height} at (${bounds.xmin}, ${bounds.ymin}) for bounds ${JSON.stringify(bounds)}`,
    );
  }
  return encodeGreyPng(mask.data, mask.width, mask.height);
}

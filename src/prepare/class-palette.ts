/**
 * A fixed colour per class code for previews, so the same colour means the same class in every
 * thumbnail and every run. Code 0 (outside the ROI) has no colour: it is drawn transparent, and
 * the gallery shows transparency as a grey checkerboard. Every two class colours are at least
 * MIN_CLASS_DELTA_E apart (CIEDE2000, see colour-distance.ts and its test); invasive tumour (red)
 * and DCIS (dark green) far more, since mistaking one for the other misreads a slide.
 */
export const CLASS_PALETTE: ReadonlyArray<readonly [number, number, number]> = [
  [0, 0, 0], // 0 outside_roi: never painted
  [220, 30, 40], // 1 tumor
  [255, 160, 200], // 2 stroma
  [40, 90, 220], // 3 lymphocytic_infiltrate
  [250, 220, 40], // 4 necrosis_or_debris
  [150, 220, 240], // 5 glandular_secretions
  [130, 0, 0], // 6 blood
  [128, 128, 128], // 7 exclude
  [120, 60, 170], // 8 metaplasia_NOS
  [255, 250, 200], // 9 fat
  [0, 150, 225], // 10 plasma_cells
  [0, 30, 130], // 11 other_immune_infiltrate
  [180, 230, 140], // 12 mucoid_material
  [40, 160, 60], // 13 normal_acinus_or_duct
  [200, 170, 230], // 14 lymphatics
  [60, 60, 60], // 15 undetermined
  [255, 130, 0], // 16 nerve
  [150, 90, 40], // 17 skin_adnexa
  [230, 0, 230], // 18 blood_vessel
  [120, 0, 50], // 19 angioinvasion
  [0, 90, 30], // 20 dcis
  [170, 140, 100], // 21 other
];

export function paletteHex(code: number): string {
  const rgb = CLASS_PALETTE[code] ?? [0, 0, 0];
  return `#${rgb.map((c) => c.toString(16).padStart(2, '0')).join('')}`;
}

/** The smallest CIEDE2000 difference between any two class colours (codes 1..21). */
export const MIN_CLASS_DELTA_E = 15;
/** Tumour (1) and DCIS (20) are the pair that matters most: far beyond a glance's doubt. */
export const MIN_TUMOR_DCIS_DELTA_E = 40;

/** The checkerboard that stands for code 0 (transparent) in mask thumbnails and the legend. */
export const ZERO_CHECKER = { light: [240, 240, 240] as const, dark: [200, 200, 200] as const, cellPx: 6 };

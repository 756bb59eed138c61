/**
 * A fixed colour per class code for previews, so the same colour means the same class in every
 * thumbnail and every run. Code 0 (outside the ROI) has no colour: it is drawn transparent.
 * Related classes get related hues (tumour reds, inflammatory blues, other tissue greens/browns).
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
  [0, 190, 200], // 10 plasma_cells
  [0, 30, 130], // 11 other_immune_infiltrate
  [180, 230, 140], // 12 mucoid_material
  [40, 160, 60], // 13 normal_acinus_or_duct
  [200, 170, 230], // 14 lymphatics
  [60, 60, 60], // 15 undetermined
  [255, 130, 0], // 16 nerve
  [150, 90, 40], // 17 skin_adnexa
  [230, 0, 230], // 18 blood_vessel
  [120, 0, 50], // 19 angioinvasion
  [255, 90, 90], // 20 dcis
  [170, 140, 100], // 21 other
];

export function paletteHex(code: number): string {
  const rgb = CLASS_PALETTE[code] ?? [0, 0, 0];
  return `#${rgb.map((c) => c.toString(16).padStart(2, '0')).join('')}`;
}

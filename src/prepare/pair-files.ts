/**
 * Pair images with masks by the ROI name parsed from each file name, never by listing order:
 * torch-em pairs by sorted order, so one missing file shifts every later pair
 * (docs/dataset.md#consumer-pitfalls). Pure: the caller lists the folders.
 */
import { parseRoiFileName } from '../geometry/naming.js';
import type { ExpectedFiles } from './lock-expectations.js';

export interface NamePair {
  roi: string;
  site: string;
  /** null when images were not asked for. */
  image: string | null;
  mask: string;
}

export interface PairingResult {
  /** Sorted by ROI name. */
  pairs: NamePair[];
  /** Everything wrong, one line each; empty when the folders are complete and unambiguous. */
  problems: string[];
  /** PNG names that are not BCSS ROI names (left out, worth a warning). */
  unrecognised: string[];
}

export interface PairingInput {
  imageNames: readonly string[];
  maskNames: readonly string[];
  /** From bcss.lock.json, when there is one: ROIs listed there must be present. */
  expected: ExpectedFiles | null;
  /** false for tasks that read masks only (stats). */
  needImages: boolean;
}

interface Indexed {
  byRoi: Map<string, string[]>;
  site: Map<string, string>;
}

function index(names: readonly string[], folder: string, unrecognised: string[]): Indexed {
  const byRoi = new Map<string, string[]>();
  const site = new Map<string, string>();
  for (const name of names) {
    const parts = parseRoiFileName(name);
    if (parts === null) {
      unrecognised.push(`${folder}/${name}`);
      continue;
    }
    const list = byRoi.get(parts.roi) ?? [];
    list.push(name);
    byRoi.set(parts.roi, list);
    site.set(parts.roi, parts.site);
  }
  return { byRoi, site };
}

export function pairFileNames(input: PairingInput): PairingResult {
  const problems: string[] = [];
  const unrecognised: string[] = [];
  const images = index(input.needImages ? input.imageNames : [], 'images', unrecognised);
  const masks = index(input.maskNames, 'masks', unrecognised);

  const rois = new Set<string>(masks.byRoi.keys());
  for (const roi of images.byRoi.keys()) rois.add(roi);
  if (input.expected !== null) {
    for (const roi of input.expected.masks.keys()) rois.add(roi);
    if (input.needImages) for (const roi of input.expected.images.keys()) rois.add(roi);
  }

  const pick = (folder: 'images' | 'masks', found: Indexed, roi: string): string | null => {
    const names = found.byRoi.get(roi) ?? [];
    const fromLock = input.expected?.[folder].get(roi);
    if (names.length > 1) {
      // e.g. an MPP-0.2300 copy next to MPP-0.2500 files: which one is meant is anyone's guess.
      problems.push(`${folder}/ has ${names.length} files for ${roi}: ${[...names].sort().join(', ')}`);
      return null;
    }
    const name = names[0];
    if (name === undefined) {
      const why = fromLock !== undefined ? `bcss.lock.json expects ${folder}/${fromLock}` : `the other folder has one`;
      problems.push(`${folder}/ has no file for ${roi} (${why})`);
      return null;
    }
    if (fromLock !== undefined && fromLock !== name) {
      problems.push(`${folder}/ holds ${name} for ${roi}, but bcss.lock.json expects ${fromLock}`);
      return null;
    }
    return name;
  };

  const pairs: NamePair[] = [];
  for (const roi of [...rois].sort()) {
    const mask = pick('masks', masks, roi);
    const image = input.needImages ? pick('images', images, roi) : null;
    if (mask === null || (input.needImages && image === null)) continue;
    const site = masks.site.get(roi) ?? images.site.get(roi) ?? roi.split('-')[1] ?? '';
    pairs.push({ roi, site, image, mask });
  }
  return { pairs, problems, unrecognised: unrecognised.sort() };
}

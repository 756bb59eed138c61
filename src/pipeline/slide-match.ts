/**
 * ROI → DSA item by name (docs/dataset.md#slides-and-items): the original keyed slides by the first 12 characters
 * of the item name, so a second diagnostic slide of a patient silently replaced the first. Here
 * the key is the full prefix up to `DX<n>` (`TCGA-A1-A0SK-01Z-00-DX1…` → `TCGA-A1-A0SK-DX1`, the
 * ROI name), compared case-insensitively; two items with one key is an error, not a guess.
 */
import { BcssError } from '../errors.js';
import type { RoiRecord } from '../catalog/types.js';
import type { GirderItem } from '../remote/types.js';

const ITEM_NAME = /^(TCGA-[0-9A-Z]{2}-[0-9A-Z]{4})-[0-9A-Z]{2,3}-[0-9A-Z]{2,3}-(DX\d+)(?:[._]|$)/i;

/** `TCGA-A1-A0SK-DX1` for `TCGA-A1-A0SK-01Z-00-DX1.<UUID>.svs`; null for other names. */
export function slideKeyOfItemName(name: string): string | null {
  const m = ITEM_NAME.exec(name.trim());
  if (m === null || m[1] === undefined || m[2] === undefined) return null;
  return `${m[1]}-${m[2]}`.toUpperCase();
}

export interface SlideRef {
  itemId: string;
  /** Full slide file name (DSA item name = GDC file_name). */
  name: string;
}

export type SlideResolution = { ok: true; slide: SlideRef; from: 'listing' | 'catalog' } | { ok: false; error: BcssError };

/** Resolve each ROI against a folder listing. */
export function matchRoisToItems(rois: readonly RoiRecord[], items: readonly GirderItem[], folderId: string): Map<string, SlideResolution> {
  const byKey = new Map<string, GirderItem[]>();
  for (const item of items) {
    const key = slideKeyOfItemName(item.name);
    if (key === null) continue;
    const list = byKey.get(key) ?? [];
    list.push(item);
    byKey.set(key, list);
  }
  const out = new Map<string, SlideResolution>();
  for (const roi of rois) {
    const found = byKey.get(roi.name.toUpperCase()) ?? [];
    const first = found[0];
    if (found.length === 1 && first !== undefined) {
      out.set(roi.name, { ok: true, slide: { itemId: first.id, name: first.name }, from: 'listing' });
    } else if (found.length === 0) {
      out.set(roi.name, {
        ok: false,
        error: new BcssError('remote', `slide ${roi.name} is not in DSA folder ${folderId} (the folder lists ${items.length} items)`, {
          hint: 'Check --folder-id / --api-url, or drop this ROI with --slides.',
        }),
      });
    } else {
      out.set(roi.name, {
        ok: false,
        error: new BcssError('remote', `slide ${roi.name} is ambiguous in DSA folder ${folderId}: ${found.map((i) => `${i.name} (${i.id})`).join(', ')}`, {
          hint: 'bcss will not guess which scan an ROI was drawn on; remove the duplicate item or use a table with distinct ROI names.',
        }),
      });
    }
  }
  return out;
}

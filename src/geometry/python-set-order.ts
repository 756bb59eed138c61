/**
 * The iteration order of CPython's `set` for small non-negative ints (hash(i) = i), as
 * HistomicsTK's `get_roi_mask` produces its element list: `list(set(overlaps) - set(rois))`, with
 * `overlaps` itself coming from `list(set(indices) - {roi})`. The order decides which of several
 * equal-area elements of one level pandas' unstable sort sees first.
 *
 * A model of CPython's `Objects/setobject.c` for this use only (insertions from lists, set
 * difference, iteration): open addressing over 2^k slots, 9 linear probes (when the table has
 * room) then perturbed probing (`i = 5i + 1 + perturb`, perturb >>= 5), growth to the smallest
 * power of two above 4·used once fill·5 ≥ mask·3, `set_merge`'s one presize and slot-for-slot
 * copy, and difference either by copy-then-discard (when len(a)/4 > len(b)) or by re-inserting
 * the kept keys. Checked against CPython 3.11 by scripts/crosscheck-rasteriser.py; other
 * versions are not checked.
 */

const LINEAR_PROBES = 9;
const PERTURB_SHIFT = 5;
const MINSIZE = 8;
const EMPTY = -1;
const DUMMY = -2;

class PySet {
  table: number[] = new Array<number>(MINSIZE).fill(EMPTY);
  fill = 0;
  used = 0;
  /** The keys, for O(1) membership tests (the table is only for the order). */
  readonly members = new Set<number>();

  get mask(): number {
    return this.table.length - 1;
  }

  has(key: number): boolean {
    return this.members.has(key);
  }

  /** `set_add_entry` for a key not yet in the set (callers check), no dummies in the table. */
  add(key: number): void {
    if (this.has(key)) return;
    const mask = this.mask;
    const i = insertionSlot(this.table, key);
    this.table[i] = key;
    this.members.add(key);
    this.fill++;
    this.used++;
    if (this.fill * 5 >= mask * 3) this.resize(this.used > 50000 ? this.used * 2 : this.used * 4);
  }

  /** `set_table_resize`: smallest power of two above `minused`, keys re-inserted in slot order. */
  resize(minused: number): void {
    let size = MINSIZE;
    while (size <= minused) size *= 2;
    const old = this.table;
    this.table = new Array<number>(size).fill(EMPTY);
    for (const key of old) if (key >= 0) this.table[insertionSlot(this.table, key)] = key;
    this.fill = this.used;
  }

  keys(): number[] {
    return this.table.filter((k) => k >= 0);
  }

  static fromList(list: readonly number[]): PySet {
    const s = new PySet();
    for (const k of list) s.add(k);
    return s;
  }

  /** `set_copy` = a new set `set_merge`d with this one. */
  copy(): PySet {
    const s = new PySet();
    if (this.used === 0) return s;
    if ((s.fill + this.used) * 5 >= s.mask * 3) s.resize((s.used + this.used) * 2);
    if (s.mask === this.mask && this.fill === this.used) {
      s.table = this.table.slice();
    } else {
      for (const key of this.table) if (key >= 0) s.table[insertionSlot(s.table, key)] = key;
    }
    s.fill = this.used;
    s.used = this.used;
    for (const key of this.members) s.members.add(key);
    return s;
  }

  /** `set_difference(self, other)` for two sets. */
  minus(other: PySet): PySet {
    if (this.used >> 2 > other.used) {
      const result = this.copy();
      for (const key of other.keys()) {
        if (!result.members.delete(key)) continue;
        result.table[result.table.indexOf(key)] = DUMMY;
        result.used--;
      }
      return result;
    }
    const result = new PySet();
    for (const key of this.keys()) if (!other.has(key)) result.add(key);
    return result;
  }
}

/** `set_insert_clean`'s probe sequence: the first empty slot for `key` (hash = key). */
function insertionSlot(table: number[], key: number): number {
  const mask = table.length - 1;
  let perturb = key;
  let i = key & mask;
  for (;;) {
    if (table[i] === EMPTY) return i;
    if (i + LINEAR_PROBES <= mask) {
      for (let j = 1; j <= LINEAR_PROBES; j++) if (table[i + j] === EMPTY) return i + j;
    }
    perturb = Math.floor(perturb / 2 ** PERTURB_SHIFT);
    i = (i * 5 + 1 + perturb) & mask;
  }
}

/**
 * HistomicsTK's element order for one ROI: `[roi] + list(set(list(set(hits) - {roi})) - set(rois))`
 * where `hits` are the (ascending) indices of every element whose bbox IoU with the ROI is > 0 and
 * `rois` the indices of every element of an ROI group.
 */
export function histomicsElementOrder(roi: number, hits: readonly number[], rois: readonly number[]): number[] {
  for (const k of [roi, ...hits, ...rois]) {
    if (!Number.isSafeInteger(k) || k < 0 || k > 2 ** 30) throw new RangeError(`element index ${k} is not a small non-negative integer`);
  }
  const overlaps = PySet.fromList(hits).minus(PySet.fromList([roi])).keys();
  return [roi, ...PySet.fromList(overlaps).minus(PySet.fromList(rois)).keys()];
}

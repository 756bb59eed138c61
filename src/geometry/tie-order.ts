/**
 * The drawing order HistomicsTK gives the elements of one overlay level:
 * `DataFrame.sort_values('bbox_area', ascending=False)` with pandas' default `kind='quicksort'`.
 *
 * pandas (`nargsort`) sorts descending by reversing the keys, taking numpy's ascending argsort of
 * the reversed array, and reversing the result. numpy's quicksort for float64 argsort is not
 * stable, so elements of equal area come out in an order that depends on the algorithm's details;
 * {@link numpyArgsortQuick} reproduces it step by step (numpy 1.24 `aquicksort_`, the portable
 * path: no SIMD argsort exists for float64 there). See docs/rasterisation.md.
 */

/** numpy's `DOUBLE_LT`: NaNs sort to the end. */
function less(a: number, b: number): boolean {
  return a < b || (b !== b && a === a);
}

/** Partitions of at most this size + 1 are finished by insertion sort (numpy SMALL_QUICKSORT). */
const SMALL_QUICKSORT = 15;

/** floor(log2(n)) for n ≥ 1, 0 for n = 0 (numpy `npy_get_msb`). */
function msb(n: number): number {
  let depth = 0;
  for (let u = n; u > 1; u = Math.floor(u / 2)) depth++;
  return depth;
}

/**
 * `np.argsort(keys, kind='quicksort')` for float64 keys: introsort with median-of-three pivot,
 * Hoare-style partition that stops on equal keys, insertion sort for small partitions, heapsort
 * once the depth budget 2·floor(log2 n) is spent, and the larger partition pushed on a stack.
 */
export function numpyArgsortQuick(keys: ArrayLike<number>): number[] {
  const num = keys.length;
  const tosort: number[] = Array.from({ length: num }, (_, k) => k);
  if (num <= 1) return tosort;
  const v = (p: number): number => keys[tosort[p] as number] as number;
  const swap = (p: number, q: number): void => {
    const t = tosort[p] as number;
    tosort[p] = tosort[q] as number;
    tosort[q] = t;
  };
  const stack: number[] = [];
  const depths: number[] = [];
  let pl = 0;
  let pr = num - 1;
  let cdepth = msb(num) * 2;
  for (;;) {
    if (cdepth < 0) {
      heapsortRange(keys, tosort, pl, pr - pl + 1);
    } else {
      while (pr - pl > SMALL_QUICKSORT) {
        const pm = pl + ((pr - pl) >> 1);
        if (less(v(pm), v(pl))) swap(pm, pl);
        if (less(v(pr), v(pm))) swap(pr, pm);
        if (less(v(pm), v(pl))) swap(pm, pl);
        const vp = v(pm);
        let pi = pl;
        let pj = pr - 1;
        swap(pm, pj);
        for (;;) {
          do ++pi;
          while (less(v(pi), vp));
          do --pj;
          while (less(vp, v(pj)));
          if (pi >= pj) break;
          swap(pi, pj);
        }
        swap(pi, pr - 1);
        if (pi - pl < pr - pi) {
          stack.push(pi + 1, pr);
          pr = pi - 1;
        } else {
          stack.push(pl, pi - 1);
          pl = pi + 1;
        }
        depths.push(--cdepth);
      }
      insertionSort(keys, tosort, pl, pr);
    }
    if (stack.length === 0) break;
    pr = stack.pop() as number;
    pl = stack.pop() as number;
    cdepth = depths.pop() as number;
  }
  return tosort;
}

function insertionSort(keys: ArrayLike<number>, tosort: number[], pl: number, pr: number): void {
  for (let pi = pl + 1; pi <= pr; pi++) {
    const vi = tosort[pi] as number;
    const vp = keys[vi] as number;
    let pj = pi;
    while (pj > pl && less(vp, keys[tosort[pj - 1] as number] as number)) {
      tosort[pj] = tosort[pj - 1] as number;
      pj--;
    }
    tosort[pj] = vi;
  }
}

/** numpy `aheapsort_` on tosort[start … start+n−1] (1-based heap over that window). */
function heapsortRange(keys: ArrayLike<number>, tosort: number[], start: number, count: number): void {
  const key = (h: number): number => keys[tosort[start + h - 1] as number] as number;
  const get = (h: number): number => tosort[start + h - 1] as number;
  const set = (h: number, value: number): void => {
    tosort[start + h - 1] = value;
  };
  const siftDown = (from: number, tmp: number, n: number): void => {
    let i = from;
    let j = from * 2;
    while (j <= n) {
      if (j < n && less(key(j), key(j + 1))) j++;
      if (less(keys[tmp] as number, key(j))) {
        set(i, get(j));
        i = j;
        j += j;
      } else break;
    }
    set(i, tmp);
  };
  let n = count;
  for (let l = n >> 1; l > 0; l--) siftDown(l, get(l), n);
  while (n > 1) {
    const tmp = get(n);
    set(n, get(1));
    n -= 1;
    siftDown(1, tmp, n);
  }
}

/**
 * Positions of `keys` in the order pandas `sort_values(ascending=False)` returns them (no NaN
 * handling needed: bbox areas are finite; NaNs would go last, as in pandas).
 */
export function pandasDescendingOrder(keys: ReadonlyArray<number>): number[] {
  const n = keys.length;
  const nonNan: number[] = [];
  const nan: number[] = [];
  keys.forEach((k, i) => (Number.isNaN(k) ? nan : nonNan).push(i));
  const reversedIdx = nonNan.slice().reverse();
  const reversedKeys = reversedIdx.map((i) => keys[i] as number);
  const order = numpyArgsortQuick(reversedKeys).map((p) => reversedIdx[p] as number);
  order.reverse();
  if (order.length + nan.length !== n) throw new Error('pandasDescendingOrder: internal count mismatch');
  return [...order, ...nan];
}

#!/usr/bin/env python3
"""Dev cross-check of bcss's Pillow-exact polygon drawing and HistomicsTK tie order.

Not part of the package or of `npm test`; it needs Debian's python3-pil and python3-numpy:

    apt-get install python3-pil python3-numpy
    /usr/bin/python3 scripts/crosscheck-rasteriser.py [--polygons N] [--levels N] [--seed S] \
        > scripts/crosscheck-rasteriser.out.txt

It generates random polygons (integer, fractional and half-integer vertices, slivers, zero-area
and collinear polygons, self-intersecting polygons, rotated rectangles as HistomicsTK builds them,
canvases cut as HistomicsTK's create_mask_from_coords cuts them, vertices outside the canvas) and
draws each with Pillow twice: fill only (ImageDraw.polygon(fill=1), what current Pillow gives
HistomicsTK) and fill then a 1-px outline. The TypeScript side (scripts/crosscheck-driver.ts, run
with `node --import tsx`) draws the same polygons with src/geometry/pillow-polygon.ts; every
pixel must agree. It also sorts random overlay levels (1-200 float64 areas with many ties) with
numpy's quicksort the way pandas sort_values(ascending=False) does (reverse, argsort, reverse)
and with plain np.argsort(kind='quicksort'), and compares with src/geometry/tie-order.ts.
Exit status 0 only when nothing differs.
"""
import argparse
import json
import math
import os
import random
import subprocess
import sys

import numpy as np
import PIL
from PIL import Image, ImageDraw

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def rotated_rectangle(rng):
    """Corners as HistomicsTK get_rotated_rectangular_coords computes them (int() of each)."""
    cx, cy = rng.uniform(20, 60), rng.uniform(20, 60)
    w, h = rng.uniform(2, 60), rng.uniform(2, 60)
    theta = rng.uniform(-math.pi, math.pi)
    hw, hh = int(w / 2), int(h / 2)
    out = []
    for px, py in [(cx - hw, cy - hh), (cx + hw, cy - hh), (cx + hw, cy + hh), (cx - hw, cy + hh)]:
        dx, dy = px - cx, py - cy
        out.append((int(dx * math.cos(theta) - dy * math.sin(theta) + cx),
                    int(dx * math.sin(theta) + dy * math.cos(theta) + cy)))
    return out


def random_polygon(rng, kind):
    n = rng.randint(2, 12)
    span = rng.choice([4, 8, 16, 40, 90])
    if kind == 'int':
        return [(rng.randint(0, span), rng.randint(0, span)) for _ in range(n)]
    if kind == 'float':
        return [(rng.uniform(0, span), rng.uniform(0, span)) for _ in range(n)]
    if kind == 'half':
        return [(rng.randint(0, 2 * span) / 2, rng.randint(0, 2 * span) / 2) for _ in range(n)]
    if kind == 'sliver':
        y = rng.uniform(0, span)
        pts = [(rng.uniform(0, span), y + rng.uniform(0, rng.choice([0.3, 0.9, 1.5]))) for _ in range(max(n, 3))]
        return pts if rng.random() < 0.5 else [(b, a) for a, b in pts]
    if kind == 'collinear':
        x0, y0 = rng.randint(0, span), rng.randint(0, span)
        dx, dy = rng.randint(-3, 3), rng.randint(-3, 3)
        ts = [rng.randint(0, 10) for _ in range(max(n, 3))]
        scale = rng.choice([1, 1, 0.5, 1.3])
        return [((x0 + t * dx) * scale, (y0 + t * dy) * scale) for t in ts]
    if kind == 'star':
        cx, cy, m = span / 2, span / 2, rng.randint(5, 40)
        pts = []
        for k in range(m):
            a = 2 * math.pi * k / m
            r = span / 2 * rng.uniform(0.2, 1.0)
            pts.append((cx + r * math.cos(a), cy + r * math.sin(a)))
        return pts
    if kind == 'rotrect':
        return rotated_rectangle(rng)
    if kind == 'outside':
        return [(rng.uniform(-span, 2 * span), rng.uniform(-span, 2 * span)) for _ in range(n)]
    raise ValueError(kind)


KINDS = ['int', 'float', 'half', 'sliver', 'collinear', 'star', 'rotrect', 'outside']


def make_case(rng, kind):
    pts = random_polygon(rng, kind)
    if kind != 'outside' and rng.random() < 0.6:
        # HistomicsTK create_mask_from_coords: canvas int(max - min), vertices shifted by the min.
        xs, ys = [p[0] for p in pts], [p[1] for p in pts]
        mx, my = min(xs), min(ys)
        w, h = int(max(xs) - mx), int(max(ys) - my)
        pts = [(x - mx, y - my) for x, y in pts]
    else:
        w, h = rng.randint(1, 100), rng.randint(1, 100)
    return {'w': w, 'h': h, 'pts': [[float(x), float(y)] for x, y in pts], 'kind': kind}


def pillow_masks(case):
    pts = [tuple(p) for p in case['pts']]
    size = (case['w'], case['h'])
    fill = Image.new('L', size, 0)
    ImageDraw.Draw(fill).polygon(pts, fill=1)
    drawn = fill.copy()
    ImageDraw.Draw(drawn).polygon(pts, outline=1)
    return np.asarray(fill).tobytes().hex(), np.asarray(drawn).tobytes().hex()


def pandas_descending(keys):
    """pandas nargsort(ascending=False) without NaNs: reverse, numpy quicksort argsort, reverse."""
    arr = np.asarray(keys, dtype=np.float64)
    idx = np.arange(len(arr))[::-1]
    return idx[arr[::-1].argsort(kind='quicksort')][::-1].tolist()


def random_level(rng):
    n = rng.randint(1, 200)
    distinct = rng.choice([1, 2, 3, 5, 10, 50, 1000])
    values = [float(rng.randint(0, distinct) * rng.choice([1, 7, 1000])) for _ in range(distinct + 1)]
    return [rng.choice(values) for _ in range(n)]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--polygons', type=int, default=12000)
    ap.add_argument('--levels', type=int, default=3000)
    ap.add_argument('--seed', type=int, default=20261202)
    args = ap.parse_args()
    rng = random.Random(args.seed)
    cases = [make_case(rng, KINDS[i % len(KINDS)]) for i in range(args.polygons)]
    levels = [random_level(rng) for _ in range(args.levels)]
    payload = json.dumps({'polygons': [{k: c[k] for k in ('w', 'h', 'pts')} for c in cases], 'levels': levels})
    proc = subprocess.run(['node', '--import', 'tsx', 'scripts/crosscheck-driver.ts'], input=payload.encode(),
                          cwd=REPO, capture_output=True, check=True)
    got = json.loads(proc.stdout)

    print(f'Pillow {PIL.__version__}, numpy {np.__version__}, seed {args.seed}')
    failures = 0
    per_kind = {}
    px_fill = px_drawn = 0
    for case, ts in zip(cases, got['polygons']):
        fill, drawn = pillow_masks(case)
        stats = per_kind.setdefault(case['kind'], [0, 0, 0])
        stats[0] += 1
        bad_fill = sum(a != b for a, b in zip(bytes.fromhex(fill), bytes.fromhex(ts['fill'])))
        bad_drawn = sum(a != b for a, b in zip(bytes.fromhex(drawn), bytes.fromhex(ts['drawn'])))
        bad_fill += abs(len(fill) - len(ts['fill'])) // 2
        bad_drawn += abs(len(drawn) - len(ts['drawn'])) // 2
        px_fill += bad_fill
        px_drawn += bad_drawn
        if bad_fill or bad_drawn:
            stats[1] += 1
            failures += 1
            if failures <= 10:
                print(f'  DIFF {case["kind"]} {case["w"]}x{case["h"]} fill {bad_fill} px, drawn {bad_drawn} px: {case["pts"]}')
        stats[2] += bytes.fromhex(drawn).count(1)
    for kind in KINDS:
        n, bad, set_px = per_kind.get(kind, [0, 0, 0])
        print(f'  {kind:10s} {n:6d} polygons, {bad} differ, {set_px} pixels set (fill+outline)')
    print(f'polygons: {len(cases)}, differing polygons: {failures}, differing pixels: fill {px_fill}, fill+outline {px_drawn}')

    level_bad = 0
    ties = 0
    stable_differs = 0
    for keys, ts in zip(levels, got['levels']):
        ties += len(keys) - len(set(keys))
        want_desc = pandas_descending(keys)
        want_asc = np.asarray(keys, dtype=np.float64).argsort(kind='quicksort').tolist()
        # What "largest first, ties in input order" (a stable sort) would give instead.
        stable_differs += want_desc != sorted(range(len(keys)), key=lambda i: -keys[i])
        if want_desc != ts['desc'] or want_asc != ts['asc']:
            level_bad += 1
            if level_bad <= 5:
                print(f'  ORDER DIFF n={len(keys)}: {keys}')
    sizes = [len(k) for k in levels]
    print(f'levels: {len(levels)} (sizes {min(sizes)}-{max(sizes)}, {ties} tied keys), differing orders: {level_bad}')
    print(f'levels where a stable descending sort would give another order: {stable_differs}')
    return 0 if failures == 0 and level_bad == 0 else 1


if __name__ == '__main__':
    sys.exit(main())

#!/usr/bin/env python3
"""Dev cross-check of bcss's Pillow-exact polygon drawing and HistomicsTK tie order.

Not part of the package or of `npm test`; it needs Debian's python3-pil and python3-numpy:

    apt-get install python3-pil python3-numpy
    /usr/bin/python3 scripts/crosscheck-rasteriser.py [--polygons N] [--levels N] [--scenes N] \
        [--set-orders N] [--seed S] \
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
Finally it builds random ROI scenes (rotated or axis-aligned ROI, up to 40 tissue polygons of
several classes and overlay levels, many of equal bbox area) and compares rasteriseRoi, in both
outline modes, with a Python re-statement of HistomicsTK get_roi_mask (bbox IoU, levels, pandas
tie order, create_mask_from_coords with Pillow, bottom-right padding, ROI snapshot, crop). Every
element there touches the ROI, so shapely's 2-px distance test (shapely is not used) never
decides anything. It also compares HistomicsTK's element list, [roi] + list(set(list(set(hits) -
{roi})) - set(rois)), built with this CPython's sets, with src/geometry/python-set-order.ts.
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


GT = [  # group, overlay_order, GT_code, is_roi, is_background_class (HistomicsTK GTCodes order)
    ('roi', 0, 254, True, False),
    ('mostly_tumor', 1, 1, False, False),
    ('mostly_stroma', 2, 2, False, True),
    ('mostly_lymphocytic_infiltrate', 1, 3, False, False),
    ('necrosis_or_debris', 1, 4, False, False),
    ('exclude', 3, 7, False, False),
]


def htk_element_mask(pts, outline):
    """create_mask_from_coords: canvas int(max - min), vertices shifted by the min; Pillow 9.4
    with fill then (for 'drawn') the outline, as HistomicsTK patched to draw both."""
    arr = np.array(pts, dtype=float)
    mn, mx = arr.min(axis=0), arr.max(axis=0)
    w, h = int(mx[0] - mn[0]), int(mx[1] - mn[1])
    xy = tuple(map(tuple, arr - mn))
    img = Image.new('L', (w, h), 0)
    ImageDraw.Draw(img).polygon(xy, fill=1)
    if outline == 'drawn':
        ImageDraw.Draw(img).polygon(xy, outline=1)
    return np.array(img, dtype='int32')


def htk_roi_mask(elements, outline):
    """get_roi_mask(crop_to_roi=True) for the first ROI element, without shapely."""
    gt = {g: dict(order=o, code=c, roi=r, bg=b) for g, o, c, r, b in GT}
    infos = []
    for idx, (group, pts) in enumerate(elements):
        arr = np.array(pts, dtype=float)
        xmin, ymin = (int(v) for v in arr.min(axis=0))
        xmax, ymax = (int(v) for v in arr.max(axis=0))
        infos.append(dict(group=group, pts=pts, xmin=xmin, ymin=ymin, xmax=xmax, ymax=ymax,
                          area=float(int((ymax - ymin) * (xmax - xmin)))))
    roi = next(k for k, i in enumerate(infos) if gt[i['group']]['roi'])

    def iou(a, b):
        iw = max(min(a['xmax'], b['xmax']) - max(a['xmin'], b['xmin']) + 1, 0)
        ih = max(min(a['ymax'], b['ymax']) - max(a['ymin'], b['ymin']) + 1, 0)
        inter = iw * ih
        area = lambda e: (e['xmax'] - e['xmin'] + 1) * (e['ymax'] - e['ymin'] + 1)
        return inter / (area(a) + area(b) - inter)

    overlaps = list(set([k for k, i in enumerate(infos) if iou(infos[roi], i) > 0]) - {roi})
    overlaps = list(set(overlaps) - set([k for k, i in enumerate(infos) if gt[i['group']]['roi']]))
    sel = [roi] + overlaps
    X0, Y0 = min(infos[k]['xmin'] for k in sel), min(infos[k]['ymin'] for k in sel)
    X1, Y1 = max(infos[k]['xmax'] for k in sel), max(infos[k]['ymax'] for k in sel)
    canvas = np.zeros((Y1 - Y0, X1 - X0), dtype=np.uint8)
    roi_group = infos[roi]['group']
    gt[roi_group]['order'] = min(v['order'] for v in gt.values()) - 1
    gt[roi_group]['code'] = next(v['code'] for g, v in gt.items() if v['bg'])
    snapshot = None
    for level in sorted(set(v['order'] for v in gt.values())):
        rel = []
        for group in [g for g, *_ in GT if gt[g]['order'] == level]:
            rel.extend(k for k in sel if infos[k]['group'] == group)
        for o in pandas_descending([infos[k]['area'] for k in rel]):
            e = infos[rel[o]]
            m = htk_element_mask(e['pts'], outline)
            patch = canvas[e['ymin'] - Y0:e['ymax'] - Y0, e['xmin'] - X0:e['xmax'] - X0]
            if m.shape != patch.shape:
                try:
                    m = np.pad(m, ((patch.shape[0] - m.shape[0], 0), (patch.shape[1] - m.shape[1], 0)), mode='constant')
                except ValueError:
                    continue
            patch[m > 0] = gt[e['group']]['code']
        if level == gt[roi_group]['order']:
            snapshot = canvas.copy()
    canvas[snapshot == 0] = 0
    ys, xs = np.nonzero(canvas)
    y0, y1, x0, x1 = ys.min(), ys.max(), xs.min(), xs.max()
    return canvas[y0:y1, x0:x1], int(x0 + X0), int(y0 + Y0)


def random_scene(rng):
    cx, cy = rng.uniform(60, 140), rng.uniform(60, 140)
    if rng.random() < 0.5:
        roi = rotated_rectangle_at(rng, cx, cy)
    else:
        w, h = rng.randint(20, 90), rng.randint(20, 90)
        x0, y0 = rng.choice([int(cx), cx]), rng.choice([int(cy), cy])
        roi = [(x0, y0), (x0 + w, y0), (x0 + w, y0 + h), (x0, y0 + h)]
    xs, ys = [p[0] for p in roi], [p[1] for p in roi]
    elements = [('roi', roi)]
    same = (rng.randint(3, 12), rng.randint(3, 12))
    for _ in range(rng.randint(1, 40)):
        group = rng.choice([g for g, *_ in GT if g != 'roi'])
        # A point of the ROI's inner half, so that the element touches the ROI polygon.
        px = (min(xs) + max(xs)) / 2 + rng.uniform(-0.25, 0.25) * (max(xs) - min(xs))
        py = (min(ys) + max(ys)) / 2 + rng.uniform(-0.25, 0.25) * (max(ys) - min(ys))
        if rng.random() < 0.5:  # many equal bbox areas: the tie order matters
            w, h = same
            x0, y0 = int(px) - w // 2, int(py) - h // 2
            pts = [(x0, y0), (x0 + w, y0), (x0 + w, y0 + h), (x0, y0 + h)]
        else:
            m, r = rng.randint(3, 14), rng.uniform(2, 30)
            pts = [(px + r * rng.uniform(0.3, 1) * math.cos(2 * math.pi * k / m),
                    py + r * rng.uniform(0.3, 1) * math.sin(2 * math.pi * k / m)) for k in range(m)]
            if rng.random() < 0.5:
                pts = [(round(x), round(y)) for x, y in pts]
        elements.append((group, pts))
    return elements


def rotated_rectangle_at(rng, cx, cy):
    w, h = rng.uniform(20, 90), rng.uniform(20, 90)
    theta = rng.uniform(-math.pi, math.pi)
    hw, hh = int(w / 2), int(h / 2)
    out = []
    for px, py in [(cx - hw, cy - hh), (cx + hw, cy - hh), (cx + hw, cy + hh), (cx - hw, cy + hh)]:
        dx, dy = px - cx, py - cy
        out.append((int(dx * math.cos(theta) - dy * math.sin(theta) + cx),
                    int(dx * math.sin(theta) + dy * math.cos(theta) + cy)))
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--polygons', type=int, default=12000)
    ap.add_argument('--levels', type=int, default=3000)
    ap.add_argument('--scenes', type=int, default=400)
    ap.add_argument('--set-orders', type=int, default=3000)
    ap.add_argument('--seed', type=int, default=20261202)
    args = ap.parse_args()
    rng = random.Random(args.seed)
    cases = [make_case(rng, KINDS[i % len(KINDS)]) for i in range(args.polygons)]
    levels = [random_level(rng) for _ in range(args.levels)]
    scenes = [(random_scene(rng), 'drawn' if i % 2 == 0 else 'skipped') for i in range(args.scenes)]
    set_cases = []
    for _ in range(args.set_orders):
        total = rng.choice([5, 20, 60, 200, 1000, 5000])
        hits = sorted(rng.sample(range(total), rng.randint(1, min(total, rng.choice([3, 10, 40, 150, 600])))))
        roi = rng.choice(hits)
        rois = sorted(set([roi] + rng.sample(range(total), rng.randint(0, min(total, 20)))))
        set_cases.append({'roi': roi, 'hits': hits, 'rois': rois})
    gt_codes = [dict(group=g, overlayOrder=o, code=c, isRoi=r, isBackground=b) for g, o, c, r, b in GT]
    payload = json.dumps({'polygons': [{k: c[k] for k in ('w', 'h', 'pts')} for c in cases], 'levels': levels,
                          'gtCodes': gt_codes,
                          'scenes': [{'outline': o, 'elements': [{'group': g, 'points': [[float(x), float(y)] for x, y in p]}
                                                                 for g, p in els]} for els, o in scenes],
                          'setOrders': set_cases})
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

    scene_bad = scene_px = scene_pixels = big_levels = 0
    for (els, outline), ts in zip(scenes, got['scenes']):
        want, x0, y0 = htk_roi_mask(els, outline)
        big_levels += sum(1 for lvl in (1, 2, 3) if sum(1 for g, _ in els if dict((r[0], r[1]) for r in GT)[g] == lvl) > 16)
        scene_pixels += want.size
        if 'error' in ts:
            bad = want.size
        elif (ts['width'], ts['height'], ts['xmin'], ts['ymin']) != (want.shape[1], want.shape[0], x0, y0):
            bad = want.size
        else:
            bad = int((np.frombuffer(bytes.fromhex(ts['data']), dtype=np.uint8).reshape(want.shape) != want).sum())
        scene_px += bad
        if bad:
            scene_bad += 1
            if scene_bad <= 5:
                print(f'  SCENE DIFF ({outline}) {bad} px: {ts.get("error", "")} {els}')
    print(f'ROI scenes: {len(scenes)} (half drawn, half skipped; {scene_pixels} mask pixels; {big_levels} levels with > 16 elements), '
          f'differing scenes: {scene_bad}, differing pixels: {scene_px}')

    # HistomicsTK: overlaps = list(set(hits) - {roi}); then list(set(overlaps) - set(rois)).
    set_bad = 0
    for case, ts in zip(set_cases, got['setOrders']):
        overlaps = list(set(case['hits']) - {case['roi']})
        want = [case['roi']] + list(set(overlaps) - set(case['rois']))
        if want != ts:
            set_bad += 1
            if set_bad <= 3:
                print(f'  SET ORDER DIFF {case}: want {want} got {ts}')
    ascending = sum(1 for c in set_cases
                    if (lambda o: o == sorted(o))(list(set(list(set(c['hits']) - {c['roi']})) - set(c['rois']))))
    print(f'element orders (CPython {sys.version.split()[0]} sets): {len(set_cases)} cases, differing: {set_bad}; '
          f'ascending (what input order assumes): {ascending}')
    return 0 if failures == 0 and level_bad == 0 and scene_bad == 0 and set_bad == 0 else 1


if __name__ == '__main__':
    sys.exit(main())

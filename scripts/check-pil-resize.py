#!/usr/bin/python3
"""Dev cross-check: how far the demo DSA's (and `bcss extract`'s) resampling is from large_image's.

large_image's getRegion assembles the region from the chosen level and, when the output size
differs, resizes it with Pillow: BICUBIC when the output is wider than the region, else LANCZOS
(Image.resize with no reducing_gap). bcss reproduces that resize in src/slides/pil-resample.ts
(it used libvips' resize until then). This script feeds the very stored-level
pixels the demo DSA reads for every ROI (scripts/export-region-reads.ts) to Pillow with
large_image's rule and compares Pillow's result with the DSA's answer, over the colour samples.

Not part of `npm test` (needs Debian's python3-pil and python3-numpy).
Usage: /usr/bin/python3 scripts/check-pil-resize.py [--scale 0.05] [--slides A1-A0SK,...]
The last committed output is scripts/check-pil-resize.out.txt.
"""
import argparse
import json
import os
import subprocess
import tempfile

import numpy as np
import PIL
from PIL import Image

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
RES = getattr(Image, 'Resampling', Image)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--scale', default='0.05')
    ap.add_argument('--slides')
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix='bcss-pil-') as out:
        cmd = ['node', '--import', 'tsx', 'scripts/export-region-reads.ts', '--out', out, '--scale', args.scale]
        if args.slides:
            cmd += ['--slides', args.slides]
        subprocess.run(cmd, cwd=REPO, check=True)
        with open(os.path.join(out, 'manifest.json')) as f:
            manifest = json.load(f)
        stats = {}
        for entry in manifest:
            read = Image.open(os.path.join(out, entry['name'] + '-read.png')).convert('RGB')
            w, h = entry['width'], entry['height']
            kernel = RES.BICUBIC if w > read.width else RES.LANCZOS
            pil = np.asarray(read.resize((w, h), kernel), dtype=np.int16)
            dsa = np.asarray(Image.open(os.path.join(out, entry['name'] + '-dsa.png')).convert('RGB'), dtype=np.int16)
            d = np.abs(pil - dsa)
            s = stats.setdefault((entry['resolution'], 'enlarge' if w > read.width else 'shrink'), [])
            s.append((float(d.mean()), int(d.max())))
        print(f'Pillow {PIL.__version__}, demo scale {args.scale}: Pillow with large_image\'s rule vs the demo DSA\'s region')
        print('| resolution | resize | images | mean of per-image means | worst per-image mean | max sample diff |')
        print('|---|---|---|---|---|---|')
        for (res, kind), s in sorted(stats.items()):
            means = [m for m, _ in s]
            print(f'| {res} | {kind} | {len(s)} | {sum(means) / len(means):.3f} | {max(means):.3f} | {max(x for _, x in s)} |')


if __name__ == '__main__':
    main()

#!/usr/bin/python3
"""Dev script: writes test/slides/pil-resize.fixture.json, Pillow's own resize results that
test/slides/pil-resample.test.ts holds src/slides/pil-resample.ts to, sample for sample.

The input is a textured 41 x 31 RGB pattern defined by a formula (the test computes the same
one), resized with LANCZOS and BICUBIC (no reducing_gap, as large_image calls Image.resize) to
sizes that cover shrinking, enlarging, one axis of each, one axis unchanged, the ~1.008x
enlargement that --mpp 0.25 asks of a 0.252 um/px scan, and a 5x shrink.
Needs Debian's python3-pil and python3-numpy. Usage: /usr/bin/python3 scripts/make-pil-resize-fixture.py
"""
import base64
import json
import os

import numpy as np
import PIL
from PIL import Image

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
W, H = 41, 31
SIZES = [(20, 15), (62, 47), (60, 12), (13, 50), (41, 17), (29, 31), (42, 32), (8, 6)]


def pattern():
    a = np.zeros((H, W, 3), dtype=np.uint8)
    for y in range(H):
        for x in range(W):
            for c in range(3):
                a[y, x, c] = (x * 37 + y * 91 + c * 53 + ((x * y) % 17) * 13 + (x // 5) * (y // 4) * 29) & 255
    return a


def main():
    img = Image.fromarray(pattern(), 'RGB')
    res = getattr(Image, 'Resampling', Image)
    cases = []
    for kernel, flt in (('lanczos3', res.LANCZOS), ('cubic', res.BICUBIC)):
        for w, h in SIZES:
            out = np.asarray(img.resize((w, h), flt), dtype=np.uint8)
            cases.append({'kernel': kernel, 'width': w, 'height': h, 'rgb': base64.b64encode(out.tobytes()).decode()})
    doc = {'pillow': PIL.__version__, 'input': [W, H], 'cases': cases}
    with open(os.path.join(REPO, 'test', 'slides', 'pil-resize.fixture.json'), 'w') as f:
        json.dump(doc, f, indent=1)
        f.write('\n')


if __name__ == '__main__':
    main()

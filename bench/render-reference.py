#!/usr/bin/python3
"""S6 reference renderer (dev only, not part of `npm test`): OpenSlide + Pillow doing, for each
ROI, the region read and resize large_image's `tiles/region` does, and saving a lossless PNG.

bench/lib/scenario-s6.ts plans every ROI with bcss's own geometry (the stored level large_image
reads and the rectangle in that level's pixels, the output size) and writes a manifest; this
script only executes the plan, so both sides do the same reads and produce the same sizes:

  - OpenSlide `read_region` of the planned rectangle at the planned level (RGBA);
  - when the output size differs from the read size: Pillow `resize` to the planned size
    (LANCZOS when the width shrinks, BICUBIC when it grows, as large_image picks), kept RGBA as
    large_image answers a resampled region; otherwise converted to RGB;
  - `save(..., 'PNG', compress_level=2)` (large_image's PNG encoder setting).

Usage: /usr/bin/python3 bench/render-reference.py --manifest M.json --out DIR [--workers N]
Prints one JSON line: images, output megapixels, seconds (time of the work, after the imports).
Needs Debian's python3-openslide and python3-pil; exits 3 with a message when they are missing.
"""
import argparse
import json
import os
import sys
import time

try:
    import openslide
    from PIL import Image
except ImportError as err:  # the bench reports the column as skipped
    sys.stderr.write('reference unavailable: %s\n' % err)
    sys.exit(3)

_open = {}


def slide_for(path):
    """One open slide per worker (the jobs come grouped by slide)."""
    if path not in _open:
        for s in _open.values():
            s.close()
        _open.clear()
        _open[path] = openslide.OpenSlide(path)
    return _open[path]


def render(job):
    slide = slide_for(job['slide'])
    level = job['level']
    if list(slide.level_dimensions[level]) != job['levelSize']:
        raise RuntimeError('%s: OpenSlide level %d is %r, the plan expects %r' % (job['slide'], level, slide.level_dimensions[level], job['levelSize']))
    ds = slide.level_downsamples[level]
    # read_region takes level-0 coordinates; the level's own origin maps back exactly.
    location = (int(round(job['left'] * ds)), int(round(job['top'] * ds)))
    img = slide.read_region(location, level, (job['width'], job['height']))
    out = (job['outWidth'], job['outHeight'])
    if out != img.size:
        kernel = Image.LANCZOS if out[0] <= img.size[0] else Image.BICUBIC
        img = img.resize(out, kernel)
    else:
        img = img.convert('RGB')
    path = os.path.join(job['outDir'], job['name'])
    img.save(path, 'PNG', compress_level=2)
    return out[0] * out[1]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--manifest', required=True)
    ap.add_argument('--out', required=True)
    ap.add_argument('--workers', type=int, default=1)
    args = ap.parse_args()
    with open(args.manifest) as f:
        jobs = json.load(f)['jobs']
    for j in jobs:
        j['outDir'] = args.out
    os.makedirs(args.out, exist_ok=True)
    t0 = time.perf_counter()
    if args.workers <= 1:
        pixels = sum(render(j) for j in jobs)
    else:
        import multiprocessing
        # Contiguous chunks keep each worker on few slides (one open slide per worker).
        chunk = max(1, len(jobs) // (args.workers * 4))
        with multiprocessing.Pool(args.workers) as pool:
            pixels = sum(pool.imap(render, jobs, chunksize=chunk))
    seconds = time.perf_counter() - t0
    print(json.dumps({'images': len(jobs), 'megapixels': pixels / 1e6, 'seconds': seconds, 'workers': args.workers,
                      'openslide': openslide.__library_version__, 'pillow': Image.__version__}))


if __name__ == '__main__':
    main()

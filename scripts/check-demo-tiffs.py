#!/usr/bin/python3
"""Dev cross-check: OpenSlide reads the demo's slide files as the Aperio slides they claim to be.

Not part of `npm test` (it needs Debian's python3-openslide and python3-numpy:
`apt-get install python3-openslide python3-numpy`). It runs scripts/export-demo-tiffs.ts, which
makes the demo slide files and records what our own reader (src/slides) sees in them, then opens
every file with OpenSlide and compares:

  - vendor (aperio), level count, level dimensions and downsamples;
  - openslide.mpp-x / mpp-y and openslide.objective-power against our MPP and AppMag;
  - the thumbnail associated image;
  - one region per level: OpenSlide's read_region pixels against our reader's (both decode the
    same JPEG tiles through libjpeg, so they should agree to within IDCT rounding).

Usage: /usr/bin/python3 scripts/check-demo-tiffs.py [--scale 0.05] [--slides A1-A0SK,...] [--keep DIR]
Exit status 0 when every slide agrees, 1 otherwise. The last committed output is
scripts/check-demo-tiffs.out.txt.
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile

import numpy as np
import openslide

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# Largest per-sample difference allowed between the two decoders of the same JPEG tiles.
MAX_PIXEL_DIFF = 2


def export(out, scale, slides):
    cmd = ['node', '--import', 'tsx', 'scripts/export-demo-tiffs.ts', '--out', out, '--scale', str(scale)]
    if slides:
        cmd += ['--slides', slides]
    subprocess.run(cmd, cwd=REPO, check=True)
    with open(os.path.join(out, 'manifest.json')) as f:
        return json.load(f)


def check_slide(out, s):
    """Return (problems, worst region difference) for one slide of the manifest."""
    problems = []
    path = os.path.join(out, s['file'])
    if openslide.OpenSlide.detect_format(path) != 'aperio':
        problems.append('detect_format is %r, not aperio' % openslide.OpenSlide.detect_format(path))
    slide = openslide.OpenSlide(path)
    try:
        props = slide.properties
        ours = [(lv['width'], lv['height']) for lv in s['levels']]
        if list(slide.level_dimensions) != ours:
            problems.append('levels %s vs ours %s' % (list(slide.level_dimensions), ours))
        base = s['levels'][0]
        for mine, theirs in zip(s['levels'], slide.level_downsamples):
            # OpenSlide averages the width and height ratios; ours is the width ratio (what
            # large_image's level math uses). Both must come from the same level sizes.
            expected = (base['width'] / mine['width'] + base['height'] / mine['height']) / 2
            if abs(expected - theirs) > 1e-9 * theirs or abs(mine['downsample'] - base['width'] / mine['width']) > 1e-9:
                problems.append('downsample %s (ours %s) from sizes %sx%s' % (theirs, mine['downsample'], mine['width'], mine['height']))
        for key in ('openslide.mpp-x', 'openslide.mpp-y'):
            if abs(float(props.get(key, 'nan')) - s['mpp']) > 1e-9:
                problems.append('%s = %s vs our MPP %s' % (key, props.get(key), s['mpp']))
        if float(props.get('openslide.objective-power', 'nan')) != s['appMag']:
            problems.append('objective-power %s vs our AppMag %s' % (props.get('openslide.objective-power'), s['appMag']))
        if 'thumbnail' not in slide.associated_images:
            problems.append('no thumbnail associated image')
        worst = (0, 0.0)
        for r in s['regions']:
            level, ds = r['level'], slide.level_downsamples[r['level']]
            # read_region takes the top-left in level-0 coordinates and the size in level pixels.
            loc = (int(round(r['left'] * ds)), int(round(r['top'] * ds)))
            theirs = np.asarray(slide.read_region(loc, level, (r['width'], r['height'])).convert('RGB'), dtype=np.int16)
            with open(os.path.join(out, r['raw']), 'rb') as f:
                mine = np.frombuffer(f.read(), dtype=np.uint8).reshape(r['height'], r['width'], 3).astype(np.int16)
            diff = np.abs(theirs - mine)
            worst = max(worst, (int(diff.max()), float(diff.mean())))
            if diff.max() > MAX_PIXEL_DIFF:
                problems.append('level %d region: max difference %d' % (level, diff.max()))
        return problems, worst, slide.level_count
    finally:
        slide.close()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--scale', type=float, default=0.05)
    ap.add_argument('--slides', default='')
    ap.add_argument('--keep', help='export into this folder and keep it')
    args = ap.parse_args()
    out = args.keep or tempfile.mkdtemp(prefix='bcss-check-tiffs-')
    try:
        manifest = export(out, args.scale, args.slides)
        print('OpenSlide %s (python %s), numpy %s; demo scale %s, %d slides'
              % (openslide.__library_version__, openslide.__version__, np.__version__, manifest['scale'], len(manifest['slides'])))
        failed = 0
        levels_seen = {}
        worst_all = (0, 0.0)
        for s in manifest['slides']:
            problems, worst, count = check_slide(out, s)
            levels_seen[count] = levels_seen.get(count, 0) + 1
            worst_all = max(worst_all, worst)
            if problems:
                failed += 1
                print('FAIL %s: %s' % (s['file'], '; '.join(problems)))
        print('slides by level count: %s' % ', '.join('%d level(s): %d' % kv for kv in sorted(levels_seen.items())))
        print('worst region difference OpenSlide vs src/slides: max %d, mean %.4f' % worst_all)
        print('%d of %d slides agree (vendor aperio, levels, downsamples, MPP, AppMag, thumbnail, pixels)'
              % (len(manifest['slides']) - failed, len(manifest['slides'])))
        return 1 if failed else 0
    finally:
        if not args.keep:
            shutil.rmtree(out, ignore_errors=True)


if __name__ == '__main__':
    sys.exit(main())

import { readFile } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import type { Command } from 'commander';
import { UsageError } from '../../errors.js';
import type { RoiRecord } from '../../catalog/types.js';
import type { ExtractSummary } from '../../pipeline/run-extract.js';
import type { CliContext } from '../context.js';
import { EXIT } from '../exit-codes.js';
import { formatSeconds } from '../progress/format.js';
import { filterRois, parseSlideList } from '../options/slide-filter.js';
import { resolutionOf } from './rasterize.js';

const HELP_AFTER = `
Offline, no network at all: renders every ROI image from its whole-slide image in --wsi-dir
(files named as GDC and the DSA name them, TCGA-A1-A0SK-01Z-00-DX1.<uuid>.svs, e.g. fetched by
OUT/wsis/download_wsis_gdc.sh) with large_image's size math and level choice. The images get the
names and pixel sizes \`bcss download --components images\` gives, as lossless PNG (RGBA when
resampled, RGB at --base, as the DSA answers), written atomically and recorded in
OUT/bcss.lock.json with source wsi:<file>, so \`bcss verify\` checks them and a rerun skips them.
Pixels are the ones a DSA rendering the same slide file gives: large_image reads the same level and
resizes with Pillow, which bcss reproduces sample for sample (docs/local-render.md).

Examples:
  bcss extract --wsi-dir /data/wsis --out BCSS                 all 151 ROIs at 0.25 um/px
  bcss extract --wsi-dir BCSS/wsis --out BCSS --mag 20 --slides A1-A0SK,A2-A04P
  bcss extract --wsi-dir wsis --out BCSS --base --json

Exit codes: 0 ok, 1 some ROIs failed (slide file missing or unreadable; the others are written),
2 usage, 6 disk, 7 output folder busy.
`;

interface ExtractFlags {
  wsiDir?: string;
  out?: string;
  mpp?: string;
  mag?: string;
  base?: boolean;
  slides?: string;
  rois?: string;
  json?: boolean;
}

async function readText(path: string, what: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (err) {
    throw new UsageError(`cannot read ${what} ${path}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
  }
}

async function roisOf(flags: ExtractFlags, cwd: string): Promise<RoiRecord[]> {
  const catalog = await import('../../catalog/index.js');
  let rois = catalog.builtinRois();
  if (flags.rois !== undefined) {
    const path = resolve(cwd, flags.rois);
    const text = await readText(path, 'the ROI table');
    try {
      rois = catalog.parseRoiTable(text, path);
    } catch (err) {
      throw new UsageError((err as Error).message, { hint: '--rois takes a CSV in roiBounds.csv format (,xmin,ymin,xmax,ymax,mask_link).' });
    }
  }
  if (flags.slides !== undefined) {
    const text = flags.slides.startsWith('@') ? await readText(resolve(cwd, flags.slides.slice(1)), 'the slide list') : flags.slides;
    const refs = parseSlideList(text);
    if (refs.length === 0) throw new UsageError('--slides names no slides');
    rois = filterRois(rois, refs, '--slides');
  }
  return rois;
}

export function registerExtract(program: Command, ctx: CliContext, setResult: (r: { exitCode: number }) => void): void {
  program
    .command('extract')
    .description('render the ROI images offline from local whole-slide images (same names, sizes and lock as download)')
    .requiredOption('--wsi-dir <dir>', 'folder with the slide files (.svs) as GDC names them')
    .option('-o, --out <dir>', 'dataset folder (default ./BCSS or BCSS_OUT); images go to OUT/images')
    .option('--mpp <um>', 'resolution in micrometres per pixel (default 0.25)')
    .option('--mag <power>', 'resolution as objective magnification, e.g. 20')
    .option('--base', 'scan (base) resolution')
    .option('--slides <list>', 'only these slides: A1-A0SK,TCGA-A2-A04P,... or @file')
    .option('--rois <file>', 'ROI table in roiBounds.csv format (default: the built-in 151 ROIs)')
    .option('--json', 'print one JSON summary object on stdout')
    .addHelpText('after', HELP_AFTER)
    .action(async (flags: ExtractFlags) => {
      const outDir = resolve(ctx.cwd, flags.out ?? (ctx.env.BCSS_OUT || 'BCSS'));
      const resolution = resolutionOf(flags);
      const rois = await roisOf(flags, ctx.cwd);
      const { runExtract } = await import('../../pipeline/run-extract.js');
      const quiet = flags.json === true;
      const summary = await runExtract({
        outDir,
        wsiDir: resolve(ctx.cwd, flags.wsiDir ?? ''),
        rois,
        resolution,
        signal: ctx.signal,
        // Plain progress lines on stderr (stdout stays for the summary / the JSON object).
        onImage: (image) => {
          if (!quiet) ctx.stderr.write(`ok     ${basename(image.path)} ${image.width}x${image.height}${image.status === 'skipped' ? ' (unchanged)' : ''}\n`);
        },
        onFailure: (failure) => {
          if (!quiet) ctx.stderr.write(`FAILED ${failure.roi}: ${failure.reason}\n`);
        },
      });
      if (quiet) ctx.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
      else ctx.stdout.write(humanSummary(summary, join(outDir, 'images')));
      setResult({ exitCode: summary.failures.length > 0 ? EXIT.partial : EXIT.ok });
    });
}

function humanSummary(s: ExtractSummary, imagesDir: string): string {
  const done = s.images.filter((m) => m.status === 'done').length;
  const lines = [`extracted ${done} image(s) into ${imagesDir}, ${s.images.length - done} unchanged, in ${formatSeconds(s.seconds)}`];
  for (const f of s.failures) lines.push(`  FAILED ${f.roi}: ${f.reason}`);
  if (s.failures.length > 0) lines.push(`${s.failures.length} ROI(s) failed; the others were written. Put the missing slide files in --wsi-dir and run again.`);
  return `${lines.join('\n')}\n`;
}

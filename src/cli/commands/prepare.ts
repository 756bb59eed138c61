import { resolve } from 'node:path';
import type { Command } from 'commander';
import { builtinClasses } from '../../catalog/classes.js';
import type { PrepareEvent, PrepareHooks, PrepareStatsResult } from '../../prepare/types.js';
import type { CliContext } from '../context.js';
import { EXIT } from '../exit-codes.js';
import { INTERRUPTED_LINE } from '../safe-output.js';
import { FLAG_NUMBERS, flagNumber, rangeText } from '../options/numeric-settings.js';

type SetResult = (r: { exitCode: number }) => void;

interface CommonFlags {
  out?: string;
  json?: boolean;
  quiet?: boolean;
}

const HELP_AFTER = `
Reads the folder \`bcss download\` wrote (images/, masks/, bcss.lock.json) and writes below it.
Nothing is fetched; images/ and masks/ are never modified. Images and masks are paired by the
ROI name in the file name, never by listing order; every ROI the lock lists (or, without a lock,
every ROI found) must have exactly one image and one mask of the same size, or nothing is
written and the exit code is 4. Reruns do no work for outputs that are up to date.

Tasks:
  splits    OUT/splits/<split>/{train,val,test}.txt (eva has val, baseline does not);
            --layout folders: OUT/prepared/<split>/<part>/{images,masks}/ (hard links);
            --layout eva: OUT/prepared/eva-root/{rgbs_colorNormalized,masks}/ for kaiko-ai/eva
  tiles     OUT/tiles/<size>/{images,masks}/<ROI>_x<X>_y<Y>.png, index.csv, classes.json
  gallery   OUT/gallery/index.html with image, mask and overlay thumbnails (works offline)
  stats     OUT/meta/class_stats.csv: pixels per class per ROI and totals (code 0 left out)

Tiles are whole (edge strips narrower than --size are left out) and RGB. What each output was
made from is remembered in OUT/.bcss-prepare/, so a rerun only redoes ROIs whose files or
options changed, and files that come out identical keep their mtimes.

Examples:
  bcss prepare splits --split eva --layout folders
  bcss prepare tiles --size 512 --min-roi-fraction 0.5 --groups baseline --exclude ignore
  bcss prepare gallery && open BCSS/gallery/index.html
  bcss prepare stats --json | jq .totals

Mask value 0 means "outside the ROI / don't care": it is not a class.
`;

const SPLITS_HELP = `
Writes OUT/splits/<split>/{train,val,test}.txt (one ROI name per line; baseline has no val).
--layout folders adds OUT/prepared/<split>/<part>/{images,masks}/, --layout eva adds
OUT/prepared/eva-root/{rgbs_colorNormalized,masks}/ for kaiko-ai/eva (links, not copies).

Examples:
  bcss prepare splits                                    baseline split lists in BCSS/splits/baseline/
  bcss prepare splits --split eva --layout eva --out BCSS    the folder layout kaiko-ai/eva reads
  bcss prepare splits --layout folders --link copy       train/test folders with real copies
`;

const TILES_HELP = `
Writes OUT/tiles/<size>/{images,masks}/<ROI>_x<X>_y<Y>.png (RGB images, grey masks), index.csv
(one row per tile: ROI, position, splits, ROI fraction, pixels per label) and classes.json.
Only whole tiles are cut, so an ROI smaller than --size gives none. A run that makes no tile
at all says why (every ROI smaller than --size at this resolution, or too little ROI per tile)
and exits 2; change --size or --min-roi-fraction.

Examples:
  bcss prepare tiles --size 512                          512x512 tiles, baseline 5-group labels
  bcss prepare tiles --size 256 --stride 128 --groups raw    overlapping tiles, codes 0..21 kept
  bcss prepare tiles --size 512 --min-roi-fraction 0.9 --exclude ignore
`;

const GALLERY_HELP = `
Writes OUT/gallery/index.html and its thumbnails: per ROI the image, its label mask (classes in
the legend's colours, code 0 as a grey checkerboard: outside the ROI, not a class) and an
overlay that darkens everything outside the ROI. Opens from file://, no network.

Examples:
  bcss prepare gallery                                   then open BCSS/gallery/index.html
  bcss prepare gallery --max-width 256 --out BCSS        smaller thumbnails
`;

const STATS_HELP = `
Writes OUT/meta/class_stats.csv (pixels per class per ROI) and prints the totals; code 0
(outside the ROI) is left out of every share.

Examples:
  bcss prepare stats
  bcss prepare stats --json | jq .totals
`;

function outDir(ctx: CliContext, flags: CommonFlags): string {
  return resolve(ctx.cwd, flags.out ?? (ctx.env.BCSS_OUT || 'BCSS'));
}

/** A counter line per ROI on stderr (stdout stays for the summary / JSON). */
function hooks(ctx: CliContext, flags: CommonFlags): PrepareHooks {
  const onEvent = (e: PrepareEvent): void => {
    if (e.type === 'log') ctx.stderr.write(`${e.level}: ${e.message}\n`);
    else if (flags.quiet !== true) ctx.stderr.write(`[${e.index}/${e.total}] ${e.roi}: ${e.detail}\n`);
  };
  return { onEvent, signal: ctx.signal };
}

function finish(ctx: CliContext, setResult: SetResult, flags: CommonFlags, result: { interrupted: boolean }, text: string): void {
  if (flags.json === true) ctx.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
  else if (result.interrupted) ctx.stderr.write(`${INTERRUPTED_LINE}\n`);
  else ctx.stdout.write(text);
  setResult({ exitCode: result.interrupted ? EXIT.interrupted : EXIT.ok });
}

function common(cmd: Command): Command {
  return cmd
    .option('-o, --out <dir>', 'the folder `bcss download` wrote (default ./BCSS or BCSS_OUT)')
    .option('--json', 'print one JSON result object on stdout')
    .option('-q, --quiet', 'no per-ROI progress lines on stderr');
}

export function registerPrepare(program: Command, ctx: CliContext, setResult: SetResult): void {
  const prepare = program
    .command('prepare')
    .summary('training-ready splits, tiles, a preview gallery and class statistics, offline')
    .description('turn a finished download folder into training-ready outputs, offline and idempotently')
    .addHelpText('after', HELP_AFTER);

  common(prepare.command('splits'))
    .description('split files (baseline or eva) and, optionally, folder layouts made of links')
    .addHelpText('after', SPLITS_HELP)
    .option('--split <name>', 'baseline (test sites OL, LL, E2, EW, GM, S3) or eva (adds val sites BH, C8, A8, A1, E9)', 'baseline')
    .option('--layout <name>', 'script (lists only), folders (train/val/test folders) or eva (rgbs_colorNormalized + masks)', 'script')
    .option('--link <mode>', 'hard (copy across devices), copy or symlink', 'hard')
    .action(async (flags: CommonFlags & { split: string; layout: string; link: string }) => {
      const { prepareSplits, checkChoice, SPLIT_SCHEMES, SPLIT_LAYOUTS, LINK_MODES, EVA_ROOT } = await import('../../prepare/prepare-splits.js');
      const root = outDir(ctx, flags);
      const r = await prepareSplits(
        {
          root,
          split: checkChoice(flags.split, SPLIT_SCHEMES, '--split'),
          layout: checkChoice(flags.layout, SPLIT_LAYOUTS, '--layout'),
          link: checkChoice(flags.link, LINK_MODES, '--link'),
        },
        hooks(ctx, flags),
      );
      const parts = Object.entries(r.parts).map(([p, n]) => `${p} ${n}`).join(', ');
      const lines = [`splits/${flags.split}: ${parts} ROIs (${r.rois} in all)`];
      if (flags.layout !== 'script') {
        const where = flags.layout === 'eva' ? EVA_ROOT : `prepared/${flags.split}`;
        lines.push(`${where}: ${r.placed} file(s) placed, ${r.upToDate} up to date${r.copiedInsteadOfLinked ? ' (copied where hard links were impossible)' : ''}`);
      }
      lines.push(r.written.length > 0 ? `wrote ${r.written.join(', ')}` : 'split files were already up to date');
      finish(ctx, setResult, flags, r, `${lines.join('\n')}\n`);
    });

  common(prepare.command('tiles'))
    .description('cut image/mask pairs into fixed-size tiles with an index.csv')
    .addHelpText('after', TILES_HELP)
    .option('--size <px>', `tile width and height (${rangeText(FLAG_NUMBERS.size)})`, '512')
    .option('--stride <px>', `step between tiles (default: the tile size, i.e. no overlap; ${rangeText(FLAG_NUMBERS.stride)})`)
    .option('--min-roi-fraction <f>', `skip tiles with less than this fraction of pixels inside the ROI (mask != 0; ${rangeText(FLAG_NUMBERS.minRoiFraction)})`, '0.5')
    .option('--groups <name>', 'baseline (tumor 1, stroma 2, inflammatory 3, necrosis 4, other 5, ignore 0) or raw (codes 0..21)', 'baseline')
    .option('--exclude <where>', 'baseline groups only: put class 7 "exclude" in other (default) or ignore (0)')
    .action(async (flags: CommonFlags & { size: string; stride?: string; minRoiFraction: string; groups: string; exclude?: string }) => {
      const { prepareTiles, normaliseTilesOptions } = await import('../../prepare/prepare-tiles.js');
      const options = normaliseTilesOptions({
        root: outDir(ctx, flags),
        size: flagNumber('size', flags.size) as number,
        stride: flagNumber('stride', flags.stride),
        minRoiFraction: flagNumber('minRoiFraction', flags.minRoiFraction),
        groups: flags.groups,
        exclude: flags.exclude,
      });
      const r = await prepareTiles(options, hooks(ctx, flags));
      const text =
        `tiles/${options.size}: ${r.tiles} tile(s) from ${r.rois} ROIs (${r.written} cut this run, ${r.upToDateRois} ROIs up to date, ` +
        `${r.belowMinRoiFraction} below --min-roi-fraction ${options.minRoiFraction})\nindex: ${r.indexPath}\n`;
      finish(ctx, setResult, flags, r, text);
      if (r.noTilesReason !== null && !r.interrupted) {
        // Options that cut nothing are a usage problem: the fix is another --size or --min-roi-fraction.
        ctx.stderr.write(`bcss: prepare tiles made no tiles: ${r.noTilesReason}\n`);
        setResult({ exitCode: EXIT.usage });
      }
    });

  common(prepare.command('gallery'))
    .description('an offline HTML page with image, mask and overlay thumbnails of every ROI')
    .addHelpText('after', GALLERY_HELP)
    .option('--max-width <px>', `thumbnails fit in a box this many pixels wide and high (${rangeText(FLAG_NUMBERS.maxWidth)})`, '512')
    .action(async (flags: CommonFlags & { maxWidth: string }) => {
      const { prepareGallery } = await import('../../prepare/prepare-gallery.js');
      const r = await prepareGallery({ root: outDir(ctx, flags), maxWidth: flagNumber('maxWidth', flags.maxWidth) as number }, hooks(ctx, flags));
      finish(ctx, setResult, flags, r, `gallery: ${r.rois} ROIs (${r.rendered} rendered, ${r.upToDateRois} up to date)\nopen ${r.htmlPath}\n`);
    });

  common(prepare.command('stats'))
    .description('pixels per class per ROI and in total (code 0, outside the ROI, left out)')
    .addHelpText('after', STATS_HELP)
    .action(async (flags: CommonFlags) => {
      const { prepareStats } = await import('../../prepare/prepare-stats.js');
      const r = await prepareStats({ root: outDir(ctx, flags) }, hooks(ctx, flags));
      finish(ctx, setResult, flags, r, renderStats(r));
    });
}

/** The totals table printed by `bcss prepare stats`. */
export function renderStats(r: PrepareStatsResult): string {
  const lines = [`class pixels over ${r.rois.length} ROIs (inside the ROI: ${r.totalRoiPixels} px)`, '', 'code  class                     group          pixels      share'];
  for (const c of builtinClasses()) {
    if (c.code === 0) continue;
    const n = r.totals[c.code] ?? 0;
    const share = r.totalRoiPixels === 0 ? 0 : (100 * n) / r.totalRoiPixels;
    lines.push(`${String(c.code).padStart(4)}  ${c.name.padEnd(24)}  ${c.group.padEnd(12)}  ${String(n).padStart(12)}  ${share.toFixed(2).padStart(6)}%`);
  }
  lines.push('', `per ROI: ${r.csvPath}`);
  return `${lines.join('\n')}\n`;
}

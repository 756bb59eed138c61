import { readFile } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import type { Command } from 'commander';
import { UsageError } from '../../errors.js';
import type { Resolution } from '../../geometry/types.js';
import type { RasterizeSummary } from '../../pipeline/run-rasterize.js';
import type { CliContext } from '../context.js';
import { EXIT } from '../exit-codes.js';
import { formatSeconds } from '../progress/format.js';
import { parseSlideList } from '../options/slide-filter.js';

const HELP_AFTER = `
Offline: reads DSA annotation JSON (default OUT/annotations, as \`bcss download --components
annotations\` writes it) and draws one label mask per ROI element exactly as HistomicsTK does
(Pillow 9.4 polygon rules, overlay order, ties in pandas/numpy order; docs/rasterisation.md).
Masks get the names \`bcss download\` gives them and are recorded in OUT/bcss.lock.json, so
\`bcss verify\` checks them; a rerun skips masks the lock proves unchanged.

  --outline drawn     fill + 1-px outline: what the published BCSS masks contain (default)
  --outline skipped   fill only: HistomicsTK on Pillow >= 5.3, which skips an outline of the fill's colour
  --scaling resize    draw at base, then the download's exact nearest-neighbour map to the image
                      grid (default); the grid of --mpp/--mag comes from sizes in a bcss.lock.json
  --scaling draw      multiply and truncate the vertices first, as HistomicsTK's non-base mode
                      (scale_slide_annotations); the mask may be a pixel off the image grid

Examples:
  bcss rasterize --out BCSS --base                      base-resolution masks from BCSS/annotations
  bcss rasterize --out BCSS --mpp 0.25 --outline skipped --masks-dir BCSS/masks-today
  bcss rasterize --annotations my.json --gt-codes codes.tsv --base --out mine

Exit codes: 0 ok, 1 some slides failed (no ROI element, unknown groups), 2 usage,
4 an annotation file is not valid JSON (the other files are still done), 6 disk, 7 folder busy.
`;

interface RasterizeFlags {
  annotations?: string[];
  out?: string;
  masksDir?: string;
  mpp?: string;
  mag?: string;
  base?: boolean;
  outline?: string;
  scaling?: string;
  gtCodes?: string;
  slides?: string;
  baseMpp?: string;
  json?: boolean;
}

function positive(text: string, flag: string): number {
  const n = Number(text);
  if (text.trim() === '' || !Number.isFinite(n) || n <= 0) throw new UsageError(`${flag} must be a positive number, got ${JSON.stringify(text)}`);
  return n;
}

export function resolutionOf(flags: Pick<RasterizeFlags, 'mpp' | 'mag' | 'base'>): Resolution {
  const given = [flags.mpp !== undefined, flags.mag !== undefined, flags.base === true].filter(Boolean).length;
  if (given > 1) throw new UsageError('--mpp, --mag and --base exclude each other', { hint: 'Pick one resolution.' });
  if (flags.mpp !== undefined) return { kind: 'mpp', mpp: positive(flags.mpp, '--mpp') };
  if (flags.mag !== undefined) return { kind: 'mag', magnification: positive(flags.mag, '--mag') };
  if (flags.base === true) return { kind: 'base' };
  return { kind: 'mpp', mpp: 0.25 };
}

function choice<T extends string>(value: string | undefined, allowed: readonly T[], flag: string, fallback: T): T {
  if (value === undefined) return fallback;
  if (!(allowed as readonly string[]).includes(value)) throw new UsageError(`${flag} must be one of ${allowed.join(', ')}, got ${JSON.stringify(value)}`);
  return value as T;
}

/** TCGA-XX-XXXX or TCGA-XX-XXXX-DXn keys from --slides (short forms such as A1-A0SK accepted). */
function slideKeys(text: string): string[] {
  return parseSlideList(text).map((ref) => {
    const s = ref.trim().toUpperCase();
    const m = /^(?:TCGA-)?([0-9A-Z]{2})-([0-9A-Z]{4})(?:-(?:01Z-00-)?(DX\d+))?/.exec(s);
    if (m === null) throw new UsageError(`--slides: ${JSON.stringify(ref)} is not a slide such as A1-A0SK or TCGA-A1-A0SK-DX1`);
    return `TCGA-${m[1]}-${m[2]}${m[3] !== undefined ? `-${m[3]}` : ''}`;
  });
}

export function registerRasterize(program: Command, ctx: CliContext, setResult: (r: { exitCode: number }) => void): void {
  program
    .command('rasterize')
    .description('draw label masks from DSA annotation JSON, offline, exactly as HistomicsTK does')
    .option('--annotations <paths...>', 'annotation files or folders of *.json (default OUT/annotations)')
    .option('-o, --out <dir>', 'dataset folder holding bcss.lock.json (default ./BCSS or BCSS_OUT)')
    .option('--masks-dir <dir>', 'where the masks go (default OUT/masks)')
    .option('--mpp <um>', 'resolution in micrometres per pixel (default 0.25)')
    .option('--mag <power>', 'resolution as objective magnification, e.g. 20')
    .option('--base', 'scan (base) resolution')
    .option('--outline <drawn|skipped>', 'draw the 1-px polygon outline (drawn, default) or not (skipped)')
    .option('--scaling <resize|draw>', 'how a non-base mask is made (default resize)')
    .option('--gt-codes <file>', 'HistomicsTK GT-codes table (CSV/TSV: group, overlay_order, GT_code, is_roi, is_background_class); default BCSS')
    .option('--slides <list>', 'only these slides: A1-A0SK,TCGA-A2-A04P,... or @file')
    .option('--base-mpp <um>', 'µm per base pixel of the slides, for --scaling draw with --mpp')
    .option('--json', 'print one JSON summary object on stdout')
    .addHelpText('after', HELP_AFTER)
    .action(async (flags: RasterizeFlags) => {
      const outDir = resolve(ctx.cwd, flags.out ?? (ctx.env.BCSS_OUT || 'BCSS'));
      const resolution = resolutionOf(flags);
      const outline = choice(flags.outline, ['drawn', 'skipped'] as const, '--outline', 'drawn');
      const scaling = choice(flags.scaling, ['resize', 'draw'] as const, '--scaling', 'resize');
      let gtCodes;
      if (flags.gtCodes === undefined) {
        gtCodes = (await import('../../catalog/index.js')).gtCodes();
      } else {
        const path = resolve(ctx.cwd, flags.gtCodes);
        const text = await readFile(path, 'utf8').catch((err: unknown) => {
          throw new UsageError(`--gt-codes ${path} cannot be read (${(err as Error).message})`);
        });
        gtCodes = (await import('../../geometry/gt-codes-table.js')).parseGtCodesTable(text, path);
      }
      let slides: string[] | null = null;
      if (flags.slides !== undefined) {
        const text = flags.slides.startsWith('@') ? await readFile(resolve(ctx.cwd, flags.slides.slice(1)), 'utf8') : flags.slides;
        slides = slideKeys(text);
      }
      const { runRasterize } = await import('../../pipeline/run-rasterize.js');
      const summary = await runRasterize({
        outDir,
        masksDir: flags.masksDir === undefined ? join(outDir, 'masks') : resolve(ctx.cwd, flags.masksDir),
        inputs: (flags.annotations ?? [join(outDir, 'annotations')]).map((p) => resolve(ctx.cwd, p)),
        resolution,
        outline,
        scaling,
        gtCodes,
        slides,
        ...(flags.baseMpp === undefined ? {} : { baseMpp: positive(flags.baseMpp, '--base-mpp') }),
        onFile: (file, masks, failure) => {
          // Plain progress lines on stderr (stdout stays for the summary / the JSON object).
          if (flags.json === true) return;
          const what = failure ?? (masks ?? []).map((m) => `${basename(m.path)} ${m.width}x${m.height}${m.status === 'skipped' ? ' (unchanged)' : ''}`).join(', ');
          ctx.stderr.write(`${failure === null ? 'ok    ' : 'FAILED'} ${basename(file)}: ${what}\n`);
        },
      });
      if (flags.json === true) ctx.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
      else ctx.stdout.write(humanSummary(summary, outline, scaling));
      const integrity = summary.failures.some((f) => f.integrity);
      setResult({ exitCode: integrity ? EXIT.integrity : summary.failures.length > 0 ? EXIT.partial : EXIT.ok });
    });
}

function humanSummary(s: RasterizeSummary, outline: string, scaling: string): string {
  const done = s.masks.filter((m) => m.status === 'done').length;
  const lines = [`rasterized ${done} mask(s), ${s.masks.length - done} unchanged, outline ${outline}, scaling ${scaling}, in ${formatSeconds(s.seconds)}`];
  if (scaling === 'draw') lines.push('  note: --scaling draw truncates scaled vertices as HistomicsTK does; masks may be a pixel off the image grid.');
  for (const m of s.masks) for (const note of m.notes) lines.push(`  not drawn in ${m.path}: ${note}`);
  for (const f of s.failures) lines.push(`  FAILED ${f.item}: ${f.reason}`);
  if (s.failures.length > 0) lines.push(`${s.failures.length} file(s) failed; the others were written.`);
  return `${lines.join('\n')}\n`;
}

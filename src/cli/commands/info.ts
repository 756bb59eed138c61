import type { Command } from 'commander';
import {
  BASELINE_TEST_SITES,
  EVA_VAL_SITES,
  loadCatalog,
  siteSummaries,
  summarizeCatalog,
  type CatalogSummary,
  type SiteSummary,
} from '../../catalog/index.js';
import type { CliContext } from '../context.js';

// One paragraph without line breaks: commander wraps it to the terminal width.
const DESCRIPTION =
  'Show what the BCSS dataset contains, offline: citation and licence, the meaning of mask ' +
  'value 0, ROI/slide counts, scan magnifications, ROIs per tissue-source site, the Baseline ' +
  'and eva splits, and the 22 class codes with their DSA and baseline groups.';

const HELP_AFTER =
  '\nExamples:\n' +
  '  bcss info                  human-readable summary\n' +
  '  bcss info --json | jq .split\n\n' +
  'With --json, stdout is exactly one JSON object with the keys rois, slides, magnifications,\n' +
  'split (eva train/val/test), baselineSplit (train/test), sites, classes ({code, name,\n' +
  'dsaGroup, overlayOrder, group}), citation, doi, license and sources.\n';

export function registerInfo(program: Command, ctx: CliContext, setResult: (r: { exitCode: number }) => void): void {
  program
    .command('info')
    .summary('dataset facts: ROIs, sites, splits, classes')
    .description(DESCRIPTION)
    .option('--json', 'print one JSON object instead of text')
    .addHelpText('after', HELP_AFTER)
    .action((opts: { json?: boolean }) => {
      const catalog = loadCatalog();
      const summary = summarizeCatalog(catalog);
      if (opts.json === true) {
        ctx.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
      } else {
        ctx.stdout.write(renderInfo(summary, siteSummaries(catalog)));
      }
      setResult({ exitCode: 0 });
    });
}

/** The human-readable `bcss info` text. */
export function renderInfo(s: CatalogSummary, sites: readonly SiteSummary[]): string {
  const lines: string[] = [];
  const mags = Object.entries(s.magnifications)
    .sort((a, b) => Number(b[0]) - Number(a[0]))
    .map(([mag, n]) => `${n} at ${mag}x`)
    .join(', ');
  lines.push(
    'BCSS - Breast Cancer Semantic Segmentation dataset',
    '',
    `Cite:     ${s.citation}`,
    `Licence:  ${s.license} (data)`,
    '',
    'CRITICAL: mask value 0 means outside the ROI / don\'t care. It is NOT a class:',
    '          give it zero weight in training (e.g. ignore_index=0).',
    '',
    `ROIs:     ${s.rois} (one per slide)`,
    `Slides:   ${s.slides} (${mags})`,
    '',
    'Splits (by tissue-source site; there is no official split file):',
    table(
      ['split', 'ROIs', 'held-out sites'],
      [
        [
          'Baseline (grand-challenge)',
          `train ${s.baselineSplit.train}, test ${s.baselineSplit.test}`,
          `test: ${BASELINE_TEST_SITES.join(', ')}`,
        ],
        [
          'eva (kaiko-ai/eva)',
          `train ${s.split.train}, val ${s.split.val}, test ${s.split.test}`,
          `val: ${EVA_VAL_SITES.join(', ')}; test as Baseline`,
        ],
      ],
      [false, false, false],
    ),
    '',
    'ROIs per tissue-source site:',
    table(
      ['site', 'rois', 'baseline', 'eva'],
      sites.map((x) => [x.site, String(x.rois), x.baselineSplit, x.evaSplit]),
      [false, true, false, false],
    ),
    '',
    'Classes (mask values):',
    table(
      ['code', 'name', 'DSA group', 'baseline group'],
      s.classes.map((c) => [String(c.code), c.name, c.dsaGroup ?? '-', c.group]),
      [true, false, false, false],
    ),
    '',
    'exclude (7) and undetermined (15) are not defined by the Baseline page; they count as',
    "'other' here (the literal reading) and can be sent to 'ignore' instead.",
    '',
    `Sources:  DSA ${s.sources.dsaApiUrl} (folder ${s.sources.dsaFolderId})`,
    `          figshare article ${s.sources.figshareArticleId} (base-resolution masks)`,
    `          GDC ${s.sources.gdcApiUrl} (whole-slide images)`,
  );
  return `${lines.join('\n')}\n`;
}

function table(header: string[], rows: string[][], rightAlign: boolean[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const fmt = (cells: string[]): string =>
    '  ' +
    cells
      .map((c, i) => (rightAlign[i] === true ? c.padStart(widths[i] ?? 0) : c.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  return [fmt(header), ...rows.map(fmt)].join('\n');
}

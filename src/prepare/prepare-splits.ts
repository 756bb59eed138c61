/**
 * `bcss prepare splits`: the split files nobody ships (docs/dataset.md#splits, #consumer-pitfalls) and, optionally,
 * the folder layouts consumers expect (docs/dataset.md#output-layouts), made of links to the downloaded files.
 */
import { join } from 'node:path';
import { BASELINE_TEST_SITES, EVA_VAL_SITES } from '../catalog/splits.js';
import { UsageError } from '../errors.js';
import { writeIfChanged } from './item-cache.js';
import { loadPairs } from './load-pairs.js';
import { placeFile, type PlaceFileOps } from './place-file.js';
import { pruneFolder } from './prune-folder.js';
import type { LinkMode, PrepareHooks, PrepareSplitsOptions, PrepareSplitsResult, RoiPair, SplitLayout, SplitScheme } from './types.js';

/** The parts each scheme defines: the Baseline split has no validation set. */
export const SPLIT_PARTS: Readonly<Record<SplitScheme, readonly string[]>> = {
  baseline: ['train', 'test'],
  eva: ['train', 'val', 'test'],
};
export const SPLIT_SCHEMES: readonly SplitScheme[] = ['baseline', 'eva'];
export const SPLIT_LAYOUTS: readonly SplitLayout[] = ['script', 'eva', 'folders'];
export const LINK_MODES: readonly LinkMode[] = ['hard', 'copy', 'symlink'];

/** eva's BCSS class looks for exactly this folder name (docs/dataset.md#output-layouts). */
export const EVA_IMAGE_FOLDER = 'rgbs_colorNormalized';
/** Where `--layout eva` puts eva's root (apart from `prepared/eva/`, the eva split as folders). */
export const EVA_ROOT = 'prepared/eva-root';

export function partOf(pair: RoiPair, split: SplitScheme): string {
  return split === 'baseline' ? pair.baselineSplit : pair.evaSplit;
}

export function checkChoice<T extends string>(value: string, allowed: readonly T[], what: string): T {
  if (!(allowed as readonly string[]).includes(value)) {
    throw new UsageError(`expected ${allowed.map((a) => JSON.stringify(a)).join(' or ')} for ${what} but received ${JSON.stringify(value)}`);
  }
  return value as T;
}

const EVA_README = (link: LinkMode): string =>
  [
    'BCSS in the layout kaiko-ai/eva expects (written by `bcss prepare splits --layout eva`).',
    '',
    'NOTE: the images in rgbs_colorNormalized/ are NOT colour-normalised. They are the',
    'images exactly as `bcss download` fetched them; the folder has that name only because',
    "eva's BCSS dataset looks for it (the authors' Drive release holds normalised images).",
    '',
    `masks/ holds the label masks under the same file names: class codes 0..21, and 0 means`,
    'outside the ROI / "don\'t care" (not a class). Point eva\'s BCSS root at this folder;',
    `eva assigns its own split by site (validation ${EVA_VAL_SITES.join(', ')};`,
    `test ${BASELINE_TEST_SITES.join(', ')}).`,
    '',
    linkNote(link),
    '',
  ].join('\n');

const FOLDERS_README = (split: SplitScheme, link: LinkMode): string =>
  [
    `BCSS split "${split}" as folders (written by \`bcss prepare splits --layout folders\`).`,
    `Parts: ${SPLIT_PARTS[split].join(', ')}; each holds images/ and masks/ with identical file names.`,
    `The same lists are in ../../splits/${split}/. Mask value 0 = outside the ROI, not a class.`,
    '',
    linkNote(link),
    '',
  ].join('\n');

function linkNote(link: LinkMode): string {
  if (link === 'hard') {
    return 'Files are hard links to ../../images and ../../masks (copies where links are impossible):\nediting one in place edits the original too.';
  }
  if (link === 'symlink') return 'Files are relative symbolic links to ../../images and ../../masks.';
  return 'Files are copies of ../../images and ../../masks.';
}

export interface PrepareSplitsHooks extends PrepareHooks {
  /** File-system calls for placing files (tests simulate a cross-device target). */
  ops?: PlaceFileOps;
}

export async function prepareSplits(options: PrepareSplitsOptions, hooks: PrepareSplitsHooks = {}): Promise<PrepareSplitsResult> {
  const split = checkChoice(options.split, SPLIT_SCHEMES, '--split');
  const layout = checkChoice(options.layout, SPLIT_LAYOUTS, '--layout');
  const link = checkChoice(options.link, LINK_MODES, '--link');
  const root = options.root;
  const emit = hooks.onEvent ?? (() => undefined);
  const pairs = await loadPairs(root, { needImages: true, onEvent: emit });

  const result: PrepareSplitsResult = { rois: pairs.length, parts: {}, written: [], placed: 0, upToDate: 0, copiedInsteadOfLinked: false, interrupted: false };
  for (const part of SPLIT_PARTS[split]) {
    const names = pairs.filter((p) => partOf(p, split) === part).map((p) => p.fileName);
    result.parts[part] = names.length;
    const rel = `splits/${split}/${part}.txt`;
    if (await writeIfChanged(join(root, rel), names.map((n) => `${n}\n`).join(''))) result.written.push(rel);
  }
  if (layout === 'script') return result; // the download folder already is the script layout

  const base = layout === 'eva' ? join(root, EVA_ROOT) : join(root, 'prepared', split);
  const folderOf = (pair: RoiPair): { images: string; masks: string } =>
    layout === 'eva'
      ? { images: join(base, EVA_IMAGE_FOLDER), masks: join(base, 'masks') }
      : { images: join(base, partOf(pair, split), 'images'), masks: join(base, partOf(pair, split), 'masks') };

  const keep = new Map<string, Set<string>>();
  const wanted = (dir: string, name: string): void => {
    const set = keep.get(dir) ?? new Set<string>();
    set.add(name);
    keep.set(dir, set);
  };
  // Every folder of the layout is owned (and pruned) even when a part is empty this time.
  if (layout === 'eva') {
    keep.set(join(base, EVA_IMAGE_FOLDER), new Set());
    keep.set(join(base, 'masks'), new Set());
  } else {
    for (const part of SPLIT_PARTS[split]) for (const sub of ['images', 'masks']) keep.set(join(base, part, sub), new Set());
  }

  let warnedCopy = false;
  for (const [i, pair] of pairs.entries()) {
    if (hooks.signal?.aborted === true) {
      result.interrupted = true;
      return result;
    }
    const dirs = folderOf(pair);
    const outcomes = [
      await placeFile(pair.imagePath as string, join(dirs.images, pair.fileName), link, hooks.ops),
      await placeFile(pair.maskPath, join(dirs.masks, pair.fileName), link, hooks.ops),
    ];
    wanted(dirs.images, pair.fileName);
    wanted(dirs.masks, pair.fileName);
    const fresh = outcomes.filter((o) => o !== 'up-to-date').length;
    result.placed += fresh;
    result.upToDate += outcomes.length - fresh;
    if (link === 'hard' && outcomes.includes('copied')) {
      result.copiedInsteadOfLinked = true;
      if (!warnedCopy) emit({ type: 'log', level: 'warn', message: `hard links are not possible in ${base}: copying instead` });
      warnedCopy = true;
    }
    emit({ type: 'item', task: 'splits', index: i + 1, total: pairs.length, roi: pair.roi, upToDate: fresh === 0, detail: fresh === 0 ? 'up to date' : `${outcomes.join(', ')}` });
  }
  for (const [dir, names] of keep) await pruneFolder(dir, names);
  const readme = layout === 'eva' ? EVA_README(link) : FOLDERS_README(split, link);
  const readmeRel = layout === 'eva' ? `${EVA_ROOT}/README.txt` : `prepared/${split}/README.txt`;
  if (await writeIfChanged(join(root, readmeRel), readme)) result.written.push(readmeRel);
  return result;
}

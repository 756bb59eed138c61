/**
 * The checked list of ROIs of a download folder: every expected name unique and present in
 * images/ and masks/, each mask on its image's pixel grid (eva cuts `mask[y:y+h, x:x+w]` at the
 * image's coordinates, so anything else silently misaligns labels).
 */
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { baselineSplit, evaSplit } from '../catalog/splits.js';
import { IntegrityError, UsageError } from '../errors.js';
import { readPngHeaderFromFile } from '../image/png-header-file.js';
import { readLockExpectations } from './lock-expectations.js';
import { pairFileNames } from './pair-files.js';
import type { PrepareEvent, RoiPair } from './types.js';

/** How many problem lines an error message lists before summarising the rest. */
const MAX_LISTED = 20;

async function listPngs(dir: string): Promise<string[] | null> {
  try {
    const entries = await readdir(dir, { withFileTypes: true });
    // Hidden names include the `.x.png.<hex>.part` temp files of an interrupted download.
    return entries.filter((e) => !e.isDirectory() && !e.name.startsWith('.') && e.name.toLowerCase().endsWith('.png')).map((e) => e.name);
  } catch (err) {
    if ((err as { code?: unknown }).code === 'ENOENT') return null;
    throw err;
  }
}

export function integrityReport(what: string, problems: readonly string[], hint: string): IntegrityError {
  const shown = problems.slice(0, MAX_LISTED).map((p) => `  - ${p}`);
  if (problems.length > MAX_LISTED) shown.push(`  … and ${problems.length - MAX_LISTED} more`);
  return new IntegrityError(`${what}: ${problems.length} problem(s)\n${shown.join('\n')}`, { hint });
}

export interface LoadPairsOptions {
  needImages: boolean;
  onEvent?: (event: PrepareEvent) => void;
}

export async function loadPairs(root: string, options: LoadPairsOptions): Promise<RoiPair[]> {
  const imageNames = options.needImages ? await listPngs(join(root, 'images')) : [];
  const maskNames = await listPngs(join(root, 'masks'));
  if (maskNames === null || imageNames === null) {
    const missing = [imageNames === null ? 'images/' : null, maskNames === null ? 'masks/' : null].filter((x) => x !== null);
    throw new UsageError(`${root} has no ${missing.join(' or ')} folder`, {
      hint: 'Point --out at the folder `bcss download` wrote (it holds images/, masks/ and bcss.lock.json).',
    });
  }
  const expected = await readLockExpectations(root);
  if (expected === null) {
    options.onEvent?.({ type: 'log', level: 'warn', message: `${root} has no bcss.lock.json: checking the files present only` });
  }
  const { pairs, problems, unrecognised } = pairFileNames({ imageNames, maskNames, expected, needImages: options.needImages });
  if (unrecognised.length > 0) {
    const list = unrecognised.slice(0, 5).join(', ') + (unrecognised.length > 5 ? ', …' : '');
    options.onEvent?.({ type: 'log', level: 'warn', message: `left out ${unrecognised.length} PNG(s) whose names are not BCSS ROI names: ${list}` });
  }
  const hint = 'Rerun `bcss download` with the same options to fetch what is missing, then `bcss verify`.';
  if (problems.length > 0) throw integrityReport(`${root}: images and masks do not pair up`, problems, hint);
  if (pairs.length === 0) throw new UsageError(`${root} has no BCSS images or masks to prepare`, { hint: 'Run `bcss download` first.' });

  const out: RoiPair[] = [];
  const sizeProblems: string[] = [];
  for (const p of pairs) {
    const maskPath = join(root, 'masks', p.mask);
    const maskHeader = await readPngHeaderFromFile(maskPath);
    const imagePath = p.image === null ? null : join(root, 'images', p.image);
    if (imagePath !== null && p.image !== null) {
      const imageHeader = await readPngHeaderFromFile(imagePath);
      if (imageHeader.width !== maskHeader.width || imageHeader.height !== maskHeader.height) {
        sizeProblems.push(
          `${p.roi}: images/${p.image} is ${imageHeader.width}×${imageHeader.height} px but masks/${p.mask} is ${maskHeader.width}×${maskHeader.height} px`,
        );
        continue;
      }
      if (p.image !== p.mask) {
        options.onEvent?.({ type: 'log', level: 'warn', message: `${p.roi}: image and mask names differ (${p.image} / ${p.mask}); outputs use the image's name` });
      }
    }
    out.push({
      roi: p.roi,
      site: p.site,
      fileName: p.image ?? p.mask,
      imagePath,
      maskPath,
      maskFileName: p.mask,
      width: maskHeader.width,
      height: maskHeader.height,
      baselineSplit: baselineSplit({ site: p.site }),
      evaSplit: evaSplit({ site: p.site }),
    });
  }
  if (sizeProblems.length > 0) {
    throw integrityReport(`${root}: masks not on their image's pixel grid`, sizeProblems, 'Download images and masks with the same resolution options.');
  }
  return out;
}

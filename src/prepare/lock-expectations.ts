/**
 * What the download promised, read from `bcss.lock.json` without importing the pipeline
 * (prepare depends on catalog and geometry only): the image and mask file each ROI should have.
 * A failed or planned artifact still counts: its file is expected and will be reported missing.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { IntegrityError } from '../errors.js';
import { parseRoiFileName } from '../geometry/naming.js';

export const LOCK_FILE_NAME = 'bcss.lock.json';

export interface ExpectedFiles {
  /** ROI name → file name expected in images/. */
  images: Map<string, string>;
  /** ROI name → file name expected in masks/. */
  masks: Map<string, string>;
}

/** null when the folder has no lock (a copy made by other tools); IntegrityError when it is unreadable. */
export async function readLockExpectations(root: string): Promise<ExpectedFiles | null> {
  const path = join(root, LOCK_FILE_NAME);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as { code?: unknown }).code === 'ENOENT') return null;
    throw err;
  }
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    throw new IntegrityError(`${path} is not valid JSON`, {
      path,
      cause: err,
      hint: 'Rerun `bcss download` with the same options; it salvages or rebuilds the lock.',
    });
  }
  const artifacts = (doc as { artifacts?: unknown }).artifacts;
  if (!Array.isArray(artifacts)) {
    throw new IntegrityError(`${path} has no "artifacts" list`, { path });
  }
  const expected: ExpectedFiles = { images: new Map(), masks: new Map() };
  for (const a of artifacts as unknown[]) {
    const kind = (a as { kind?: unknown }).kind;
    const rel = (a as { path?: unknown }).path;
    if ((kind !== 'images' && kind !== 'masks') || typeof rel !== 'string') continue;
    const [folder, fileName, ...rest] = rel.split('/');
    if (folder !== kind || fileName === undefined || rest.length > 0) continue;
    const parts = parseRoiFileName(fileName);
    if (parts === null) continue;
    expected[kind].set(parts.roi, fileName);
  }
  return expected;
}

/** What fixes each kind of `bcss verify` problem (printed under its report). Pure data. */
import type { VerifyIssue } from './types.js';

/** What to do about each kind of problem, for the end of `bcss verify`'s report. */
export const VERIFY_ADVICE: Record<VerifyIssue['problem'], string> = {
  missing: 'rerun the same `bcss download` command: it fetches missing files again',
  changed: 'rerun the same `bcss download` command: it fetches changed files again',
  'size-mismatch': 'rerun the same `bcss download` command: it fetches the file again',
  'bad-values': 'rerun the same `bcss download` command: it fetches the mask again',
  unreadable: 'rerun the same `bcss download` command: a damaged lock is moved aside and its files re-checked',
  incomplete: 'rerun the same `bcss download` command to finish the download',
  extra: 'move or delete the extra file(s): a rerun does not remove files it did not write',
  'spec-mismatch':
    'the folder mixes datasets: download into a new --out (or rerun with --replace to move this folder aside first); moving the odd files out is the other way',
};

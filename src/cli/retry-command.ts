/**
 * The command that retries only the failed ROIs: the user's own flags, with `--slides` replaced
 * by the failed ROI names, so it can be pasted as is (issue 4, "the command to retry only them").
 * Paths become absolute so the line works from any folder; `--dry-run` is dropped because a
 * dry run has no failures to retry. Settings from the environment or the config file are read
 * again by the retry itself. Pure.
 */
import { resolve } from 'node:path';
import type { DownloadFlags } from './options/download-options.js';

/** Value flags in the order `bcss download --help` lists them; `slides` and `out` are set apart. */
const VALUE_FLAGS: ReadonlyArray<[keyof DownloadFlags, string]> = [
  ['components', '--components'],
  ['mpp', '--mpp'],
  ['mag', '--mag'],
  ['rois', '--rois'],
  ['apiUrl', '--api-url'],
  ['folderId', '--folder-id'],
  ['figshareUrl', '--figshare-url'],
  ['gdcUrl', '--gdc-url'],
  ['concurrency', '--concurrency'],
  ['renderConcurrency', '--render-concurrency'],
  ['figshareInterval', '--figshare-interval'],
  ['retries', '--retries'],
  ['timeout', '--timeout'],
  ['encoding', '--encoding'],
  ['maskAlign', '--mask-align'],
  ['masksVia', '--masks-via'],
  ['imageSource', '--image-source'],
  ['wsiDir', '--wsi-dir'],
  ['config', '--config'],
];

const SWITCHES: ReadonlyArray<[keyof DownloadFlags, string]> = [
  ['base', '--base'],
  ['login', '--login'],
  ['json', '--json'],
  ['failFast', '--fail-fast'],
];

const PATH_FLAGS = new Set<keyof DownloadFlags>(['rois', 'config', 'wsiDir']);

/** POSIX shell quoting, only where needed so the common case stays readable. */
export function shellQuote(text: string): string {
  if (/^[A-Za-z0-9_/.,:=@%+-]+$/.test(text)) return text;
  return `'${text.replace(/'/g, `'\\''`)}'`;
}

export function retryCommand(flags: DownloadFlags, cwd: string, outDir: string, rois: readonly string[]): string {
  const args = ['bcss', 'download', '--out', outDir];
  for (const [key, flag] of VALUE_FLAGS) {
    const value = flags[key];
    if (typeof value !== 'string') continue;
    args.push(flag, PATH_FLAGS.has(key) ? resolve(cwd, value) : value);
  }
  for (const [key, flag] of SWITCHES) if (flags[key] === true) args.push(flag);
  if (flags.progress === false) args.push('--no-progress');
  args.push('--slides', rois.join(','));
  return args.map(shellQuote).join(' ');
}

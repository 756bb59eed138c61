/**
 * The local half of planning: every artifact of the options, and for each the decision from the
 * lock and the disk (local-state.ts). Only `toFetch` ever needs the network; when it is empty a
 * run makes no request at all.
 */
import { buildArtifacts, type Artifact } from './artifacts.js';
import { decideAll } from './local-state.js';
import type { LockEntry } from './lock-file.js';
import type { DownloadOptions } from './types.js';
import type { RoiRecord } from '../catalog/types.js';

export interface LocalPlan {
  artifacts: Artifact[];
  toFetch: Array<{ artifact: Artifact; reason: string }>;
  /** Files that match the lock; `rehashed` entries carry a refreshed mtime for the lock. */
  skipped: Array<{ artifact: Artifact; entry: LockEntry; rehashed: boolean }>;
}

/**
 * `folder`: every ROI the output folder holds (this run's and earlier runs'), which the WSI
 * scripts list; without it they list this run's ROIs.
 */
export async function planLocal(
  options: DownloadOptions,
  outDir: string,
  lookup: (id: string) => LockEntry | undefined,
  folder?: readonly RoiRecord[],
): Promise<LocalPlan> {
  const artifacts =
    folder === undefined
      ? buildArtifacts(options)
      : [
          ...buildArtifacts({ ...options, components: options.components.filter((c) => c !== 'wsi-scripts') }),
          ...buildArtifacts({ ...options, rois: folder, components: options.components.filter((c) => c === 'wsi-scripts') }),
        ];
  const decisions = await decideAll(outDir, artifacts, lookup);
  const plan: LocalPlan = { artifacts, toFetch: [], skipped: [] };
  artifacts.forEach((artifact, i) => {
    const d = decisions[i];
    if (d === undefined) throw new Error(`no decision for ${artifact.id}`);
    if (d.action === 'skip') plan.skipped.push({ artifact, entry: d.entry, rehashed: d.rehashed });
    else plan.toFetch.push({ artifact, reason: d.reason });
  });
  return plan;
}

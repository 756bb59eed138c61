/**
 * Failure ids are artifact ids (`images/<ROI>_xmin…png`, `masks/…`, `annotations/<ROI>`,
 * `wsis/<file>`). For "retry only the failures" the CLI needs the ROIs behind them.
 */
const ROI_IN_ID = /TCGA-[0-9A-Z]{2}-[0-9A-Z]{4}-DX\d+/;

export interface FailedRois {
  /** Distinct ROI names, in first-failure order: pass them to `--slides`. */
  rois: string[];
  /** Failures not tied to one ROI (the WSI scripts): retry those with the same command. */
  other: string[];
}

/**
 * The ROIs behind a summary's failures, to fetch them again with `--slides` or `rois`.
 *
 * @example
 * ```ts
 * import { failedRois, runDownload } from 'bcss';
 * const summary = await runDownload({ out: 'BCSS' });
 * console.log(failedRois(summary.failures).rois); // e.g. ['TCGA-A2-A0D0-DX1']
 * ```
 */
export function failedRois(failures: ReadonlyArray<{ item: string }>): FailedRois {
  const rois: string[] = [];
  const other: string[] = [];
  for (const f of failures) {
    const m = ROI_IN_ID.exec(f.item);
    if (m === null) other.push(f.item);
    else if (!rois.includes(m[0])) rois.push(m[0]);
  }
  return { rois, other };
}

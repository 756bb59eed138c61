/**
 * Annotations: `/annotation/item/{id}` streamed to `annotations/<slide>.json` and stored exactly
 * as received (docs/dataset.md#the-original-script: the original parsed and re-dumped them). While they stream in, the
 * bytes must parse as a JSON array whose documents carry as many elements as `_elementQuery`
 * says were returned (a streaming check, annotation-shape.ts, so memory stays flat); the server's doubled-separator quirk (docs/protocols.md#annotations) and truncations are
 * IntegrityErrors, which the engine retries.
 */
import { join } from 'node:path';
import { explainGirderError } from '../../remote/girder-client.js';
import { DEFAULT_MAX_JSON_BYTES } from '../../transfer/engine-context.js';
import { AnnotationShapeCheck, checkAnnotationText } from '../annotation-shape.js';
import { annotationFileName, type Artifact } from '../artifacts.js';
import type { LockEntry } from '../lock-file.js';
import type { StepContext } from './step-context.js';

/** Checks a whole annotation answer; returns the number of documents. Throws IntegrityError. */
export function checkAnnotationJson(text: string, label: string): number {
  return checkAnnotationText(text, label);
}

export async function fetchAnnotations(ctx: StepContext, artifact: Artifact): Promise<LockEntry> {
  const { roi } = artifact;
  if (roi === null) throw new Error(`annotation artifact ${artifact.id} has no ROI`);
  const { remote } = ctx;
  const what = `${roi.name} annotations`;
  try {
    const slide = remote.slideFor(roi);
    const path = artifact.path ?? `annotations/${annotationFileName(slide.name)}`;
    const url = remote.girder.annotationsUrl(slide.itemId);
    const destPath = join(ctx.outDir, path);
    const stored = await remote.transfer.download({
      url,
      lane: remote.girder.lane,
      ...remote.girder.authHeaders(),
      destPath,
      // The ceiling is known before the request: `--max-json-mb` (issue 9, item 5).
      maxBytes: ctx.options.maxJsonBytes ?? DEFAULT_MAX_JSON_BYTES,
      maxBytesReason: `the JSON limit of ${Math.round((ctx.options.maxJsonBytes ?? DEFAULT_MAX_JSON_BYTES) / 1048576)} MB, --max-json-mb`,
      syncDir: false, // the lock syncs the folder before recording the file
      sniff: 'json',
      // Checked as the bytes arrive, never held whole: memory stays flat whatever the size.
      inspect: () => new AnnotationShapeCheck(what),
    });
    return {
      id: artifact.id,
      kind: 'annotations',
      path,
      bytes: stored.bytes,
      sha256: stored.sha256,
      mtimeMs: stored.mtimeMs,
      source: { url, params: artifact.params },
      status: 'done',
      completed: ctx.now().toISOString(),
    };
  } catch (err) {
    throw explainGirderError(err, what);
  }
}

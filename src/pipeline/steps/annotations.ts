/**
 * Annotations: `/annotation/item/{id}` streamed to `annotations/<slide>.json` and stored exactly
 * as received (prior-art D11: the original parsed and re-dumped them). Before the rename the
 * bytes must parse as a JSON array whose documents carry as many elements as `_elementQuery`
 * says were returned; the server's doubled-separator quirk (A13) and truncations are
 * IntegrityErrors, which the engine retries.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { IntegrityError } from '../../errors.js';
import { explainGirderError } from '../../remote/girder-client.js';
import { DEFAULT_MAX_JSON_BYTES } from '../../transfer/engine-context.js';
import { annotationFileName, type Artifact } from '../artifacts.js';
import type { LockEntry } from '../lock-file.js';
import type { StepContext } from './step-context.js';

/** Checks an annotation answer; returns the number of documents. Throws IntegrityError. */
export function checkAnnotationJson(text: string, label: string): number {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (err) {
    throw new IntegrityError(`${label}: the annotation answer is not valid JSON (${(err as Error).message})`);
  }
  if (!Array.isArray(data)) throw new IntegrityError(`${label}: the annotation answer is not a JSON array`);
  data.forEach((doc: unknown, i) => {
    if (doc === null || typeof doc !== 'object') throw new IntegrityError(`${label}: annotation ${i} is not an object`);
    const d = doc as { annotation?: { elements?: unknown }; _elementQuery?: { returned?: unknown } };
    const elements = d.annotation?.elements;
    const returned = d._elementQuery?.returned;
    if (typeof returned === 'number') {
      if (!Array.isArray(elements)) throw new IntegrityError(`${label}: annotation ${i} has no element list but _elementQuery.returned = ${returned}`);
      if (elements.length !== returned) {
        throw new IntegrityError(`${label}: annotation ${i} has ${elements.length} elements but _elementQuery.returned = ${returned}`, {
          expected: String(returned),
          actual: String(elements.length),
        });
      }
    }
  });
  return data.length;
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
      validate: async (tempPath) => {
        checkAnnotationJson(await readFile(tempPath, 'utf8'), what);
      },
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

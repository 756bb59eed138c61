/**
 * One attempt of `download`: ask for the missing bytes only when the last attempt can be resumed
 * (Range + If-Range), judge the answer's range and length, stream the body into the temp file
 * with the ceiling, the expected size and the content sniff applied on the way, then check what
 * was stored. A 200 answer to a Range request restarts from zero (Girder and others may ignore
 * Range: docs/protocols.md#girder-file-download, #gdc-data-download).
 */
import { readFile } from 'node:fs/promises';
import { IntegrityError, NetworkError } from '../errors.js';
import { toDiskError } from '../storage/disk-error.js';
import type { Answer, Attempt } from './attempt.js';
import { checkStoredBody } from './check-answer.js';
import { BodyLimitError, EmptyBodyError } from './content-errors.js';
import { MAX_MEMORY_BODY_BYTES } from './engine-context.js';
import type { PartialBody } from './partial-body.js';
import type { PreparedRequest } from './prepared-request.js';
import { parseJsonBody, sniffHead } from './sniff.js';
import type { DownloadSpec, ResponseHeaders, Sniff } from './types.js';

/** What stays the same over the attempts of one download. */
export interface DownloadJob {
  readonly spec: DownloadSpec;
  readonly req: PreparedRequest;
  readonly sniff: Sniff;
  readonly expected: { bytes?: number; md5?: string };
  readonly body: PartialBody;
}

/** `bytes a-b/total` → numbers; undefined when absent or malformed. */
export function parseContentRange(value: string | null): { start: number; end: number; total: number | undefined } | undefined {
  const m = value === null ? null : /^\s*bytes\s+(\d+)-(\d+)\/(\d+|\*)\s*$/i.exec(value);
  if (m === null) return undefined;
  return { start: Number(m[1]), end: Number(m[2]), total: m[3] === '*' ? undefined : Number(m[3]) };
}

export async function downloadAttempt(one: Attempt, job: DownloadJob): Promise<{ status: number; headers: ResponseHeaders }> {
  const { body } = job;
  const resumeFrom = body.resumable && body.written > 0 ? body.written : 0;
  if (resumeFrom === 0) await body.reset();
  body.resumable = false;
  const extra: Record<string, string> = {};
  if (resumeFrom > 0) {
    extra.range = `bytes=${resumeFrom}-`;
    if (body.etag !== undefined) extra['if-range'] = body.etag;
  }
  const answer = await one.open(extra);
  const appending = await takeRange(answer, job, resumeFrom);
  // A body whose length was known before it was sent is finished at the server: the slot may go.
  if (job.spec.releaseLaneOnHeaders === true && answer.declaredLength !== undefined) answer.releaseLane();
  const sniffed = await receive(answer, job, appending);
  // Every byte is in: the server's part is over, so its lane slot (e.g. one of the DSA's 4
  // render slots) is given back before the disk write and the checks below, which are ours.
  answer.releaseLane();
  await body.flush();
  await checkStored(answer, job, sniffed);
  return { status: answer.status, headers: answer.headers };
}

/**
 * Judges a 206 against the range asked for, or starts over on a full answer; records the
 * announced total, range support and ETag. Returns whether the body continues the bytes on disk.
 */
async function takeRange(answer: Answer, job: DownloadJob, resumeFrom: number): Promise<boolean> {
  const { body, expected, spec } = job;
  const { shown } = answer;
  const range = parseContentRange(answer.headers.get('content-range'));
  let appending = false;
  if (answer.status === 206) {
    const wantStart = resumeFrom;
    const wantTotal = resumeFrom > 0 ? body.total : range?.total;
    // Girder answers 206 with the whole file when a range is unsatisfiable: check, never assume.
    if (range === undefined || range.start !== wantStart || range.total === undefined || range.total !== wantTotal || range.end !== range.total - 1) {
      await answer.cancel();
      throw new IntegrityError(`${shown}: the server answered 206 with Content-Range ${String(answer.headers.get('content-range'))} for bytes ${wantStart}- (restarting the download)`);
    }
    appending = resumeFrom > 0;
    body.total = range.total;
  } else if (resumeFrom > 0) {
    // The server ignored our Range (or If-Range did not match): a full body follows.
    await body.reset();
  }
  if (appending) return true;
  if (answer.status !== 206) body.total = answer.declaredLength;
  if (expected.bytes !== undefined && body.total !== undefined && body.total !== expected.bytes) {
    await answer.cancel();
    throw new IntegrityError(`${shown}: the server announces ${body.total} bytes but ${expected.bytes} were expected`, {
      path: spec.destPath,
      expected: String(expected.bytes),
      actual: String(body.total),
    });
  }
  body.acceptsRanges = (answer.headers.get('accept-ranges') ?? '').toLowerCase().includes('bytes');
  const etag = answer.headers.get('etag');
  body.etag = etag !== null && !etag.startsWith('W/') ? etag : undefined;
  return false;
}

/** The content sniff's state after the body: decided, or the first bytes to decide on at the end. */
interface Sniffed {
  decided: boolean;
  head: Buffer;
}

/**
 * Streams the body into the temp file. After a lost connection the bytes so far are kept for a
 * resumed attempt, but only bytes already judged to be the right kind of content, and only once
 * they are all on disk (a resumed attempt continues from `written`, which the hashes must match).
 */
async function receive(answer: Answer, job: DownloadJob, appending: boolean): Promise<Sniffed> {
  const { body, req, spec, expected, sniff } = job;
  const { shown } = answer;
  const contentType = answer.headers.get('content-type');
  const state: Sniffed = { decided: sniff === 'any' || appending, head: Buffer.alloc(0) };
  try {
    await answer.read(async (chunk) => {
      // read() counts this attempt's bytes; after a resume the ceiling is on the whole file.
      if (req.maxBytes !== undefined && body.received + chunk.byteLength > req.maxBytes) {
        throw new BodyLimitError(`${shown}: the body passed ${body.received + chunk.byteLength} bytes, past the ${req.maxBytes} bytes allowed for it (${req.maxBytesReason}); aborted`, {
          path: spec.destPath,
          expected: `≤ ${req.maxBytes} bytes`,
        });
      }
      if (expected.bytes !== undefined && body.received + chunk.byteLength > expected.bytes) {
        throw new IntegrityError(`${shown}: the body is longer than the expected ${expected.bytes} bytes`, {
          path: spec.destPath,
          expected: String(expected.bytes),
        });
      }
      if (!state.decided) {
        state.head = Buffer.concat([state.head, chunk]).subarray(0, 64);
        const verdict = sniffHead(sniff, state.head, contentType, false);
        if (verdict.ok === false) throw new IntegrityError(`${shown}: ${verdict.reason}`, { path: spec.destPath });
        state.decided = verdict.ok === true;
      }
      await body.append(chunk);
    });
  } catch (err) {
    const canResume = state.decided && body.acceptsRanges && body.total !== undefined && req.method === 'GET' && !('range' in req.headers);
    if (err instanceof NetworkError && body.received > 0 && canResume) {
      await body.flush();
      body.resumable = true;
    }
    throw err;
  }
  return state;
}

/** The stored body's checks: content kind, announced length, size / md5, JSON syntax, `validate`. */
async function checkStored(answer: Answer, job: DownloadJob, sniffed: Sniffed): Promise<void> {
  const { body, req, spec, expected, sniff } = job;
  const { shown } = answer;
  if (!sniffed.decided) {
    const verdict = sniffHead(sniff, sniffed.head, answer.headers.get('content-type'), true);
    if (verdict.ok !== true) {
      const Kind = body.written === 0 ? EmptyBodyError : IntegrityError;
      throw new Kind(`${shown}: ${verdict.ok === false ? verdict.reason : 'undecidable body'}`, { path: spec.destPath });
    }
  }
  if (body.total !== undefined && body.written !== body.total) {
    throw new IntegrityError(`${shown}: stored ${body.written} bytes but the server announced ${body.total}`, { path: spec.destPath });
  }
  const md5 = body.md5?.copy().digest('hex') ?? null;
  const sha256 = body.sha256.copy().digest('hex');
  checkStoredBody(shown, body.written, md5, expected, spec.destPath);
  body.inspector?.end();
  if (sniff === 'json' && body.inspector === undefined && body.written <= MAX_MEMORY_BODY_BYTES) {
    let raw: Buffer;
    try {
      raw = await readFile(body.path);
    } catch (err) {
      throw toDiskError(err, body.path, 'read back');
    }
    const parsed = parseJsonBody(raw);
    if (!parsed.ok) throw new IntegrityError(`${shown}: ${req.redact(parsed.reason)}`, { path: spec.destPath });
  }
  if (spec.validate !== undefined) await spec.validate(body.path, { bytes: body.written, sha256, md5, head: body.head() });
}

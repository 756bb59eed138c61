/**
 * The in-memory operations, `json` and `buffer`: a whole body read into memory (bounded, sniffed
 * from its first bytes), then parsed or checked against the expected size and md5.
 */
import { createHash } from 'node:crypto';
import { HttpError, IntegrityError } from '../errors.js';
import type { Answer } from './attempt.js';
import { attempt } from './attempt.js';
import { checkStoredBody } from './check-answer.js';
import { EmptyBodyError } from './content-errors.js';
import type { EngineContext } from './engine-context.js';
import { MAX_MEMORY_BODY_BYTES } from './engine-context.js';
import { checkExpectations, checkSniffKind, prepareRequest } from './prepared-request.js';
import { parseJsonBody, sniffHead } from './sniff.js';
import type { BufferResult, JsonResult, RequestSpec, Sniff } from './types.js';

interface MemoryBody {
  data: Buffer;
  /** Empty when not asked for (JSON answers need no hash). */
  md5: string;
  sha256: string;
}

/**
 * Reads a whole body into memory, bounded by MAX_MEMORY_BODY_BYTES, rejecting a wrong-looking
 * body (HTML, empty, bad signature) from its first bytes without reading the rest.
 */
async function readMemoryBody(answer: Answer, method: string, sniff: Sniff, hash: boolean): Promise<MemoryBody> {
  const { shown } = answer;
  const contentType = answer.headers.get('content-type');
  const announced = answer.declaredLength;
  const tooLarge = (n: number): HttpError =>
    new HttpError(answer.status, shown, `${method} ${shown}: the body (${n} bytes) exceeds the ${MAX_MEMORY_BODY_BYTES}-byte limit for in-memory answers`);
  // A tighter ceiling (req.maxBytes) is enforced by `answer.read` with its own message.
  if (announced !== undefined && announced > MAX_MEMORY_BODY_BYTES) throw tooLarge(announced);
  const parts: Uint8Array[] = [];
  const md5 = hash ? createHash('md5') : null;
  const sha256 = hash ? createHash('sha256') : null;
  let total = 0;
  let head = Buffer.alloc(0);
  let decided = sniff === 'any';
  await answer.read((chunk) => {
    total += chunk.byteLength;
    if (total > MAX_MEMORY_BODY_BYTES) throw tooLarge(total);
    parts.push(chunk);
    md5?.update(chunk);
    sha256?.update(chunk);
    if (!decided) {
      head = Buffer.concat([head, chunk]).subarray(0, 64);
      const verdict = sniffHead(sniff, head, contentType, false);
      if (verdict.ok === false) throw new IntegrityError(`${shown}: ${verdict.reason}`);
      decided = verdict.ok === true;
    }
  });
  const data = Buffer.concat(parts, total);
  // The whole body is in: the server's part is over, the lane slot goes back before our checks.
  answer.releaseLane();
  if (!decided) {
    const verdict = sniffHead(sniff, data, contentType, true);
    if (verdict.ok !== true) {
      const Kind = total === 0 ? EmptyBodyError : IntegrityError;
      throw new Kind(`${shown}: ${verdict.ok === false ? verdict.reason : 'undecidable body'}`);
    }
  }
  return { data, md5: md5?.digest('hex') ?? '', sha256: sha256?.digest('hex') ?? '' };
}

export async function fetchJson<T>(ctx: EngineContext, spec: RequestSpec): Promise<JsonResult<T>> {
  const req = prepareRequest(ctx, spec, 'json');
  return attempt(ctx, req, async (one) => {
    const answer = await one.open();
    const { data } = await readMemoryBody(answer, req.method, 'json', false);
    const parsed = parseJsonBody(data);
    if (!parsed.ok) throw new IntegrityError(`${answer.shown}: ${req.redact(parsed.reason)}`);
    return { data: parsed.value as T, status: answer.status, headers: answer.headers, raw: data };
  });
}

export async function fetchBuffer(
  ctx: EngineContext,
  spec: RequestSpec & { sniff: Sniff; expectedBytes?: number; expectedMd5?: string },
): Promise<BufferResult> {
  const expected = checkExpectations(spec);
  // A known size is the ceiling (a mask: the listing's `size`), aborted the moment it is passed.
  const ceiling = expected.bytes !== undefined && spec.maxBytes === undefined && spec.method !== 'HEAD' ? { maxBytes: expected.bytes, maxBytesReason: 'the size the file listing gives' } : {};
  const req = prepareRequest(ctx, { ...spec, ...ceiling }, 'buffer');
  const sniff = checkSniffKind(spec.sniff);
  return attempt(ctx, req, async (one) => {
    const answer = await one.open();
    const { shown } = answer;
    const announced = answer.declaredLength;
    if (expected.bytes !== undefined && announced !== undefined && announced !== expected.bytes) {
      throw new IntegrityError(`${shown}: the server announces ${announced} bytes but ${expected.bytes} were expected`, {
        expected: String(expected.bytes),
        actual: String(announced),
      });
    }
    // A HEAD answer has no body to sniff.
    const body = await readMemoryBody(answer, req.method, req.method === 'HEAD' ? 'any' : sniff, true);
    if (req.method !== 'HEAD') checkStoredBody(shown, body.data.length, body.md5, expected, undefined);
    return { data: body.data, status: answer.status, headers: answer.headers, md5: body.md5, sha256: body.sha256 };
  });
}


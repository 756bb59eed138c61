/**
 * Request phase 4, judge the answer: a non-success status becomes the explained HttpError (with
 * its Retry-After kept for the retry loop), and the size / md5 checks every stored body passes.
 */
import { IntegrityError } from '../errors.js';
import type { AttemptScope } from './attempt-scope.js';
import { EmptyBodyError } from './content-errors.js';
import type { EngineContext } from './engine-context.js';
import { ERROR_BODY_BYTES } from './engine-context.js';
import { statusError } from './http-status-error.js';
import type { OpenedResponse } from './open-response.js';
import type { PreparedRequest } from './prepared-request.js';
import { readBody } from './read-body.js';
import { parseRetryAfter } from './retry-policy.js';

/** Retry-After of a failed answer, kept beside the error rather than inside the shared error type. */
export const retryAfterOf = new WeakMap<object, number>();

function isSuccess(req: PreparedRequest, status: number): boolean {
  if (req.acceptStatus.has(status)) return true;
  // figshare answers scripts with 202 + an HTML bot challenge: not content (docs/protocols.md#figshare-downloads).
  return status >= 200 && status <= 299 && status !== 202;
}

/** Throws the explained HttpError for a non-success answer (after reading a bit of its body). */
export async function ensureSuccess(ctx: EngineContext, req: PreparedRequest, opened: OpenedResponse, scope: AttemptScope): Promise<void> {
  const { status } = opened.response;
  if (isSuccess(req, status)) return;
  const parts: Uint8Array[] = [];
  try {
    await readBody(ctx, req, opened, scope, (chunk) => void parts.push(chunk), { stopAfter: ERROR_BODY_BYTES });
  } catch {
    // The status already tells the story; a broken error body adds nothing.
  }
  const body = Buffer.concat(parts).subarray(0, ERROR_BODY_BYTES).toString('utf8');
  const error = statusError({
    status,
    method: req.method,
    url: req.redact(opened.url),
    body: req.redact(body),
    redirected: opened.redirected,
  });
  const retryAfter = parseRetryAfter(opened.response.headers.get('retry-after'), Date.now());
  if (retryAfter !== undefined) retryAfterOf.set(error, retryAfter);
  throw error;
}

/** Size and md5 checks shared by buffer() and download(); failures are retryable source faults. */
export function checkStoredBody(shown: string, bytes: number, md5: string | null, expected: { bytes?: number; md5?: string }, path: string | undefined): void {
  if (expected.bytes !== undefined && bytes !== expected.bytes) {
    throw new IntegrityError(`${shown}: received ${bytes} bytes but ${expected.bytes} were expected`, {
      path,
      expected: String(expected.bytes),
      actual: String(bytes),
    });
  }
  if (bytes === 0 && expected.bytes !== 0) {
    throw new EmptyBodyError(`${shown}: the server sent an empty body (0 bytes) where content was expected`, { path });
  }
  if (expected.md5 !== undefined && md5 !== expected.md5) {
    throw new IntegrityError(`${shown}: md5 ${md5 ?? '(not computed)'} does not match the expected ${expected.md5}`, {
      path,
      expected: expected.md5,
      actual: md5 ?? undefined,
    });
  }
}

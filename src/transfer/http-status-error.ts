/**
 * Turns a non-success HTTP answer into an HttpError whose message says what happened and what to
 * do, because a bare "403" is the most common dead end in download tools (docs/protocols.md#retries-and-status-codes). Pure.
 */
import { HttpError } from '../errors.js';
import { isRetryableStatus } from './retry-policy.js';

/** Pulls the server's own explanation out of an error body: Girder and figshare both use `message`. */
export function serverMessage(body: string): string | undefined {
  const text = body.trim();
  if (text.startsWith('{')) {
    try {
      const parsed = JSON.parse(text) as unknown;
      if (parsed && typeof parsed === 'object') {
        const m = (parsed as { message?: unknown }).message;
        if (typeof m === 'string' && m.trim() !== '') return m.trim().slice(0, 300);
      }
    } catch {
      // Not JSON after all: fall through to "no message".
    }
  }
  return undefined;
}

export interface StatusErrorInput {
  status: number;
  method: string;
  /** Already redacted. */
  url: string;
  /** Up to a few KiB of the error body (already redacted). */
  body: string;
  /** The answer came from a redirect target (e.g. an expired pre-signed object-store URL). */
  redirected: boolean;
}

export function statusError(input: StatusErrorInput): HttpError {
  const { status, method, url, redirected } = input;
  const said = serverMessage(input.body);
  const suffix = said === undefined ? '' : ` (server said: ${said})`;
  const head = `${method} ${url} answered ${status}`;
  // An object store refusing a pre-signed URL means the signature expired: ask the origin again.
  if (redirected && (status === 403 || status === 400)) {
    return new HttpError(status, url, `${head}: the redirect target refused the request, probably an expired signed URL${suffix}`, {
      retryable: true,
    });
  }
  const retryable = isRetryableStatus(status);
  switch (status) {
    case 401:
      return new HttpError(status, url, `${head}: authentication required: set BCSS_API_KEY or use --login${suffix}`, {
        hint: 'Public BCSS data needs no key; a 401 means this resource is private or the key was rejected.',
      });
    case 403:
      return new HttpError(status, url, `${head}: access denied: your account or key may not read this resource${suffix}`, {
        hint: 'Check that the key belongs to an account with read access; controlled GDC files need an X-Auth-Token.',
      });
    case 404:
      return new HttpError(status, url, `${head}: not found: the resource does not exist (or is not visible to you)${suffix}`, {
        hint: 'Check the id/URL; the source may have moved or been unpublished.',
      });
    case 410:
      return new HttpError(status, url, `${head}: gone: the source removed this resource${suffix}`);
    case 400:
      return new HttpError(status, url, `${head}: bad request${suffix === '' ? '' : ':'}${said === undefined ? '' : ` ${said}`}`);
    case 422:
      return new HttpError(status, url, `${head}: the server rejected the request parameters${suffix}`);
    case 429:
      return new HttpError(status, url, `${head}: rate limited by the server${suffix}`, {
        retryable,
        hint: 'Lower the concurrency or the request rate for this source and try again later.',
      });
    case 202:
      return new HttpError(status, url, `${head}: the server accepted but did not deliver the content (often a bot challenge page)`, {
        retryable: true,
      });
    default:
      return new HttpError(status, url, `${head}${suffix}`, {
        retryable,
        ...(status >= 500 ? { hint: 'The server is having trouble; try again later.' } : {}),
      });
  }
}

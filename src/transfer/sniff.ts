/**
 * Content sniffing: decide from the first bytes (and the Content-Type) whether a body can be what
 * the caller asked for. HTML error pages, WAF/bot challenges (figshare 202 pages) and 0-byte bodies
 * are the classic "checksum error that is really an interstitial" (docs/protocols.md#content-sniffing), so they are
 * rejected before anything is stored. Pure.
 */
import type { Sniff } from './types.js';

export const PNG_SIGNATURE: readonly number[] = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

export type SniffVerdict =
  | { readonly ok: true }
  | { readonly ok: false; readonly reason: string }
  /** Not enough bytes yet to decide; call again with more (or with `complete`). */
  | { readonly ok: undefined };

const OK: SniffVerdict = { ok: true };
const MORE: SniffVerdict = { ok: undefined };

function isHtmlType(contentType: string | null | undefined): boolean {
  if (!contentType) return false;
  const mime = contentType.split(';')[0]?.trim().toLowerCase() ?? '';
  return mime === 'text/html' || mime === 'application/xhtml+xml';
}

function isWhitespace(byte: number): boolean {
  return byte === 0x20 || byte === 0x09 || byte === 0x0a || byte === 0x0d;
}

/** A short, printable excerpt of the body for messages (no control bytes, bounded length). */
export function describeHead(head: Uint8Array): string {
  const text = Buffer.from(head.subarray(0, 40)).toString('latin1').replace(/[^\x20-\x7e]/g, '.');
  return JSON.stringify(text);
}

/**
 * Checks the body prefix `head` against `kind`. `complete` says `head` is the whole body, so
 * "need more bytes" becomes a verdict.
 */
export function sniffHead(kind: Sniff, head: Uint8Array, contentType: string | null | undefined, complete: boolean): SniffVerdict {
  if (kind === 'any') return OK;
  if (isHtmlType(contentType)) {
    return { ok: false, reason: `expected ${kind.toUpperCase()} but the server sent an HTML page (Content-Type ${contentType})` };
  }
  if (complete && head.length === 0) return { ok: false, reason: `expected ${kind.toUpperCase()} but the body is empty (0 bytes)` };
  if (kind === 'png') {
    const n = Math.min(head.length, PNG_SIGNATURE.length);
    for (let i = 0; i < n; i++) {
      if (head[i] !== PNG_SIGNATURE[i]) {
        return { ok: false, reason: `expected a PNG but the body starts with ${describeHead(head)}` };
      }
    }
    if (n === PNG_SIGNATURE.length) return OK;
    return complete ? { ok: false, reason: `expected a PNG but the body is only ${head.length} bytes` } : MORE;
  }
  // json: the first non-whitespace byte must open an object or an array.
  for (let i = 0; i < head.length; i++) {
    const b = head[i] as number;
    if (isWhitespace(b)) continue;
    if (b === 0x7b || b === 0x5b) return OK;
    return { ok: false, reason: `expected JSON but the body starts with ${describeHead(head.subarray(i))}` };
  }
  return complete ? { ok: false, reason: 'expected JSON but the body is only whitespace' } : MORE;
}

/**
 * Full check of a complete JSON body. Girder can emit invalid JSON (e.g. a doubled separator in a
 * streamed annotation), so a parse failure is a source fault, reported with the offending position.
 */
export function parseJsonBody(raw: Buffer): { ok: true; value: unknown } | { ok: false; reason: string } {
  try {
    return { ok: true, value: JSON.parse(raw.toString('utf8')) as unknown };
  } catch (err) {
    const detail = err instanceof Error ? err.message : String(err);
    return { ok: false, reason: `the body is not valid JSON (${detail.slice(0, 200)})` };
  }
}

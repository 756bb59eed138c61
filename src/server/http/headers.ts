import { randomUUID } from 'node:crypto';
import type { ServerResponse } from 'node:http';

/** Every Girder REST response carries a request uid (Girder >= 3.0). */
export function setRequestUid(res: ServerResponse): string {
  const uid = randomUUID();
  res.setHeader('Girder-Request-Uid', uid);
  return uid;
}

/** Girder's default caching headers, unless an endpoint sets its own (tile routes do). */
export function setNoCache(res: ServerResponse): void {
  res.setHeader('Cache-Control', 'no-cache, must-revalidate');
  res.setHeader('Pragma', 'no-cache');
  res.setHeader('Expires', 'Thu, 01 Jan 1970 00:00:00 GMT');
}

/** Python's `urllib.parse.quote` of the UTF-8 bytes (safe = letters, digits, `_.-~/`). */
export function pythonQuote(text: string): string {
  let out = '';
  for (const byte of Buffer.from(text, 'utf8')) {
    const c = String.fromCharCode(byte);
    out += /[A-Za-z0-9_.\-~/]/.test(c) ? c : '%' + byte.toString(16).toUpperCase().padStart(2, '0');
  }
  return out;
}

/**
 * Girder's `setContentDisposition`: the latin-1 name (other characters dropped) with `\` and `"`
 * escaped, plus an RFC 5987 `filename*` when the name is not plain ASCII.
 */
export function girderContentDisposition(filename: string, disposition: 'attachment' | 'inline'): string {
  const latin1 = [...filename].filter((c) => (c.codePointAt(0) as number) <= 0xff).join('');
  const safe = latin1.replace(/\\/g, '\\\\').replace(/"/g, '\\"');
  // eslint-disable-next-line no-control-regex
  const ascii = /^[\x00-\x7f]*$/.test(filename);
  return `${disposition}; filename="${safe}"` + (ascii ? '' : `; filename*=UTF-8''${pythonQuote(filename)}`);
}

/** An RFC 7231 HTTP-date. */
export function httpDate(ms: number): string {
  return new Date(ms).toUTCString();
}

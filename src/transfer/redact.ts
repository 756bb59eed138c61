/**
 * Secret hygiene: every URL or message that leaves the transfer engine (errors, events) passes
 * through a redactor. Besides the caller's known secrets, credential-looking query parameters and
 * header values are masked, because girder-client historically put `key=` in URLs (docs/protocols.md#secrets)
 * and pre-signed object-store URLs carry signatures.
 */

export const REDACTED = '***';

/** Header names whose values are credentials, whatever the caller declared. */
export const ALWAYS_SECRET_HEADERS: readonly string[] = ['authorization', 'girder-token', 'x-auth-token'];

// Query parameter names that carry credentials: `token`, `key`, `api_key`, `access_token`,
// `X-Amz-Signature`, `X-Amz-Security-Token`, `password`, …
const QUERY_SECRET = /([?&;](?:[\w.-]*(?:token|key|signature|password|passwd|secret|credential)|sig)=)[^&#\s"'<>]*/gi;
// `Girder-Token: abc`, `Authorization: token abc`, `"X-Auth-Token": "abc"` inside free text.
const HEADER_SECRET = /((?:girder-token|authorization|x-auth-token)["']?\s*[:=]\s*["']?)[^\r\n"',;}]+/gi;
// user:password@host in URLs.
const URL_PASSWORD = /(\b[a-z][a-z0-9+.-]*:\/\/[^/\s:@]*:)[^/\s@]*@/gi;

export type Redactor = (text: string) => string;

/** Builds a redactor over the current secrets (read on every call, so late-loaded keys count). */
export function createRedactor(secrets: () => readonly string[] = () => []): Redactor {
  return (text: string): string => {
    let out = text;
    const known = expandSecrets(secrets());
    for (const secret of known) out = out.split(secret).join(REDACTED);
    out = out.replace(QUERY_SECRET, `$1${REDACTED}`);
    out = out.replace(HEADER_SECRET, `$1${REDACTED}`);
    out = out.replace(URL_PASSWORD, `$1${REDACTED}@`);
    return out;
  };
}

/** Each secret also appears percent-encoded in URLs; longest first so overlaps mask fully. */
function expandSecrets(secrets: readonly string[]): string[] {
  const set = new Set<string>();
  for (const s of secrets) {
    if (typeof s !== 'string' || s.length === 0) continue;
    set.add(s);
    set.add(encodeURIComponent(s));
    set.add(new URLSearchParams({ x: s }).toString().slice(2));
  }
  return [...set].sort((a, b) => b.length - a.length);
}

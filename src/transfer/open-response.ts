/**
 * Request phase 3, send: the request goes out with the headers timeout, and redirects are
 * followed here, not by the HTTP client, so credentials are dropped when the origin changes and
 * an https → http downgrade is refused.
 */
import { HttpError, NetworkError } from '../errors.js';
import type { AttemptScope } from './attempt-scope.js';
import type { EngineContext } from './engine-context.js';
import { MAX_REDIRECTS } from './engine-context.js';
import type { PreparedRequest } from './prepared-request.js';
import type { WireResponse } from './wire.js';

const REDIRECT_STATUS = new Set([301, 302, 303, 307, 308]);

function originOf(url: URL): string {
  return `${url.protocol}//${url.host}`;
}

export interface OpenedResponse {
  response: WireResponse;
  /** Where the answer came from (after redirects), unredacted. */
  url: string;
  redirected: boolean;
}

/** The request as the next hop sends it (redirects may change all of it). */
interface Hop {
  url: URL;
  method: string;
  body: string | undefined;
  headers: Record<string, string>;
  /** Credentials were dropped once: they stay dropped, even if a later hop comes back home. */
  strip: boolean;
}

/**
 * Sends the request, following up to MAX_REDIRECTS redirects itself so it can drop credentials
 * when the origin changes and refuse https → http downgrades (docs/protocols.md#redirects). Every hop counts as
 * a request. `extraHeaders` (e.g. Range) are added for this attempt only.
 */
export async function openResponse(
  ctx: EngineContext,
  req: PreparedRequest,
  scope: AttemptScope,
  extraHeaders: Readonly<Record<string, string>> = {},
): Promise<OpenedResponse> {
  let hop: Hop = { url: new URL(req.url), method: req.method, body: req.body, headers: { ...req.headers, ...extraHeaders }, strip: false };
  const startOrigin = originOf(hop.url);
  for (let n = 0; ; n++) {
    const shown = req.redact(hop.url.href);
    const response = await sendHop(ctx, req, scope, hop);
    const location = response.headers.get('location');
    if (!REDIRECT_STATUS.has(response.status) || req.acceptStatus.has(response.status) || location === null) {
      return { response, url: hop.url.href, redirected: n > 0 };
    }
    await response.body?.cancel().catch(() => undefined);
    if (n >= MAX_REDIRECTS) {
      throw new HttpError(response.status, shown, `${hop.method} ${req.redact(req.url)}: more than ${MAX_REDIRECTS} redirects; last went to ${shown}`);
    }
    hop = redirectedHop(req, hop, response.status, location, startOrigin);
    if (req.redirectLane !== undefined && scope.lane !== req.redirectLane) {
      try {
        await scope.moveToLane(req.redirectLane, ctx.lane(req.redirectLane));
      } catch (err) {
        throw scope.translate(err, shown, `waiting to follow the redirect of`, req.redact);
      }
    }
  }
}

/** One request on the wire, under the headers timeout. */
async function sendHop(ctx: EngineContext, req: PreparedRequest, scope: AttemptScope, hop: Hop): Promise<WireResponse> {
  const shown = req.redact(hop.url.href);
  const lane = scope.lane || req.lane;
  ctx.stats.requests++;
  ctx.emit({ type: 'request', lane, url: shown, attempt: scope.number });
  const timer = setTimeout(
    () => scope.fail(new NetworkError(shown, `no response from ${shown} within ${ctx.headersTimeoutMs} ms`)),
    ctx.headersTimeoutMs,
  );
  let response: WireResponse;
  try {
    response = await ctx.fetch(hop.url.href, {
      method: hop.method,
      headers: hop.headers,
      redirect: 'manual',
      signal: scope.signal,
      ...(hop.body === undefined ? {} : { body: hop.body }),
    });
  } catch (err) {
    throw scope.translate(err, shown, `${hop.method} request failed:`, req.redact);
  } finally {
    clearTimeout(timer);
  }
  ctx.emit({ type: 'response', lane, url: shown, status: response.status });
  return response;
}

/** The hop a redirect leads to, or the HttpError that refuses to follow it. */
function redirectedHop(req: PreparedRequest, hop: Hop, status: number, location: string, startOrigin: string): Hop {
  const { url, method } = hop;
  const shown = req.redact(url.href);
  let next: URL;
  try {
    next = new URL(location, url);
  } catch {
    throw new HttpError(status, shown, `${method} ${shown} redirected to an invalid location ${req.redact(location)}`);
  }
  if (url.protocol === 'https:' && next.protocol !== 'https:') {
    throw new HttpError(status, shown, `${method} ${shown} redirected from https to ${req.redact(next.href)}: refusing the downgrade`, {
      hint: 'An https source must never send credentials or data over plain http; report this to the server operator.',
    });
  }
  if (next.protocol !== 'https:' && next.protocol !== 'http:') {
    throw new HttpError(status, shown, `${method} ${shown} redirected to an unsupported URL ${req.redact(next.href)}`);
  }
  if (req.secretIn !== null && originOf(next) !== startOrigin) {
    // Headers can be stripped; a body (307/308 re-send it) or a URL cannot. Refuse, whatever the status.
    throw new HttpError(
      status,
      shown,
      `${method} ${req.redact(req.url)} carries a credential in its ${req.secretIn} and was redirected (${status}) to another origin, ${req.redact(originOf(next))}: refusing to follow it`,
      { hint: 'A server must not send credentials elsewhere; check the --api-url (or the service URL) and report the redirect to its operator.' },
    );
  }
  const out: Hop = { ...hop, url: next };
  if (hop.strip || originOf(next) !== startOrigin) {
    out.strip = true;
    out.headers = Object.fromEntries(Object.entries(out.headers).filter(([name]) => !req.secretHeaders.has(name)));
  }
  // 303 always, and 301/302 after a POST, become a GET without body (what browsers and curl do).
  if (status === 303 || ((status === 301 || status === 302) && method === 'POST')) {
    if (method !== 'HEAD') out.method = 'GET';
    out.body = undefined;
    out.headers = Object.fromEntries(Object.entries(out.headers).filter(([name]) => name !== 'content-type' && name !== 'content-length'));
  }
  return out;
}

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

/**
 * Sends the request, following up to MAX_REDIRECTS redirects itself so it can drop credentials
 * when the origin changes and refuse https → http downgrades (prior-art §5.9). Every hop counts as
 * a request. `extraHeaders` (e.g. Range) are added for this attempt only.
 */
export async function openResponse(
  ctx: EngineContext,
  req: PreparedRequest,
  scope: AttemptScope,
  extraHeaders: Readonly<Record<string, string>> = {},
): Promise<OpenedResponse> {
  let url = new URL(req.url);
  let method: string = req.method;
  let body = req.body;
  let headers: Record<string, string> = { ...req.headers, ...extraHeaders };
  const startOrigin = originOf(url);
  let strip = false;
  for (let hop = 0; ; hop++) {
    const shown = req.redact(url.href);
    const lane = scope.lane || req.lane;
    ctx.stats.requests++;
    ctx.emit({ type: 'request', lane, url: shown, attempt: scope.number });
    const timer = setTimeout(
      () => scope.fail(new NetworkError(shown, `no response from ${shown} within ${ctx.headersTimeoutMs} ms`)),
      ctx.headersTimeoutMs,
    );
    let response: WireResponse;
    try {
      response = await ctx.fetch(url.href, {
        method,
        headers,
        redirect: 'manual',
        signal: scope.signal,
        ...(body === undefined ? {} : { body }),
      });
    } catch (err) {
      throw scope.translate(err, shown, `${method} request failed:`, req.redact);
    } finally {
      clearTimeout(timer);
    }
    ctx.emit({ type: 'response', lane, url: shown, status: response.status });
    const location = response.headers.get('location');
    if (!REDIRECT_STATUS.has(response.status) || req.acceptStatus.has(response.status) || location === null) {
      return { response, url: url.href, redirected: hop > 0 };
    }
    await response.body?.cancel().catch(() => undefined);
    if (hop >= MAX_REDIRECTS) {
      throw new HttpError(response.status, shown, `${method} ${req.redact(req.url)}: more than ${MAX_REDIRECTS} redirects; last went to ${shown}`);
    }
    let next: URL;
    try {
      next = new URL(location, url);
    } catch {
      throw new HttpError(response.status, shown, `${method} ${shown} redirected to an invalid location ${req.redact(location)}`);
    }
    if (url.protocol === 'https:' && next.protocol !== 'https:') {
      throw new HttpError(response.status, shown, `${method} ${shown} redirected from https to ${req.redact(next.href)}: refusing the downgrade`, {
        hint: 'An https source must never send credentials or data over plain http; report this to the server operator.',
      });
    }
    if (next.protocol !== 'https:' && next.protocol !== 'http:') {
      throw new HttpError(response.status, shown, `${method} ${shown} redirected to an unsupported URL ${req.redact(next.href)}`);
    }
    if (req.secretIn !== null && originOf(next) !== startOrigin) {
      // Headers can be stripped; a body (307/308 re-send it) or a URL cannot. Refuse, whatever the status.
      throw new HttpError(
        response.status,
        shown,
        `${method} ${req.redact(req.url)} carries a credential in its ${req.secretIn} and was redirected (${response.status}) to another origin, ${req.redact(originOf(next))}: refusing to follow it`,
        { hint: 'A server must not send credentials elsewhere; check the --api-url (or the service URL) and report the redirect to its operator.' },
      );
    }
    // Once credentials were dropped they stay dropped, even if a later hop comes back home.
    if (strip || originOf(next) !== startOrigin) {
      strip = true;
      headers = Object.fromEntries(Object.entries(headers).filter(([name]) => !req.secretHeaders.has(name)));
    }
    // 303 always, and 301/302 after a POST, become a GET without body (what browsers and curl do).
    if (response.status === 303 || ((response.status === 301 || response.status === 302) && method === 'POST')) {
      if (method !== 'HEAD') method = 'GET';
      body = undefined;
      headers = Object.fromEntries(Object.entries(headers).filter(([name]) => name !== 'content-type' && name !== 'content-length'));
    }
    if (req.redirectLane !== undefined && scope.lane !== req.redirectLane) {
      try {
        await scope.moveToLane(req.redirectLane, ctx.lane(req.redirectLane));
      } catch (err) {
        throw scope.translate(err, shown, `waiting to follow the redirect of`, req.redact);
      }
    }
    url = next;
  }
}

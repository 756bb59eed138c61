/**
 * The engine's default way to send one HTTP request: `node:http`/`node:https` behind the fetch
 * subset of wire.ts (status, `headers.get`, a body reader, `cancel`). Redirects, timeouts,
 * retries, sniffing and secrets stay in the engine; tests may inject any fetch instead.
 *
 * Why not undici (issue 13, measured 2026-12-02 on the 2-core dev machine, `npm run bench --
 * --only S1 --runs 3`, both wires on one build, alternated): undici 7.30 `request` over a
 * keep-alive `Agent` made S1 slower. Cleanest round, median (min–max) of 3: wall 3.93 s
 * (3.40–3.99) vs 3.45 s (3.42–3.53) here, +14 %; client CPU 2.16 s (1.97–2.34) vs 2.10 s
 * (1.86–2.32). All 12 runs each (a busy machine): CPU 2.35 s vs 2.01 s, +17 %. The bar was
 * "no more than 5 % worse", so this client stays. S1 is 606 requests; per request, the main
 * thread's time between one region's last byte and the next request is time a DSA render
 * slot sits idle.
 */
import http from 'node:http';
import type https from 'node:https';
import type { ResponseHeaders } from './types.js';
import type { WireBody, WireFetch, WireReadResult, WireReader, WireResponse } from './wire.js';


/**
 * Connections are reused (keep-alive); an idle one is closed after 4 s, before a typical server's
 * own idle timeout (5 s for Node and CherryPy), so a request is not sent on a socket the server
 * is closing. Idle sockets do not keep the process alive.
 */
const AGENT_OPTIONS = { keepAlive: true, timeout: 4000, scheduling: 'lifo' } as const;
const httpAgent = new http.Agent(AGENT_OPTIONS);
// node:https (and TLS) is loaded on the first https request: the local demo never needs it.
let tls: Promise<{ lib: typeof https; agent: https.Agent }> | null = null;
function httpsClient(): Promise<{ lib: typeof https; agent: https.Agent }> {
  tls ??= import('node:https').then((m) => ({ lib: m.default, agent: new m.default.Agent(AGENT_OPTIONS) }));
  return tls;
}

class IncomingHeaders implements ResponseHeaders {
  readonly #raw: http.IncomingHttpHeaders;

  constructor(raw: http.IncomingHttpHeaders) {
    this.#raw = raw;
  }

  get(name: string): string | null {
    const v = this.#raw[name.toLowerCase()];
    if (v === undefined) return null;
    return Array.isArray(v) ? v.join(', ') : v;
  }
}

/** Chunks are buffered up to this many bytes before the stream is paused (backpressure). */
const QUEUE_BYTES = 256 * 1024;

/**
 * A pull reader over the response stream: one chunk per `read()`. Plain events, not the stream's
 * async iterator: that one builds an error object (with a stack) for every response that is
 * closed early, which each redirect's empty body is.
 */
class IncomingBody implements WireBody {
  readonly #res: http.IncomingMessage;
  readonly #chunks: Buffer[] = [];
  #queued = 0;
  #ended = false;
  #error: Error | null = null;
  #wake: (() => void) | null = null;

  constructor(res: http.IncomingMessage) {
    this.#res = res;
    res.on('data', (chunk: Buffer) => {
      this.#chunks.push(chunk);
      this.#queued += chunk.length;
      if (this.#queued >= QUEUE_BYTES) res.pause();
      this.#notify();
    });
    res.on('end', () => {
      this.#ended = true;
      this.#notify();
    });
    res.on('error', (err: Error) => {
      this.#error ??= err;
      this.#notify();
    });
    res.on('close', () => {
      // Closed before its end without an error of its own: the connection went away.
      if (!this.#ended && this.#error === null) this.#error = Object.assign(new Error('aborted'), { code: 'ECONNRESET' });
      this.#notify();
    });
  }

  #notify(): void {
    const wake = this.#wake;
    this.#wake = null;
    wake?.();
  }

  async #read(): Promise<WireReadResult> {
    for (;;) {
      const chunk = this.#chunks.shift();
      if (chunk !== undefined) {
        this.#queued -= chunk.length;
        if (this.#queued < QUEUE_BYTES && this.#res.isPaused() && !this.#ended) this.#res.resume();
        return { done: false, value: chunk };
      }
      if (this.#error !== null) throw this.#error;
      if (this.#ended) return { done: true };
      await new Promise<void>((resolve) => (this.#wake = resolve));
    }
  }

  getReader(): WireReader {
    return { read: () => this.#read(), cancel: () => this.cancel() };
  }

  async cancel(): Promise<void> {
    if (this.#ended || this.#error !== null) return;
    this.#chunks.length = 0;
    this.#queued = 0;
    // A complete answer (a redirect's empty body, say) is drained so its connection is reused;
    // an incomplete one is cut, since its rest is not worth waiting for.
    if (this.#res.complete) this.#res.resume();
    else this.#res.destroy();
  }
}

export const nodeHttpFetch: WireFetch = async (url, init) => {
  const target = new URL(url);
  const client = target.protocol === 'https:' ? await httpsClient() : { lib: http, agent: httpAgent };
  return new Promise<WireResponse>((resolve, reject) => {
    const headers: Record<string, string> = { ...init.headers };
    if (init.body !== undefined) headers['content-length'] = String(Buffer.byteLength(init.body));
    const req = client.lib.request(target, { method: init.method, headers, agent: client.agent, signal: init.signal }, (res) => {
      // A HEAD answer, a 204 or a 304 has no body to read.
      const bodyless = init.method === 'HEAD' || res.statusCode === 204 || res.statusCode === 304;
      if (bodyless) res.resume();
      resolve({ status: res.statusCode ?? 0, headers: new IncomingHeaders(res.headers), body: bodyless ? null : new IncomingBody(res) });
    });
    req.on('error', reject);
    if (init.body !== undefined) req.end(init.body);
    else req.end();
  });
};

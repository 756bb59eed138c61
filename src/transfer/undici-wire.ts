/**
 * The engine's default way to send one HTTP request: undici's `request` over one keep-alive
 * `Agent`, behind the fetch subset of wire.ts. Redirects, timeouts, retries, sniffing and
 * secrets stay in the engine.
 *
 * MEASURED-REASON
 */
import type { Readable } from 'node:stream';
import type * as UndiciModule from 'undici';
import type { Agent, Dispatcher } from 'undici';
import type { ResponseHeaders } from './types.js';
import type { WireBody, WireFetch, WireReader, WireResponse } from './wire.js';

type Undici = typeof UndiciModule;

/**
 * Loaded on the first request, so a command that sends none (a rerun with nothing left to do,
 * `--help`) does not pay for it. Idle connections close after 4 s, before a typical server's own
 * idle timeout (5 s for Node and CherryPy), so a request is not sent on a socket being closed.
 * The Agent's own headers/body timeouts are off: the engine's (http-attempt.ts) are configurable
 * per transfer, name what timed out, and pause while a chunk is being written to disk.
 */
let client: Promise<{ undici: Undici; agent: Agent }> | null = null;
function undiciClient(): Promise<{ undici: Undici; agent: Agent }> {
  client ??= import('undici').then((undici) => ({
    undici,
    agent: new undici.Agent({ keepAliveTimeout: 4000, keepAliveMaxTimeout: 4000, headersTimeout: 0, bodyTimeout: 0 }),
  }));
  return client;
}

class RawHeaders implements ResponseHeaders {
  readonly #raw: Dispatcher.ResponseData['headers'];

  constructor(raw: Dispatcher.ResponseData['headers']) {
    this.#raw = raw;
  }

  get(name: string): string | null {
    const v = this.#raw[name.toLowerCase()];
    if (v === undefined) return null;
    return Array.isArray(v) ? v.join(', ') : v;
  }
}

/** A pull reader over undici's body stream, one chunk per `read()`. */
class StreamBody implements WireBody {
  readonly #stream: Readable;
  #iterator: AsyncIterator<Buffer> | null = null;

  constructor(stream: Readable) {
    this.#stream = stream;
  }

  getReader(): WireReader {
    this.#iterator ??= this.#stream[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
    const it = this.#iterator;
    return {
      read: async () => {
        const r = await it.next();
        return r.done === true ? { done: true } : { done: false, value: r.value };
      },
      cancel: () => this.cancel(),
    };
  }

  /**
   * A body undici has fully received (a redirect's empty one, say) is drained so its connection
   * is reused; an incomplete one is cut, since its rest is not worth waiting for. "Fully
   * received" is the stream's `ended` state, which undici's own `dump` also reads.
   */
  async cancel(): Promise<void> {
    const stream = this.#stream;
    if (stream.destroyed) return;
    // undici marks a body complete a moment after it hands over the headers, even when both
    // came in one packet: one turn of the event loop lets an empty redirect body finish.
    await new Promise((resolve) => setImmediate(resolve));
    // undici reports its own abort as a stream error; nobody is left to read it.
    stream.on('error', () => undefined);
    const received = (stream as unknown as { _readableState?: { ended?: boolean } })._readableState?.ended === true;
    if (received) stream.resume();
    else stream.destroy();
  }
}

export const undiciFetch: WireFetch = async (url, init) => {
  const { undici, agent } = await undiciClient();
  const res = await undici.request(url, {
    dispatcher: agent,
    method: init.method as Dispatcher.HttpMethod,
    headers: init.headers,
    signal: init.signal,
    ...(init.body === undefined ? {} : { body: init.body }),
  });
  // A HEAD answer, a 204 or a 304 has no body to read.
  const bodyless = init.method === 'HEAD' || res.statusCode === 204 || res.statusCode === 304;
  if (bodyless) await res.body.dump().catch(() => undefined);
  const answer: WireResponse = { status: res.statusCode, headers: new RawHeaders(res.headers), body: bodyless ? null : new StreamBody(res.body) };
  return answer;
};

/**
 * The subset of the fetch API the engine reads from an HTTP client: status, `headers.get`, a
 * body reader and `cancel`. A fetch `Response` has all of it, so tests may inject `fetch`
 * (TransferOptions.fetch); the default client is node-http-fetch.ts.
 */
import type { ResponseHeaders } from './types.js';

export interface WireReadResult {
  done: boolean;
  value?: Uint8Array;
}

export interface WireReader {
  read(): Promise<WireReadResult>;
  cancel(): Promise<void>;
}

export interface WireBody {
  getReader(): WireReader;
  cancel(): Promise<void>;
}

/** What the engine reads from an answer; a fetch `Response` has all of it. */
export interface WireResponse {
  readonly status: number;
  readonly headers: ResponseHeaders;
  readonly body: WireBody | null;
}

export interface WireInit {
  method: string;
  headers: Record<string, string>;
  redirect: 'manual';
  signal: AbortSignal;
  body?: string;
}

export type WireFetch = (url: string, init: WireInit) => Promise<WireResponse>;

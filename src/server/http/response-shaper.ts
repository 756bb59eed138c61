import type { OutgoingHttpHeaders, ServerResponse } from 'node:http';
import { Writable } from 'node:stream';
import type { TokenBucket } from './token-bucket.js';

/** How a body fault ends the response once half of it has been sent. */
export type BodyCut = 'reset' | 'truncate' | 'stall';

export interface ShapeOptions {
  /** Throttle every body byte through this (shared) bucket. */
  bucket?: TokenBucket | null;
  cut?: BodyCut | null;
  /** Called with the number of body bytes actually handed to the socket. */
  onBytes: (bytes: number) => void;
}

// ServerResponse.write/end/writeHead have several overloads; we re-implement them with these
// loose shapes and normalise the arguments ourselves.
type Callback = (err?: Error | null) => void;
type LooseWrite = (chunk: unknown, encoding?: unknown, cb?: unknown) => boolean;
type LooseEnd = (chunk?: unknown, encoding?: unknown, cb?: unknown) => ServerResponse;
type LooseWriteHead = (status: number, a?: unknown, b?: unknown) => ServerResponse;

function toBuffer(chunk: unknown, encoding: unknown): Buffer {
  if (Buffer.isBuffer(chunk)) return chunk;
  if (chunk instanceof Uint8Array) return Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
  return Buffer.from(String(chunk), typeof encoding === 'string' ? (encoding as BufferEncoding) : 'utf8');
}

function splitArgs(encoding: unknown, cb: unknown): { enc: unknown; cb: Callback | undefined } {
  if (typeof encoding === 'function') return { enc: undefined, cb: encoding as Callback };
  return { enc: encoding, cb: typeof cb === 'function' ? (cb as Callback) : undefined };
}

/**
 * Interpose on a response's body: count the bytes, and optionally throttle them and cut the body
 * half-way (connection reset, truncation with the full Content-Length, or a stall). Handlers keep
 * writing to `res` as usual, with normal backpressure.
 */
export function shapeResponse(res: ServerResponse, options: ShapeOptions): void {
  const origWrite = res.write.bind(res) as LooseWrite;
  const origEnd = res.end.bind(res) as LooseEnd;
  const { bucket, cut, onBytes } = options;

  if (!bucket && !cut) {
    countBytesOnly(res, origWrite, origEnd, onBytes);
    return;
  }
  headersIntoMap(res);
  const shaper = new BodyShaper(res, origWrite, bucket ?? null, cut ?? null, onBytes);

  const sink = new Writable({
    highWaterMark: 64 * 1024,
    write(chunk: Buffer, _enc, cb) {
      shaper.processChunk(chunk).then(() => cb(), cb);
    },
    final(cb) {
      const finish = async (): Promise<void> => {
        // A body fault needs a body: an empty answer (a redirect, a 0-byte region) is sent
        // whole, otherwise a "stall" would hold a finished exchange open until a client timeout.
        if (cut && !shaper.cutDone && shaper.received > 0) await shaper.doCut();
        if (!shaper.cutDone) origEnd();
      };
      finish().then(() => cb(), cb);
    },
  });
  sink.on('drain', () => res.emit('drain'));
  sink.on('error', () => res.destroy());

  (res as unknown as { write: LooseWrite }).write = (chunk, encoding, cb) => {
    const { enc, cb: done } = splitArgs(encoding, cb);
    return sink.write(toBuffer(chunk, enc), done);
  };
  (res as unknown as { end: LooseEnd }).end = (chunk, encoding, cb) => {
    let done: Callback | undefined;
    if (typeof chunk === 'function') {
      done = chunk as Callback;
    } else {
      const split = splitArgs(encoding, cb);
      done = split.cb;
      if (chunk !== undefined && chunk !== null) sink.write(toBuffer(chunk, split.enc));
    }
    sink.end(done);
    return res;
  };
}

/** No throttle and no cut: write straight through, only counting the bytes. */
function countBytesOnly(res: ServerResponse, origWrite: LooseWrite, origEnd: LooseEnd, onBytes: (bytes: number) => void): void {
  (res as unknown as { write: LooseWrite }).write = (chunk, encoding, cb) => {
    const buf = toBuffer(chunk, typeof encoding === 'function' ? undefined : encoding);
    onBytes(buf.length);
    return origWrite(buf, cb ?? (typeof encoding === 'function' ? encoding : undefined));
  };
  (res as unknown as { end: LooseEnd }).end = (chunk, encoding, cb) => {
    if (typeof chunk === 'function') return origEnd(chunk);
    if (chunk !== undefined && chunk !== null) {
      const { enc, cb: done } = splitArgs(encoding, cb);
      const buf = toBuffer(chunk, enc);
      onBytes(buf.length);
      return origEnd(buf, done);
    }
    return origEnd(typeof encoding === 'function' ? encoding : cb);
  };
}

/** Headers given to writeHead() must land in the header map so Content-Length is readable. */
function headersIntoMap(res: ServerResponse): void {
  const origWriteHead = res.writeHead.bind(res) as LooseWriteHead;
  (res as unknown as { writeHead: LooseWriteHead }).writeHead = (status, a, b) => {
    const headers = (typeof a === 'string' ? b : a) as OutgoingHttpHeaders | unknown[] | undefined;
    if (Array.isArray(headers)) {
      for (let i = 0; i + 1 < headers.length; i += 2) res.setHeader(String(headers[i]), headers[i + 1] as string);
    } else if (headers) {
      for (const [k, v] of Object.entries(headers)) if (v !== undefined) res.setHeader(k, v);
    }
    return typeof a === 'string' ? origWriteHead(status, a) : origWriteHead(status);
  };
}

/** Forwards body chunks to the socket through the bucket, and cuts the body half-way if asked. */
class BodyShaper {
  private forwarded = 0;
  private cutAt: number | null = null;
  cutDone = false;
  received = 0;
  private lastFlush: Promise<void> = Promise.resolve();
  private readonly piece: number;

  constructor(
    private readonly res: ServerResponse,
    private readonly origWrite: LooseWrite,
    private readonly bucket: TokenBucket | null,
    private readonly cut: BodyCut | null,
    private readonly onBytes: (bytes: number) => void,
  ) {
    this.piece = bucket ? Math.min(bucket.capacity, 64 * 1024) : Number.MAX_SAFE_INTEGER;
  }

  private waitDrain(): Promise<void> {
    const res = this.res;
    return new Promise((resolve) => {
      const check = (): void => {
        if (res.writableNeedDrain && !res.destroyed) return;
        res.off('drain', check);
        res.off('close', check);
        resolve();
      };
      res.on('drain', check);
      res.on('close', check);
    });
  }

  private async send(data: Buffer): Promise<void> {
    const { res, bucket, piece } = this;
    for (let i = 0; i < data.length; i += piece) {
      const part = data.subarray(i, i + piece);
      if (bucket) await bucket.take(part.length);
      if (res.destroyed) return;
      this.forwarded += part.length;
      this.onBytes(part.length);
      let ok = true;
      if (this.cut) {
        // Remember when the last byte before a cut reached the socket.
        this.lastFlush = new Promise((resolve) => {
          res.once('close', resolve);
          ok = this.origWrite(part, () => {
            res.off('close', resolve);
            resolve();
          });
        });
      } else {
        ok = this.origWrite(part);
      }
      if (!ok) await this.waitDrain();
    }
  }

  async doCut(): Promise<void> {
    this.cutDone = true;
    const res = this.res;
    if (!res.headersSent) res.flushHeaders();
    const socket = res.socket;
    if (!socket || this.cut === 'stall') return; // hold the connection until the client gives up
    // Let what was written reach the socket before cutting it.
    await this.lastFlush;
    if (this.cut === 'reset') socket.resetAndDestroy();
    else socket.end();
  }

  async processChunk(chunk: Buffer): Promise<void> {
    this.received += chunk.length;
    if (this.cutDone) return; // after the cut, the rest of the body is dropped
    if (this.cut) {
      if (this.cutAt === null) {
        const declared = Number(this.res.getHeader('content-length'));
        this.cutAt = Number.isFinite(declared) ? Math.floor(declared / 2) : Math.floor(chunk.length / 2);
      }
      if (this.forwarded + chunk.length > this.cutAt) {
        await this.send(chunk.subarray(0, Math.max(0, this.cutAt - this.forwarded)));
        await this.doCut();
        return;
      }
    }
    await this.send(chunk);
  }
}

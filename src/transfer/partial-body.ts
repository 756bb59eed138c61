/**
 * The temp file of one download and what has been received into it, carried across attempts:
 * hashed as it arrives, written in ~1 MiB batches, its first bytes kept for `validate`.
 */
import type { Hash } from 'node:crypto';
import { createHash } from 'node:crypto';
import type { FileHandle } from 'node:fs/promises';
import { toDiskError } from '../storage/disk-error.js';
import type { BodyInspector } from './types.js';

/** Received bytes are written in pieces of about this size (one `writev` per piece). */
const WRITE_BATCH_BYTES = 1 << 20;

/** How many leading bytes are kept in memory for `validate`. */
export const HEAD_BYTES = 64 * 1024;

/**
 * The temp file and what has been received into it, carried across attempts. Chunks are hashed
 * as they arrive and written in batches of ~1 MiB (no copy: `writev` of the received chunks), so
 * reading the body is not paced by one disk write per 64 KiB chunk.
 */
export class PartialBody {
  readonly path: string;
  readonly handle: FileHandle;
  readonly #wantMd5: boolean;
  /** Bytes on disk. */
  written = 0;
  md5: Hash | null;
  sha256: Hash = createHash('sha256');
  /** Set when the last attempt lost its connection after progress and the server can resume. */
  resumable = false;
  acceptsRanges = false;
  total: number | undefined;
  etag: string | undefined;
  #pending: Uint8Array[] = [];
  #pendingBytes = 0;
  readonly #makeInspector: (() => BodyInspector) | undefined;
  /** Has seen exactly the bytes received so far (recreated whenever the body restarts). */
  inspector: BodyInspector | undefined;
  /** The first HEAD_BYTES of the body (or all of a shorter one). */
  #head: Uint8Array[] = [];
  #headBytes = 0;

  constructor(path: string, handle: FileHandle, wantMd5: boolean, inspect?: () => BodyInspector) {
    this.path = path;
    this.handle = handle;
    this.#wantMd5 = wantMd5;
    this.md5 = wantMd5 ? createHash('md5') : null;
    this.#makeInspector = inspect;
    this.inspector = inspect?.();
  }

  /** Bytes received so far: on disk plus still buffered. */
  get received(): number {
    return this.written + this.#pendingBytes;
  }

  /** The body's first bytes, as `validate` gets them (a copy only if they span chunks). */
  head(): Uint8Array {
    const first = this.#head[0];
    if (first !== undefined && (first.byteLength >= HEAD_BYTES || this.#head.length === 1)) return first.subarray(0, Math.min(HEAD_BYTES, first.byteLength));
    const all = Buffer.concat(this.#head, this.#headBytes);
    return all.subarray(0, Math.min(HEAD_BYTES, all.length));
  }

  async reset(): Promise<void> {
    this.#pending = [];
    this.#pendingBytes = 0;
    this.#head = [];
    this.#headBytes = 0;
    if (this.written > 0) {
      try {
        await this.handle.truncate(0);
      } catch (err) {
        throw toDiskError(err, this.path, 'truncate');
      }
    }
    this.written = 0;
    this.md5 = this.#wantMd5 ? createHash('md5') : null;
    this.sha256 = createHash('sha256');
    this.resumable = false;
    this.inspector = this.#makeInspector?.();
  }

  /** Hashes the chunk and queues it; writes the queue once it holds ~1 MiB. */
  async append(chunk: Uint8Array): Promise<void> {
    this.inspector?.write(chunk);
    this.md5?.update(chunk);
    this.sha256.update(chunk);
    if (this.#headBytes < HEAD_BYTES) {
      this.#head.push(chunk);
      this.#headBytes += chunk.byteLength;
    }
    this.#pending.push(chunk);
    this.#pendingBytes += chunk.byteLength;
    if (this.#pendingBytes >= WRITE_BATCH_BYTES) await this.flush();
  }

  /**
   * Writes every queued chunk. The hashes already cover them, so after a failed flush the state
   * is inexact: a DiskError is never retried, and callers only resume from a successful flush.
   */
  async flush(): Promise<void> {
    let bufs = this.#pending;
    let left = this.#pendingBytes;
    this.#pending = [];
    this.#pendingBytes = 0;
    try {
      while (left > 0) {
        const { bytesWritten } = await this.handle.writev(bufs, this.written);
        this.written += bytesWritten;
        left -= bytesWritten;
        if (left > 0) bufs = skipBytes(bufs, bytesWritten);
      }
    } catch (err) {
      throw toDiskError(err, this.path, 'write');
    }
  }
}

/** The buffers after the first `n` bytes (a short `writev`). */
function skipBytes(bufs: readonly Uint8Array[], n: number): Uint8Array[] {
  const out: Uint8Array[] = [];
  let skip = n;
  for (const b of bufs) {
    if (skip >= b.byteLength) {
      skip -= b.byteLength;
      continue;
    }
    out.push(skip > 0 ? b.subarray(skip) : b);
    skip = 0;
  }
  return out;
}

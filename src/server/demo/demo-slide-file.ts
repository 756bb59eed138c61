/**
 * One demo slide file on disk: generated on first need, cached in the demo's cache folder with a
 * small sidecar holding its size and md5, so a later process serves it without regenerating or
 * rehashing. Until `ready()` has resolved the size and md5 are unknown, and reading them throws:
 * a server must never report a size it has not measured.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, rm, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { Readable } from 'node:stream';
import type { RawPixels } from '../../slides/types.js';
import { fileRangeStream, hashFile } from '../data-dir/file-stream.js';
import type { ByteRange } from '../dataset-types.js';
import { writeFileAtomic } from './atomic-write.js';
import { bufferStream } from './buffer-stream.js';
import type { DemoSlideSpec } from './demo-slide.js';
import { writeDemoSlideTiff } from './demo-slide-tiff.js';
import { standInSlideBytes } from './stand-in-bytes.js';

export interface DemoSlideFileOptions {
  name: string;
  spec: DemoSlideSpec;
  base: () => Promise<RawPixels>;
  /** Where the TIFF lives; its sidecar is `<cachePath>.json`. */
  cachePath: string;
  /** Called when the file is actually generated (not found in the cache); for tests and logs. */
  onGenerate?: (name: string) => void;
}

export interface DemoSlideFile {
  readonly name: string;
  readonly path: string;
  /** Generates (or finds) the file; concurrent and repeated calls share one run. */
  ready(): Promise<void>;
  /** Size in bytes; throws before `ready()` has resolved. */
  readonly size: number;
  /** Hex md5 of the whole file; throws before `ready()` has resolved. */
  readonly md5: string;
  open(range?: ByteRange): Readable;
}

interface Sidecar {
  size: number;
  md5: string;
}

/** At most this many slides are generated at once (each holds a tile row and its writes). */
const MAX_PARALLEL = 2;
let running = 0;
const waiting: (() => void)[] = [];

async function withSlot<T>(fn: () => Promise<T>): Promise<T> {
  if (running >= MAX_PARALLEL) await new Promise<void>((resolve) => waiting.push(resolve));
  running++;
  try {
    return await fn();
  } finally {
    running--;
    waiting.shift()?.();
  }
}

async function readSidecar(cachePath: string): Promise<Sidecar | null> {
  try {
    const json = JSON.parse(await readFile(`${cachePath}.json`, 'utf8')) as Partial<Sidecar>;
    const { size, md5 } = json;
    if (typeof size !== 'number' || !Number.isSafeInteger(size) || typeof md5 !== 'string' || !/^[0-9a-f]{32}$/u.test(md5)) return null;
    // A sidecar only counts next to a file of the size it records.
    return (await stat(cachePath)).size === size ? { size, md5 } : null;
  } catch {
    return null;
  }
}

async function generate(options: DemoSlideFileOptions): Promise<Sidecar> {
  const { cachePath } = options;
  await mkdir(dirname(cachePath), { recursive: true });
  const tmp = join(dirname(cachePath), `.${basename(cachePath)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  try {
    options.onGenerate?.(options.name);
    await writeDemoSlideTiff(tmp, options.spec, options.name, await options.base());
    await rename(tmp, cachePath);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
  const meta = await hashFile(cachePath);
  await writeFileAtomic(`${cachePath}.json`, `${JSON.stringify(meta)}\n`);
  return meta;
}

export function demoSlideFile(options: DemoSlideFileOptions): DemoSlideFile {
  let meta: Sidecar | undefined;
  let pending: Promise<void> | undefined;
  const known = (): Sidecar => {
    if (meta === undefined) throw new Error(`demo slide ${options.name}: size and md5 read before ready()`);
    return meta;
  };
  return {
    name: options.name,
    path: options.cachePath,
    ready(): Promise<void> {
      if (meta !== undefined) return Promise.resolve();
      pending ??= (async () => {
        meta = (await readSidecar(options.cachePath)) ?? (await withSlot(() => generate(options)));
      })();
      // Forget a failure so a later request retries (and reports) it.
      pending.catch(() => (pending = undefined));
      return pending;
    },
    get size(): number {
      return known().size;
    },
    get md5(): string {
      return known().md5;
    },
    open(range?: ByteRange): Readable {
      known();
      return fileRangeStream(options.cachePath, range);
    },
  };
}

/** The placeholder bytes of stand-in mode (a few KB, see stand-in-bytes.ts) behind the same shape. */
export function standInSlideFile(seed: number, name: string): Omit<DemoSlideFile, 'path' | 'ready'> {
  const standIn = standInSlideBytes(seed, name);
  return { name, size: standIn.bytes.length, md5: standIn.md5, open: (range) => bufferStream(standIn.bytes, range) };
}

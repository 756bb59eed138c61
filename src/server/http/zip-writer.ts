import type { Readable } from 'node:stream';
import { crc32 } from 'node:zlib';

/** One file of a streamed ZIP: its size must be known up front (it is in Girder's file doc). */
export interface ZipEntrySource {
  name: string;
  size: number;
  modified?: Date;
  open(): Readable;
}

const MAX32 = 0xffffffff;
const FLAGS = 0x0808; // bit 3: sizes and CRC in a data descriptor; bit 11: UTF-8 names

function dosDateTime(d: Date): { time: number; date: number } {
  if (Number.isNaN(d.getTime())) return { time: 0, date: (1 << 5) | 1 }; // 1980-01-01
  const year = Math.max(1980, d.getUTCFullYear());
  return {
    time: (d.getUTCHours() << 11) | (d.getUTCMinutes() << 5) | Math.floor(d.getUTCSeconds() / 2),
    date: ((year - 1980) << 9) | ((d.getUTCMonth() + 1) << 5) | d.getUTCDate(),
  };
}

interface Written {
  name: Buffer;
  crc: number;
  size: number;
  offset: number;
  zip64: boolean;
  time: number;
  date: number;
}

/**
 * A stored (uncompressed) ZIP produced as a stream, the way Girder's `ziputil` sends
 * `GET /item/{id}/download` for several files (docs/protocols.md#girder-item-download): local headers with a data
 * descriptor after each file (the CRC is computed while streaming), ZIP64 records where sizes or
 * offsets need them, then the central directory. Memory use is one chunk at a time.
 */
export async function* zipStream(entries: ZipEntrySource[], options: { forceZip64?: boolean } = {}): AsyncGenerator<Buffer> {
  const force = options.forceZip64 === true;
  const written: Written[] = [];
  let position = 0;

  for (const entry of entries) {
    const name = Buffer.from(entry.name, 'utf8');
    const zip64 = force || entry.size >= MAX32;
    const { time, date } = dosDateTime(entry.modified ?? new Date());
    const offset = position;
    const head = localHeader(name, zip64, time, date);
    position += head.length;
    yield head;

    let crc = 0;
    let size = 0;
    for await (const chunk of entry.open() as AsyncIterable<Buffer>) {
      crc = crc32(chunk, crc);
      size += chunk.length;
      position += chunk.length;
      yield chunk;
    }
    if (size !== entry.size) throw new Error(`zip entry ${entry.name}: expected ${entry.size} bytes but read ${size}`);

    const descriptor = dataDescriptor(crc, size, zip64);
    position += descriptor.length;
    yield descriptor;
    written.push({ name, crc, size, offset, zip64, time, date });
  }

  const cdStart = position;
  for (const w of written) {
    const record = centralRecord(w, force);
    position += record.length;
    yield record;
  }
  const cdSize = position - cdStart;

  const n = written.length;
  if (force || n >= 0xffff || cdStart >= MAX32 || cdSize >= MAX32) yield zip64End(n, cdStart, cdSize, position);
  yield endOfCentralDirectory(n, cdStart, cdSize);
}

/** A local file header (with the name and, for ZIP64, a zero-size extra field). */
function localHeader(name: Buffer, zip64: boolean, time: number, date: number): Buffer {
  const extra = zip64 ? Buffer.alloc(20) : Buffer.alloc(0);
  if (zip64) {
    extra.writeUInt16LE(0x0001, 0);
    extra.writeUInt16LE(16, 2); // sizes are zero here; the data descriptor has the real ones
  }
  const header = Buffer.alloc(30);
  header.writeUInt32LE(0x04034b50, 0);
  header.writeUInt16LE(zip64 ? 45 : 20, 4);
  header.writeUInt16LE(FLAGS, 6);
  header.writeUInt16LE(0, 8); // stored
  header.writeUInt16LE(time, 10);
  header.writeUInt16LE(date, 12);
  header.writeUInt32LE(0, 14);
  header.writeUInt32LE(zip64 ? MAX32 : 0, 18);
  header.writeUInt32LE(zip64 ? MAX32 : 0, 22);
  header.writeUInt16LE(name.length, 26);
  header.writeUInt16LE(extra.length, 28);
  return Buffer.concat([header, name, extra]);
}

function dataDescriptor(crc: number, size: number, zip64: boolean): Buffer {
  const descriptor = Buffer.alloc(zip64 ? 24 : 16);
  descriptor.writeUInt32LE(0x08074b50, 0);
  descriptor.writeUInt32LE(crc, 4);
  if (zip64) {
    descriptor.writeBigUInt64LE(BigInt(size), 8);
    descriptor.writeBigUInt64LE(BigInt(size), 16);
  } else {
    descriptor.writeUInt32LE(size, 8);
    descriptor.writeUInt32LE(size, 12);
  }
  return descriptor;
}

/** The central-directory record of one written entry, with a ZIP64 extra where needed. */
function centralRecord(w: Written, force: boolean): Buffer {
  const bigSize = force || w.size >= MAX32;
  const bigOffset = force || w.offset >= MAX32;
  const fields: bigint[] = [];
  if (bigSize) fields.push(BigInt(w.size), BigInt(w.size));
  if (bigOffset) fields.push(BigInt(w.offset));
  const extra = Buffer.alloc(fields.length > 0 ? 4 + 8 * fields.length : 0);
  if (fields.length > 0) {
    extra.writeUInt16LE(0x0001, 0);
    extra.writeUInt16LE(8 * fields.length, 2);
    fields.forEach((v, i) => extra.writeBigUInt64LE(v, 4 + 8 * i));
  }
  const needs64 = w.zip64 || fields.length > 0;
  const cd = Buffer.alloc(46);
  cd.writeUInt32LE(0x02014b50, 0);
  cd.writeUInt16LE((3 << 8) | 45, 4); // made by: Unix, spec 4.5
  cd.writeUInt16LE(needs64 ? 45 : 20, 6);
  cd.writeUInt16LE(FLAGS, 8);
  cd.writeUInt16LE(0, 10);
  cd.writeUInt16LE(w.time, 12);
  cd.writeUInt16LE(w.date, 14);
  cd.writeUInt32LE(w.crc, 16);
  cd.writeUInt32LE(bigSize ? MAX32 : w.size, 20);
  cd.writeUInt32LE(bigSize ? MAX32 : w.size, 24);
  cd.writeUInt16LE(w.name.length, 28);
  cd.writeUInt16LE(extra.length, 30);
  cd.writeUInt32LE((0o100644 << 16) >>> 0, 38); // regular file, rw-r--r--
  cd.writeUInt32LE(bigOffset ? MAX32 : w.offset, 42);
  return Buffer.concat([cd, w.name, extra]);
}

/** The ZIP64 end-of-central-directory record and its locator (`position` is where it starts). */
function zip64End(n: number, cdStart: number, cdSize: number, position: number): Buffer {
  const eocd64 = Buffer.alloc(56);
  eocd64.writeUInt32LE(0x06064b50, 0);
  eocd64.writeBigUInt64LE(44n, 4);
  eocd64.writeUInt16LE((3 << 8) | 45, 12);
  eocd64.writeUInt16LE(45, 14);
  eocd64.writeBigUInt64LE(BigInt(n), 24);
  eocd64.writeBigUInt64LE(BigInt(n), 32);
  eocd64.writeBigUInt64LE(BigInt(cdSize), 40);
  eocd64.writeBigUInt64LE(BigInt(cdStart), 48);
  const locator = Buffer.alloc(20);
  locator.writeUInt32LE(0x07064b50, 0);
  locator.writeBigUInt64LE(BigInt(position), 8);
  locator.writeUInt32LE(1, 16);
  return Buffer.concat([eocd64, locator]);
}

function endOfCentralDirectory(n: number, cdStart: number, cdSize: number): Buffer {
  const eocd = Buffer.alloc(22);
  eocd.writeUInt32LE(0x06054b50, 0);
  eocd.writeUInt16LE(Math.min(n, 0xffff), 8);
  eocd.writeUInt16LE(Math.min(n, 0xffff), 10);
  eocd.writeUInt32LE(Math.min(cdSize, MAX32), 12);
  eocd.writeUInt32LE(Math.min(cdStart, MAX32), 16);
  return eocd;
}

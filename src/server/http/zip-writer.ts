import type { Readable } from 'node:stream';
import { crc32 } from 'node:zlib';
import { dataDescriptor, dosDateTime, endOfCentralDirectory, FLAGS, localHeader, MAX32, zip64End } from './zip-records.js';

/** One file of a streamed ZIP: its size must be known up front (it is in Girder's file doc). */
export interface ZipEntrySource {
  name: string;
  size: number;
  modified?: Date;
  open(): Readable;
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



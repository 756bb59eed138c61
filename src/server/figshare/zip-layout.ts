/**
 * The byte layout of a stored (uncompressed) ZIP whose members' sizes and CRCs are known before
 * the first byte is sent, so the archive has a Content-Length and any byte range of it can be
 * produced without building the whole file: local headers announce a data descriptor (flag bit 3,
 * zero CRC and sizes in the header, as streaming archivers write them), ZIP64 records are used
 * where sizes or offsets need them (or always, with `zip64: true`), then the central directory.
 */
import { dataDescriptor, dosDateTime, endOfCentralDirectory, FLAGS, localHeader, MAX32, zip64End } from '../http/zip-records.js';

export interface ZipMember {
  name: string;
  size: number;
  crc: number;
  modified: Date;
}

/** A run of the archive: literal header bytes, or `size` bytes of member `index`'s data. */
export type ZipPart = { kind: 'bytes'; data: Buffer } | { kind: 'member'; index: number; size: number };

export interface ZipLayout {
  parts: ZipPart[];
  length: number;
}

function centralRecord(m: ZipMember, name: Buffer, offset: number, zip64: boolean, when: { time: number; date: number }): Buffer {
  const bigSize = zip64 || m.size >= MAX32;
  const bigOffset = zip64 || offset >= MAX32;
  const fields: bigint[] = [];
  if (bigSize) fields.push(BigInt(m.size), BigInt(m.size));
  if (bigOffset) fields.push(BigInt(offset));
  const extra = Buffer.alloc(fields.length > 0 ? 4 + 8 * fields.length : 0);
  if (fields.length > 0) {
    extra.writeUInt16LE(0x0001, 0);
    extra.writeUInt16LE(8 * fields.length, 2);
    fields.forEach((v, i) => extra.writeBigUInt64LE(v, 4 + 8 * i));
  }
  const cd = Buffer.alloc(46);
  cd.writeUInt32LE(0x02014b50, 0);
  cd.writeUInt16LE((3 << 8) | 45, 4); // made by Unix, spec 4.5
  cd.writeUInt16LE(fields.length > 0 || zip64 ? 45 : 20, 6);
  cd.writeUInt16LE(FLAGS, 8);
  cd.writeUInt16LE(0, 10);
  cd.writeUInt16LE(when.time, 12);
  cd.writeUInt16LE(when.date, 14);
  cd.writeUInt32LE(m.crc >>> 0, 16);
  cd.writeUInt32LE(bigSize ? MAX32 : m.size, 20);
  cd.writeUInt32LE(bigSize ? MAX32 : m.size, 24);
  cd.writeUInt16LE(name.length, 28);
  cd.writeUInt16LE(extra.length, 30);
  cd.writeUInt32LE((0o100644 << 16) >>> 0, 38);
  cd.writeUInt32LE(bigOffset ? MAX32 : offset, 42);
  return Buffer.concat([cd, name, extra]);
}

function endRecords(n: number, cdStart: number, cdSize: number, position: number, zip64: boolean): Buffer {
  const needs64 = zip64 || n >= 0xffff || cdStart >= MAX32 || cdSize >= MAX32;
  const eocd = endOfCentralDirectory(n, cdStart, cdSize);
  return needs64 ? Buffer.concat([zip64End(n, cdStart, cdSize, position), eocd]) : eocd;
}

export function zipLayout(members: readonly ZipMember[], options: { zip64?: boolean } = {}): ZipLayout {
  const force = options.zip64 === true;
  const parts: ZipPart[] = [];
  const central: Buffer[] = [];
  let position = 0;
  members.forEach((m, index) => {
    const name = Buffer.from(m.name, 'utf8');
    const zip64 = force || m.size >= MAX32;
    const when = dosDateTime(m.modified);
    const offset = position;
    const head = localHeader(name, zip64, when.time, when.date);
    const tail = dataDescriptor(m.crc >>> 0, m.size, zip64);
    parts.push({ kind: 'bytes', data: head }, { kind: 'member', index, size: m.size }, { kind: 'bytes', data: tail });
    position += head.length + m.size + tail.length;
    central.push(centralRecord(m, name, offset, force, when));
  });
  const cd = Buffer.concat(central);
  const cdStart = position;
  position += cd.length;
  const end = endRecords(members.length, cdStart, cd.length, position, force);
  parts.push({ kind: 'bytes', data: cd }, { kind: 'bytes', data: end });
  return { parts, length: position + end.length };
}

/**
 * The bytes `[first, last]` (inclusive) of the archive, one chunk at a time; a member's data is
 * read only when the range reaches it.
 */
export async function* zipRange(layout: ZipLayout, first: number, last: number, readMember: (index: number) => Promise<Buffer>): AsyncGenerator<Buffer> {
  let start = 0;
  for (const part of layout.parts) {
    const size = part.kind === 'bytes' ? part.data.length : part.size;
    const end = start + size; // exclusive
    if (end > first && start <= last) {
      const from = Math.max(first, start) - start;
      const to = Math.min(last + 1, end) - start;
      if (part.kind === 'bytes') {
        yield part.data.subarray(from, to);
      } else {
        const data = await readMember(part.index);
        if (data.length !== part.size) throw new Error(`zip member ${part.index}: expected ${part.size} bytes, read ${data.length}`);
        yield data.subarray(from, to);
      }
    }
    start = end;
    if (start > last) break;
  }
}

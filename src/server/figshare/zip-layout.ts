/**
 * The byte layout of a stored (uncompressed) ZIP whose members' sizes and CRCs are known before
 * the first byte is sent, so the archive has a Content-Length and any byte range of it can be
 * produced without building the whole file: local headers announce a data descriptor (flag bit 3,
 * zero CRC and sizes in the header, as streaming archivers write them), ZIP64 records are used
 * where sizes or offsets need them (or always, with `zip64: true`), then the central directory.
 */

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

const MAX32 = 0xffffffff;
const FLAGS = 0x0808; // bit 3: data descriptor; bit 11: UTF-8 names

function dosDateTime(d: Date): { time: number; date: number } {
  const year = Math.max(1980, d.getUTCFullYear());
  return {
    time: (d.getUTCHours() << 11) | (d.getUTCMinutes() << 5) | Math.floor(d.getUTCSeconds() / 2),
    date: ((year - 1980) << 9) | ((d.getUTCMonth() + 1) << 5) | d.getUTCDate(),
  };
}

function localHeader(name: Buffer, zip64: boolean, when: { time: number; date: number }): Buffer {
  const extra = Buffer.alloc(zip64 ? 20 : 0);
  if (zip64) {
    extra.writeUInt16LE(0x0001, 0);
    extra.writeUInt16LE(16, 2); // sizes stay zero here: the data descriptor carries them
  }
  const h = Buffer.alloc(30);
  h.writeUInt32LE(0x04034b50, 0);
  h.writeUInt16LE(zip64 ? 45 : 20, 4);
  h.writeUInt16LE(FLAGS, 6);
  h.writeUInt16LE(0, 8); // stored
  h.writeUInt16LE(when.time, 10);
  h.writeUInt16LE(when.date, 12);
  h.writeUInt32LE(zip64 ? MAX32 : 0, 18);
  h.writeUInt32LE(zip64 ? MAX32 : 0, 22);
  h.writeUInt16LE(name.length, 26);
  h.writeUInt16LE(extra.length, 28);
  return Buffer.concat([h, name, extra]);
}

function dataDescriptor(m: ZipMember, zip64: boolean): Buffer {
  const d = Buffer.alloc(zip64 ? 24 : 16);
  d.writeUInt32LE(0x08074b50, 0);
  d.writeUInt32LE(m.crc >>> 0, 4);
  if (zip64) {
    d.writeBigUInt64LE(BigInt(m.size), 8);
    d.writeBigUInt64LE(BigInt(m.size), 16);
  } else {
    d.writeUInt32LE(m.size, 8);
    d.writeUInt32LE(m.size, 12);
  }
  return d;
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
  const out: Buffer[] = [];
  if (zip64 || n >= 0xffff || cdStart >= MAX32 || cdSize >= MAX32) {
    const e64 = Buffer.alloc(56);
    e64.writeUInt32LE(0x06064b50, 0);
    e64.writeBigUInt64LE(44n, 4);
    e64.writeUInt16LE((3 << 8) | 45, 12);
    e64.writeUInt16LE(45, 14);
    e64.writeBigUInt64LE(BigInt(n), 24);
    e64.writeBigUInt64LE(BigInt(n), 32);
    e64.writeBigUInt64LE(BigInt(cdSize), 40);
    e64.writeBigUInt64LE(BigInt(cdStart), 48);
    const locator = Buffer.alloc(20);
    locator.writeUInt32LE(0x07064b50, 0);
    locator.writeBigUInt64LE(BigInt(position), 8);
    locator.writeUInt32LE(1, 16);
    out.push(e64, locator);
  }
  const eocd = Buffer.alloc(22);
  eocd.writeUInt32LE(0x06054b50, 0);
  eocd.writeUInt16LE(Math.min(n, 0xffff), 8);
  eocd.writeUInt16LE(Math.min(n, 0xffff), 10);
  eocd.writeUInt32LE(Math.min(cdSize, MAX32), 12);
  eocd.writeUInt32LE(Math.min(cdStart, MAX32), 16);
  out.push(eocd);
  return Buffer.concat(out);
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
    const head = localHeader(name, zip64, when);
    const tail = dataDescriptor(m, zip64);
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

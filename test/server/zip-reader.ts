import assert from 'node:assert/strict';
import { crc32 } from 'node:zlib';

/** A minimal independent ZIP reader: central directory → local headers → stored data + CRC. */
export function readZip(zip: Buffer): Array<{ name: string; data: Buffer; crcOk: boolean }> {
  const eocd = zip.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
  assert.ok(eocd >= 0, 'end of central directory present');
  let count = zip.readUInt16LE(eocd + 10);
  let cdOffset = zip.readUInt32LE(eocd + 16);
  const loc = zip.lastIndexOf(Buffer.from([0x50, 0x4b, 0x06, 0x07]));
  if (loc >= 0) {
    const rec = Number(zip.readBigUInt64LE(loc + 8));
    assert.equal(zip.readUInt32LE(rec), 0x06064b50);
    count = Number(zip.readBigUInt64LE(rec + 32));
    cdOffset = Number(zip.readBigUInt64LE(rec + 48));
  }
  const out: Array<{ name: string; data: Buffer; crcOk: boolean }> = [];
  let p = cdOffset;
  for (let i = 0; i < count; i++) {
    assert.equal(zip.readUInt32LE(p), 0x02014b50);
    const crc = zip.readUInt32LE(p + 16);
    let size = zip.readUInt32LE(p + 24);
    const nameLen = zip.readUInt16LE(p + 28);
    const extraLen = zip.readUInt16LE(p + 30);
    let local = zip.readUInt32LE(p + 42);
    const name = zip.subarray(p + 46, p + 46 + nameLen).toString('utf8');
    const extra = zip.subarray(p + 46 + nameLen, p + 46 + nameLen + extraLen);
    if (extra.length >= 4 && extra.readUInt16LE(0) === 1) {
      let q = 4;
      if (size === 0xffffffff) {
        size = Number(extra.readBigUInt64LE(q));
        q += 16;
      }
      if (local === 0xffffffff) local = Number(extra.readBigUInt64LE(q));
    }
    assert.equal(zip.readUInt32LE(local), 0x04034b50);
    const dataStart = local + 30 + zip.readUInt16LE(local + 26) + zip.readUInt16LE(local + 28);
    const data = zip.subarray(dataStart, dataStart + size);
    out.push({ name, data, crcOk: crc32(data) === crc });
    p += 46 + nameLen + extraLen + zip.readUInt16LE(p + 32);
  }
  return out;
}

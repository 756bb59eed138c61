import { createHash } from 'node:crypto';

/**
 * Identifiers and dates derived from a hash of their parts, so the demo dataset is the
 * same on every run for the same seed and a different seed changes everything.
 */

/** SHA-256 of the parts joined with a separator no part contains. */
export function hashParts(...parts: (string | number)[]): Buffer {
  return createHash('sha256').update(parts.map(String).join('\u0000')).digest();
}

/** 2018-10-10, when the BCSS items were imported into the DSA (folder id prefix `5bbdeba3`). */
const IMPORT_EPOCH_S = 0x5bbdeba3;

/**
 * A 24-hex Girder ObjectId. The first 8 hex digits are a creation time (docs/protocols.md#girder-transport);
 * it is placed within a day after the DSA import so the ids look like the real ones.
 */
export function deterministicObjectId(...parts: (string | number)[]): string {
  const h = hashParts('objectid', ...parts);
  const seconds = IMPORT_EPOCH_S + (h.readUInt32BE(0) % 86_400);
  return seconds.toString(16).padStart(8, '0') + h.subarray(4, 12).toString('hex');
}

/** A v4-shaped UUID (version nibble 4, variant 10xx) from a hash of the parts. */
export function deterministicUuid(...parts: (string | number)[]): string {
  const b = Buffer.from(hashParts('uuid', ...parts).subarray(0, 16));
  b[6] = ((b[6] ?? 0) & 0x0f) | 0x40;
  b[8] = ((b[8] ?? 0) & 0x3f) | 0x80;
  const hex = b.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/**
 * Girder's datetime format for an ObjectId's creation time plus `extraMs`:
 * ISO 8601 with `+00:00`, six fractional digits, fraction omitted when zero (docs/protocols.md#girder-transport).
 */
export function girderDate(objectId: string, extraMs = 0): string {
  const ms = Number.parseInt(objectId.slice(0, 8), 16) * 1000 + extraMs;
  const iso = new Date(ms).toISOString(); // 2018-10-10T12:21:37.540Z
  const [whole, fraction = '000Z'] = iso.split('.');
  const millis = fraction.slice(0, 3);
  return millis === '000' ? `${whole}+00:00` : `${whole}.${millis}000+00:00`;
}

/**
 * A small fast PRNG (sfc32) seeded from a hash of the parts; returns floats in [0, 1).
 * Hash-seeded so independent streams (per slide, per purpose) do not correlate.
 */
export function seededRandom(...parts: (string | number)[]): () => number {
  const h = hashParts('rng', ...parts);
  let a = h.readUInt32LE(0);
  let b = h.readUInt32LE(4);
  let c = h.readUInt32LE(8);
  let d = h.readUInt32LE(12);
  const next = (): number => {
    const t = (((a + b) | 0) + d) | 0;
    d = (d + 1) | 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) | 0;
    c = (c << 21) | (c >>> 11);
    c = (c + t) | 0;
    return (t >>> 0) / 4294967296;
  };
  // Discard the first outputs: sfc32 mixes its state over the first dozen rounds.
  for (let i = 0; i < 12; i++) next();
  return next;
}

/** Integer in [lo, hi] (inclusive) from a PRNG. */
export function randomInt(rng: () => number, lo: number, hi: number): number {
  return lo + Math.floor(rng() * (hi - lo + 1));
}

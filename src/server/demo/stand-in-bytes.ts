import { createHash } from 'node:crypto';
import { seededRandom } from './deterministic-ids.js';

export interface StandIn {
  bytes: Buffer;
  md5: string;
}

/**
 * The bytes served as a demo slide's `.svs` file: a few KB, deterministic in (seed, name).
 * The virtual slide itself is never materialised; this blob only gives downloads a true size
 * and MD5. It starts with a little-endian TIFF signature so type sniffing sees a TIFF, followed
 * by a plain-text note and seeded filler.
 */
export function standInSlideBytes(seed: number, name: string): StandIn {
  const rng = seededRandom(seed, name, 'stand-in');
  const size = 2048 + Math.floor(rng() * 6144);
  const bytes = Buffer.alloc(size);
  bytes.write('II*\u0000', 0, 'latin1');
  const note = `\nbcss demo stand-in for ${name} (seed ${seed}); not a real slide\n`;
  const noteEnd = 8 + bytes.write(note, 8, 'latin1');
  for (let i = noteEnd; i < size; i += 4) {
    const v = Math.floor(rng() * 4294967296);
    if (i + 4 <= size) bytes.writeUInt32LE(v, i);
    else for (let k = i; k < size; k++) bytes[k] = (v >>> (8 * (k - i))) & 0xff;
  }
  return { bytes, md5: createHash('md5').update(bytes).digest('hex') };
}

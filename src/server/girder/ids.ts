import { createHash, randomInt } from 'node:crypto';

/** A 24-hex ObjectId whose first 8 hex digits are `seconds` (its creation time), the rest hashed. */
export function objectIdAt(seconds: number, ...parts: string[]): string {
  const tail = createHash('sha256').update(parts.join('\u0000')).digest('hex').slice(0, 16);
  return Math.floor(seconds).toString(16).padStart(8, '0') + tail;
}

/** Girder's datetime format: ISO 8601, six fractional digits (omitted when zero), `+00:00`. */
export function girderIso(ms: number): string {
  const iso = new Date(ms).toISOString();
  const [whole, fraction = '000Z'] = iso.split('.');
  const millis = fraction.slice(0, 3);
  return millis === '000' ? `${whole}+00:00` : `${whole}.${millis}000+00:00`;
}

const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/** Girder's `genToken`: random alphanumerics (API keys 40, tokens 64). */
export function genToken(length: number): string {
  let out = '';
  for (let i = 0; i < length; i++) out += ALNUM[randomInt(ALNUM.length)];
  return out;
}

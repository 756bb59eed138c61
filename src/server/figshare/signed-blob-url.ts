import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Pre-signed object-store URLs like the S3 links figshare's download routes redirect to:
 * `<base>/blob/<id>?expires=<epoch ms>&sig=<hmac>`, valid until `expires`.
 */
export interface BlobSigner {
  sign(fileId: number | string, now: number): string;
  /** 'ok', or why the store refuses the URL. */
  check(fileId: number | string, query: URLSearchParams, now: number): 'ok' | 'expired' | 'bad-signature';
}

export function blobSigner(options: { baseUrl: string; secret: Buffer; ttlMs: number }): BlobSigner {
  const mac = (fileId: number | string, expires: string): Buffer =>
    createHmac('sha256', options.secret).update(`${fileId}:${expires}`).digest();
  return {
    sign(fileId, now) {
      const expires = String(now + options.ttlMs);
      return `${options.baseUrl}/blob/${fileId}?expires=${expires}&sig=${mac(fileId, expires).toString('hex')}`;
    },
    check(fileId, query, now) {
      const expires = query.get('expires') ?? '';
      const sig = query.get('sig') ?? '';
      if (!/^\d+$/.test(expires) || !/^[0-9a-f]{64}$/.test(sig)) return 'bad-signature';
      if (!timingSafeEqual(Buffer.from(sig, 'hex'), mac(fileId, expires))) return 'bad-signature';
      return now > Number(expires) ? 'expired' : 'ok';
    },
  };
}

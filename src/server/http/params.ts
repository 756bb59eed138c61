import { restError } from '../girder/girder-errors.js';

/**
 * CherryPy processes a request body only for these methods (`Request.methods_with_bodies`);
 * on GET, DELETE, HEAD… a form body is never parsed, so its parameters do not exist. The HTTP
 * method on the wire decides, not an `X-HTTP-Method-Override` (Girder applies that later).
 */
const METHODS_WITH_BODIES = new Set(['POST', 'PUT', 'PATCH']);

/**
 * Girder's parameters: the query string merged with an `application/x-www-form-urlencoded` body
 * of a POST, PUT or PATCH (Python clients put parameters in the query even for POST). Since
 * Girder 3.1.1 a parameter given twice (also once in each place) is a 400 (docs/protocols.md#girder-transport).
 */
export function girderParams(url: URL, body: Buffer, contentType: string | undefined, method: string): Record<string, string> {
  const params: Record<string, string> = Object.create(null) as Record<string, string>;
  const add = (search: URLSearchParams): void => {
    for (const [name, value] of search) {
      if (Object.prototype.hasOwnProperty.call(params, name)) {
        throw restError(`Parameter "${name}" must not be specified multiple times.`);
      }
      params[name] = value;
    }
  };
  add(url.searchParams);
  if (body.length > 0 && METHODS_WITH_BODIES.has(method.toUpperCase()) && isFormEncoded(contentType)) add(new URLSearchParams(body.toString('latin1')));
  return params;
}

function isFormEncoded(contentType: string | undefined): boolean {
  return (contentType ?? '').split(';')[0]?.trim().toLowerCase() === 'application/x-www-form-urlencoded';
}

/** Girder's boolean parameters: true iff the lower-cased value is true, on, 1 or yes. */
export function girderBool(value: string | undefined): boolean {
  return value !== undefined && ['true', 'on', '1', 'yes'].includes(value.toLowerCase());
}

/**
 * Girder's error bodies (docs/protocols.md#girder-errors). Handlers throw a GirderError; the Girder service
 * turns it into the status and JSON body the real server would send.
 */
export class GirderError extends Error {
  constructor(
    readonly status: number,
    readonly body: Record<string, unknown>,
  ) {
    super(String(body.message));
    this.name = 'GirderError';
  }
}

/** RestException: `{"message", "type": "rest"}`, default 400. */
export function restError(message: string, status = 400, extra?: unknown): GirderError {
  return new GirderError(status, extra === undefined ? { message, type: 'rest' } : { message, type: 'rest', extra });
}

/** ValidationException: 400 `{"message", "type": "validation"}` (+ `field`). */
export function validationError(message: string, field?: string): GirderError {
  return new GirderError(400, field === undefined ? { message, type: 'validation' } : { field, message, type: 'validation' });
}

/** AccessException: 401 when the caller is anonymous, 403 when logged in. */
export function accessError(message: string, anonymous: boolean, extra?: unknown): GirderError {
  const body: Record<string, unknown> = { message, type: 'access' };
  if (extra !== undefined) body.extra = extra;
  return new GirderError(anonymous ? 401 : 403, body);
}

/** Any other exception: 500 with the request uid and a fixed message. */
export function internalError(uid: string): GirderError {
  return new GirderError(500, { message: 'An unexpected error occurred on the server.', type: 'internal', uid });
}

/** A malformed (not 24 hex digits) id anywhere an ObjectId is expected. */
export function invalidObjectId(id: string): GirderError {
  return validationError(`Invalid ObjectId: ${id}`, 'id');
}

/** A well-formed id naming nothing: Girder never answers 404 for ids. */
export function missingId(model: string, id: string): GirderError {
  return restError(`Invalid ${model} id (${id}).`);
}

export const OBJECT_ID = /^[0-9a-f]{24}$/;

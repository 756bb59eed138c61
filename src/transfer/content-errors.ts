/**
 * Two bad-body faults whose retry rule differs from a plain IntegrityError (a truncated, swapped
 * or HTML body, retried with the full budget because such faults are usually transient):
 *
 * - `EmptyBodyError`: a success answer with no bytes at all. Sometimes transient (an overloaded
 *   proxy, the demo server's fault injection), but for large_image's region endpoint it is the
 *   deterministic answer "nothing rendered" (docs/protocols.md#tiles-region) and for figshare's ndownloader
 *   a persistent bot block. Asking seven times only multiplies expensive renders, so it gets
 *   EMPTY_BODY_RETRIES retries at most.
 * - `WrongContentError`: a complete, well-formed body that is not what was asked for (a render of
 *   another pixel size). The same request gets the same answer, so it is never retried.
 */
import { IntegrityError } from '../errors.js';

export const EMPTY_BODY_RETRIES = 2;

type IntegrityOptions = ConstructorParameters<typeof IntegrityError>[1];

export class EmptyBodyError extends IntegrityError {
  constructor(message: string, options: IntegrityOptions = {}) {
    super(message, options);
  }
}

export class WrongContentError extends IntegrityError {
  constructor(message: string, options: IntegrityOptions = {}) {
    super(message, options);
  }
}

/**
 * A body that passed the ceiling known before it started (RequestSpec.maxBytes). Not retried: a
 * server that sends more than any valid answer can hold would do it again.
 */
export class BodyLimitError extends WrongContentError {}

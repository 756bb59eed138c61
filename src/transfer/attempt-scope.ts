/**
 * The life of one attempt: its abort signal (linked to the transfer's, aborted by our timeouts),
 * the lane slot it holds, and what a low-level failure means once it ends.
 */
import { NetworkError } from '../errors.js';
import { abortReason, type LaneLimiter } from './lane-limiter.js';
import type { Redactor } from './redact.js';
import { isNetworkFault } from './retry-policy.js';

/** Per-attempt abort scope: linked to the global signal, aborted by our own timeouts. */
export class AttemptScope {
  readonly number: number;
  readonly #controller = new AbortController();
  readonly #global: AbortSignal | undefined;
  readonly #onGlobalAbort = (): void => this.#controller.abort(abortReason(this.#global as AbortSignal));
  #fault: Error | undefined;
  /** The lane slot this attempt holds (given back by `releaseLane`). */
  #release: (() => void) | null = null;
  #laneName = '';

  constructor(number: number, global: AbortSignal | undefined) {
    this.number = number;
    this.#global = global;
    if (global?.aborted) this.#onGlobalAbort();
    else global?.addEventListener('abort', this.#onGlobalAbort, { once: true });
  }

  get signal(): AbortSignal {
    return this.#controller.signal;
  }

  /** The lane whose slot the attempt holds now. */
  get lane(): string {
    return this.#laneName;
  }

  /** Records the lane slot taken for this attempt. */
  holdLane(name: string, release: () => void): void {
    this.#laneName = name;
    this.#release = release;
  }

  /**
   * Gives the current slot back, then waits for one on `limiter` (a redirect to another service).
   * The old slot goes first: this attempt must not block its first lane while it queues elsewhere.
   */
  async moveToLane(name: string, limiter: LaneLimiter): Promise<void> {
    this.releaseLane();
    this.#release = await limiter.acquire(this.signal);
    this.#laneName = name;
  }

  /** Gives the held slot back (idempotent). */
  releaseLane(): void {
    const release = this.#release;
    this.#release = null;
    release?.();
  }

  /** Aborts the attempt because of `fault` (a timeout); the fault is what the attempt reports. */
  fail(fault: Error): void {
    this.#fault ??= fault;
    this.#controller.abort(fault);
  }

  /**
   * Ends the attempt. After a failure the controller is aborted so that any body still unread
   * (an early rejection) releases its connection instead of pinning it in the pool.
   */
  dispose(failed: boolean): void {
    this.#global?.removeEventListener('abort', this.#onGlobalAbort);
    if (failed && !this.#controller.signal.aborted) this.#controller.abort(new Error('attempt finished'));
  }

  /** What an error thrown by fetch or a body reader means for the retry policy. */
  translate(err: unknown, url: string, what: string, redact: Redactor): unknown {
    if (this.#global?.aborted) return abortReason(this.#global);
    if (this.#fault !== undefined) return this.#fault;
    if (isNetworkFault(err)) return new NetworkError(url, `${what} ${url}: ${redact(describeCause(err))}`, { cause: sanitize(err, redact) });
    return err;
  }
}

/** "fetch failed: ECONNREFUSED (connect ECONNREFUSED 127.0.0.1:9)" from a nested error chain. */
function describeCause(err: unknown): string {
  const parts: string[] = [];
  for (let e: unknown = err, depth = 0; e instanceof Error && depth < 4; depth++) {
    const code = (e as { code?: unknown }).code;
    parts.push(typeof code === 'string' && !e.message.includes(code) ? `${e.message} [${code}]` : e.message);
    e = e.cause;
  }
  return parts.join(': ') || String(err);
}

/** A copy of a low-level error with redacted text, safe to keep as `cause`. */
function sanitize(err: unknown, redact: Redactor): Error {
  const copy = new Error(redact(describeCause(err)));
  const code = (err as { code?: unknown } | null)?.code ?? (err as { cause?: { code?: unknown } } | null)?.cause?.code;
  if (typeof code === 'string') Object.assign(copy, { code });
  return copy;
}

/**
 * `--image-source auto`'s circuit breaker (docs/local-render.md#auto): once the DSA is clearly
 * down, the remaining ROI images go straight to their local slides instead of each paying the
 * whole retry schedule first. Pure state, no I/O.
 *
 * "Down" means unavailable, not wrong: a connection failure (refused, reset, DNS, timeout) or a
 * 5xx / 429 answer that was still there after the request's retries. A 4xx, a wrong-size render
 * or an empty render is the DSA's deterministic answer about that ROI; a local slide would only
 * hide it, so those neither fall back nor count here.
 */
import { HttpError, NetworkError } from '../errors.js';

/** Consecutive ROI renders failing for unavailability (after their retries) that open the breaker. */
export const BREAKER_THRESHOLD = 3;

/** True for the failures that say "the DSA is not answering", after the engine's retries. */
export function isDsaUnavailable(err: unknown): boolean {
  if (err instanceof NetworkError) return true;
  return err instanceof HttpError && (err.status >= 500 || err.status === 429);
}

export function describeError(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

export class DsaBreaker {
  private consecutive = 0;
  private why: string | null = null;

  constructor(
    /** Called once, when the breaker opens, with the reason. */
    private readonly onOpen: (reason: string) => void = () => undefined,
    private readonly threshold = BREAKER_THRESHOLD,
  ) {}

  get open(): boolean {
    return this.why !== null;
  }

  /** Why it opened (null while closed). */
  get reason(): string | null {
    return this.why;
  }

  /** A render the DSA answered: the failures so far were not "clearly down". */
  success(): void {
    if (this.why === null) this.consecutive = 0;
  }

  /** A render that failed after its retries; opens the breaker at the threshold of unavailability failures in a row. */
  failure(err: unknown): void {
    if (!isDsaUnavailable(err)) {
      this.consecutive = 0;
      return;
    }
    this.consecutive += 1;
    if (this.consecutive >= this.threshold) this.trip(`${this.consecutive} ROI renders in a row failed after their retries, the last with: ${describeError(err)}`);
  }

  /** Opens the breaker at once (the login or the folder listing failed for unavailability). */
  trip(reason: string): void {
    if (this.why !== null) return;
    this.why = reason;
    this.onOpen(reason);
  }
}

/**
 * Politeness for one lane: at most `concurrency` holders at once, and at least `minIntervalMs`
 * between two grants (figshare asks for ≤ 1 request/s). Waiters are served first-in first-out;
 * a waiter whose signal aborts leaves the queue without consuming a slot.
 */
import type { LanePolicy } from './types.js';

export type Sleep = (ms: number, signal?: AbortSignal) => Promise<void>;

export interface LaneLimiterOptions {
  now?: () => number;
  sleep?: Sleep;
}

interface Waiter {
  resolve: () => void;
  reject: (reason: unknown) => void;
  signal: AbortSignal | undefined;
  onAbort: () => void;
}

/** A real, abortable timer that rejects with the signal's reason. */
export const realSleep: Sleep = (ms, signal) =>
  new Promise<void>((resolve, reject) => {
    if (signal?.aborted) {
      reject(abortReason(signal));
      return;
    }
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(abortReason(signal as AbortSignal));
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });

export function abortReason(signal: AbortSignal): Error {
  // A caller may abort with any value; waiters always reject with an Error so stacks survive.
  const reason: unknown = signal.reason;
  if (reason instanceof Error) return reason;
  return reason === undefined ? new DOMException('The operation was aborted.', 'AbortError') : new Error(JSON.stringify(reason) ?? typeof reason, { cause: reason });
}

export class LaneLimiter {
  readonly #policy: LanePolicy;
  readonly #now: () => number;
  readonly #sleep: Sleep;
  readonly #queue: Waiter[] = [];
  #active = 0;
  /** Earliest time the next grant may start (reserved eagerly so spacing holds under bursts). */
  #nextStartAt = Number.NEGATIVE_INFINITY;

  constructor(policy: LanePolicy, options: LaneLimiterOptions = {}) {
    this.#policy = policy;
    this.#now = options.now ?? Date.now;
    this.#sleep = options.sleep ?? realSleep;
  }

  get active(): number {
    return this.#active;
  }

  get waiting(): number {
    return this.#queue.length;
  }

  /**
   * Waits for a slot (and for the minimum interval), then resolves with a `release` function that
   * must be called exactly once. Rejects with the signal's reason if it aborts first.
   */
  async acquire(signal?: AbortSignal): Promise<() => void> {
    if (signal?.aborted) throw abortReason(signal);
    if (this.#active >= this.#policy.concurrency || this.#queue.length > 0) {
      await new Promise<void>((resolve, reject) => {
        const waiter: Waiter = {
          resolve,
          reject,
          signal,
          onAbort: () => {
            const i = this.#queue.indexOf(waiter);
            if (i >= 0) this.#queue.splice(i, 1);
            reject(abortReason(signal as AbortSignal));
          },
        };
        signal?.addEventListener('abort', waiter.onAbort, { once: true });
        this.#queue.push(waiter);
      });
    } else {
      this.#active++;
    }
    // The slot is ours from here. Pace the start; on abort give the slot back.
    const now = this.#now();
    const startAt = Math.max(now, this.#nextStartAt);
    this.#nextStartAt = startAt + this.#policy.minIntervalMs;
    if (startAt > now) {
      try {
        await this.#sleep(startAt - now, signal);
        if (signal?.aborted) throw abortReason(signal);
      } catch (err) {
        // Give back the unused reservation if nobody has reserved after us.
        if (this.#nextStartAt === startAt + this.#policy.minIntervalMs) this.#nextStartAt = startAt;
        this.#release();
        throw err;
      }
    }
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.#release();
    };
  }

  #release(): void {
    const next = this.#queue.shift();
    if (next === undefined) {
      this.#active--;
      return;
    }
    // Hand the slot straight to the next waiter: #active stays the same.
    next.signal?.removeEventListener('abort', next.onAbort);
    next.resolve();
  }
}

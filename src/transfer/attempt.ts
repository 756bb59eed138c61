/**
 * The one entry the operations (json, buffer, download) use to talk HTTP. `attempt` runs the
 * attempts of a prepared request under the retry policy; each gets an `Attempt` whose `open()`
 * sends it and checks the status, and returns an `Answer` to read. The request phases behind it
 * live one per file: prepared-request → with-retries (attempt-scope) → open-response →
 * check-answer → read-body.
 */
import type { AttemptScope } from './attempt-scope.js';
import { ensureSuccess } from './check-answer.js';
import type { EngineContext } from './engine-context.js';
import type { OpenedResponse } from './open-response.js';
import { openResponse } from './open-response.js';
import type { PreparedRequest } from './prepared-request.js';
import type { ReadBodyOptions } from './read-body.js';
import { declaredLength, readBody } from './read-body.js';
import type { ResponseHeaders } from './types.js';
import { withRetries } from './with-retries.js';

/** A successful answer of one attempt, its body not read yet. */
export class Answer {
  readonly #ctx: EngineContext;
  readonly #req: PreparedRequest;
  readonly #scope: AttemptScope;
  readonly #opened: OpenedResponse;
  /** Where the answer came from (after redirects), redacted for messages. */
  readonly shown: string;

  constructor(ctx: EngineContext, req: PreparedRequest, scope: AttemptScope, opened: OpenedResponse) {
    this.#ctx = ctx;
    this.#req = req;
    this.#scope = scope;
    this.#opened = opened;
    this.shown = req.redact(opened.url);
  }

  get status(): number {
    return this.#opened.response.status;
  }

  get headers(): ResponseHeaders {
    return this.#opened.response.headers;
  }

  /** Content-Length, when it counts the bytes `read` will see. */
  get declaredLength(): number | undefined {
    return declaredLength(this.#opened.response);
  }

  /** Streams the body into `onChunk` under the body's timeouts and ceiling (read-body.ts). */
  read(onChunk: (chunk: Uint8Array) => void | Promise<void>, options?: ReadBodyOptions): Promise<number> {
    return readBody(this.#ctx, this.#req, this.#opened, this.#scope, onChunk, options);
  }

  /** Gives up on the body (its connection is reused if it was complete). */
  async cancel(): Promise<void> {
    await this.#opened.response.body?.cancel().catch(() => undefined);
  }

  /** The server's part is over: its lane slot goes back before our own checks. */
  releaseLane(): void {
    this.#scope.releaseLane();
  }
}

export interface Attempt {
  /** Sends the request (with `extraHeaders`, e.g. Range, for this attempt only). */
  open(extraHeaders?: Readonly<Record<string, string>>): Promise<Answer>;
  releaseLane(): void;
}

/** Runs `run` once per attempt until it succeeds or the retry policy gives up. */
export function attempt<T>(ctx: EngineContext, req: PreparedRequest, run: (attempt: Attempt) => Promise<T>): Promise<T> {
  return withRetries(ctx, req, (scope) =>
    run({
      async open(extraHeaders = {}): Promise<Answer> {
        const opened = await openResponse(ctx, req, scope, extraHeaders);
        await ensureSuccess(ctx, req, opened, scope);
        return new Answer(ctx, req, scope, opened);
      },
      releaseLane: () => scope.releaseLane(),
    }),
  );
}

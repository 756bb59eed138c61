import { createRedactor, type Redactor } from '../transfer/redact.js';
import type { Credentials, PipelineEvent } from './types.js';

/**
 * Every credential of a run (the configured key/password plus tokens learnt later), shared by
 * the transfer engine's redactor and the pipeline's own (events, log lines, failure reasons).
 */
export class SecretBox {
  readonly #secrets = new Set<string>();

  constructor(credentials: Credentials) {
    if (credentials.kind === 'api-key') this.add(credentials.apiKey);
    if (credentials.kind === 'login') this.add(credentials.password);
  }

  /** Adds the services' tokens (GDC, figshare) of a run, when set. */
  addTokens(tokens: { gdcToken?: string; figshareToken?: string }): this {
    if (tokens.gdcToken !== undefined) this.add(tokens.gdcToken);
    if (tokens.figshareToken !== undefined) this.add(tokens.figshareToken);
    return this;
  }

  add(secret: string): void {
    if (secret.length > 0) this.#secrets.add(secret);
  }

  list(): readonly string[] {
    return [...this.#secrets];
  }

  redactor(): Redactor {
    return createRedactor(() => this.list());
  }
}

/** The same event with every free-text field redacted. */
export function redactEvent(e: PipelineEvent, redact: Redactor): PipelineEvent {
  switch (e.type) {
    case 'artifact-failed':
      return { ...e, reason: redact(e.reason) };
    case 'retry':
      return { ...e, url: redact(e.url), reason: redact(e.reason) };
    case 'log':
      return { ...e, message: redact(e.message) };
    default:
      return e;
  }
}

/**
 * Redacts an error that leaves the pipeline, in place: message, hint and stack (which repeats the
 * message), and the same along its `cause` chain, which `util.inspect` and loggers print. Errors
 * built from a server's answer can quote what was sent (a key echoed in a 401 message).
 */
export function redactError(err: unknown, redact: Redactor): unknown {
  const seen = new Set<unknown>();
  for (let e: unknown = err; e instanceof Error && !seen.has(e) && seen.size < 8; e = e.cause) {
    seen.add(e);
    e.message = redact(e.message);
    if (typeof e.stack === 'string') e.stack = redact(e.stack);
    // `hint` is readonly in the type only to keep callers from changing it by accident.
    const hint = (e as { hint?: unknown }).hint;
    if (typeof hint === 'string') Object.defineProperty(e, 'hint', { value: redact(hint) });
  }
  return err;
}

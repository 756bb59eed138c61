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

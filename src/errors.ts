/**
 * Every failure the tool can explain is a BcssError. Each subclass maps to one
 * exit code (see cli/exit-codes.ts), so the exit code never depends on where
 * the error was thrown. Unknown errors are bugs and exit with EXIT.internal.
 */
export type ErrorKind = 'usage' | 'auth' | 'integrity' | 'network' | 'remote' | 'disk' | 'partial' | 'busy';

export class BcssError extends Error {
  readonly kind: ErrorKind;
  /** One line telling the user what to do next, printed after the message. */
  readonly hint: string | undefined;

  constructor(kind: ErrorKind, message: string, options: { hint?: string; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.kind = kind;
    this.hint = options.hint;
    this.name = new.target.name;
  }
}

/** Bad flags, config or input files: nothing was fetched. */
export class UsageError extends BcssError {
  constructor(message: string, options: { hint?: string; cause?: unknown } = {}) {
    super('usage', message, options);
  }
}

/** 401/403 or a rejected API key / login. */
export class AuthError extends BcssError {
  constructor(message: string, options: { hint?: string; cause?: unknown } = {}) {
    super('auth', message, options);
  }
}

/** Bytes that arrived but are wrong: checksum, size, content type, pixel size. */
export class IntegrityError extends BcssError {
  readonly path: string | undefined;
  readonly expected: string | undefined;
  readonly actual: string | undefined;

  constructor(
    message: string,
    options: { path?: string; expected?: string; actual?: string; hint?: string; cause?: unknown } = {},
  ) {
    super('integrity', message, options);
    this.path = options.path;
    this.expected = options.expected;
    this.actual = options.actual;
  }
}

/** An HTTP answer that is not a success. `url` must already be redacted. */
export class HttpError extends BcssError {
  readonly status: number;
  readonly url: string;
  readonly retryable: boolean;

  constructor(
    status: number,
    url: string,
    message: string,
    options: { retryable?: boolean; hint?: string; cause?: unknown } = {},
  ) {
    super(status === 401 || status === 403 ? 'auth' : 'remote', message, options);
    this.status = status;
    this.url = url;
    this.retryable = options.retryable ?? false;
  }
}

/** Connection refused/reset, timeouts, truncated bodies (after retries ran out). */
export class NetworkError extends BcssError {
  readonly url: string;
  constructor(url: string, message: string, options: { hint?: string; cause?: unknown } = {}) {
    super('network', message, options);
    this.url = url;
  }
}

/** Disk full, permission denied, unwritable output folder. */
export class DiskError extends BcssError {
  readonly path: string;
  constructor(path: string, message: string, options: { hint?: string; cause?: unknown } = {}) {
    super('disk', message, options);
    this.path = path;
  }
}

/** Another run holds the output folder's lock. */
export class BusyError extends BcssError {
  constructor(message: string, options: { hint?: string; cause?: unknown } = {}) {
    super('busy', message, options);
  }
}

export function isBcssError(err: unknown): err is BcssError {
  return err instanceof BcssError;
}

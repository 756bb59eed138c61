/**
 * Every failure the tool can explain is a BcssError. Each subclass maps to one
 * exit code (see cli/exit-codes.ts), so the exit code never depends on where
 * the error was thrown. Unknown errors are bugs and exit with EXIT.internal.
 */
export type ErrorKind = 'usage' | 'auth' | 'integrity' | 'network' | 'remote' | 'disk' | 'partial' | 'busy';

/**
 * The base of every failure bcss can explain; `kind` decides the CLI's exit code and `hint` says
 * what to do next.
 *
 * @example
 * ```ts
 * import { isBcssError, runDownload } from 'bcss';
 * try {
 *   await runDownload({ out: 'BCSS' });
 * } catch (err) {
 *   if (isBcssError(err)) console.error(err.kind, err.message, err.hint ?? '');
 *   else throw err;
 * }
 * ```
 */
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

/**
 * Bad flags, config or input files: nothing was fetched.
 *
 * @example
 * ```ts
 * import { runDownload, UsageError } from 'bcss';
 * await runDownload({ out: 'BCSS', rois: [] }).catch((e) => { if (!(e instanceof UsageError)) throw e; });
 * ```
 */
export class UsageError extends BcssError {
  constructor(message: string, options: { hint?: string; cause?: unknown } = {}) {
    super('usage', message, options);
  }
}

/**
 * 401/403 or a rejected API key / login.
 *
 * @example
 * ```ts
 * import { AuthError } from 'bcss';
 * if (err instanceof AuthError) console.error('set BCSS_API_KEY or use --login:', err.message);
 * ```
 */
export class AuthError extends BcssError {
  constructor(message: string, options: { hint?: string; cause?: unknown } = {}) {
    super('auth', message, options);
  }
}

/**
 * Bytes that arrived but are wrong: checksum, size, content type, pixel size.
 *
 * @example
 * ```ts
 * import { IntegrityError } from 'bcss';
 * if (err instanceof IntegrityError) console.error(err.path, 'expected', err.expected, 'got', err.actual);
 * ```
 */
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

/**
 * An HTTP answer that is not a success. `url` is already redacted.
 *
 * @example
 * ```ts
 * import { HttpError } from 'bcss';
 * if (err instanceof HttpError && err.retryable) console.error(`HTTP ${err.status} from ${err.url}: try later`);
 * ```
 */
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

/**
 * Connection refused/reset, timeouts, truncated bodies (after retries ran out).
 *
 * @example
 * ```ts
 * import { NetworkError } from 'bcss';
 * if (err instanceof NetworkError) console.error('cannot reach', err.url);
 * ```
 */
export class NetworkError extends BcssError {
  readonly url: string;
  constructor(url: string, message: string, options: { hint?: string; cause?: unknown } = {}) {
    super('network', message, options);
    this.url = url;
  }
}

/**
 * Disk full, permission denied, unwritable output folder.
 *
 * @example
 * ```ts
 * import { DiskError } from 'bcss';
 * if (err instanceof DiskError) console.error('free space or choose another folder than', err.path);
 * ```
 */
export class DiskError extends BcssError {
  readonly path: string;
  constructor(path: string, message: string, options: { hint?: string; cause?: unknown } = {}) {
    super('disk', message, options);
    this.path = path;
  }
}

/**
 * Another run holds the output folder's lease.
 *
 * @example
 * ```ts
 * import { BusyError } from 'bcss';
 * if (err instanceof BusyError) console.error('another bcss run is writing this folder');
 * ```
 */
export class BusyError extends BcssError {
  constructor(message: string, options: { hint?: string; cause?: unknown } = {}) {
    super('busy', message, options);
  }
}

/**
 * True for every failure bcss explains (as opposed to a bug).
 *
 * @example
 * ```ts
 * import { isBcssError } from 'bcss';
 * const explained = isBcssError(new Error('x')); // false
 * ```
 */
export function isBcssError(err: unknown): err is BcssError {
  return err instanceof BcssError;
}

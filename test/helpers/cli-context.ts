import { Readable, Writable } from 'node:stream';
import type { CliContext } from '../../src/cli/context.js';

export interface FakeContextOptions {
  cwd?: string;
  /** Text served on stdin (default: empty). */
  stdin?: string;
  /** Pretend stdout/stderr are terminals (default false). */
  isTTY?: boolean;
  columns?: number;
  signal?: AbortSignal;
}

export interface FakeContext {
  ctx: CliContext;
  /** Everything written to ctx.stdout so far. */
  stdout(): string;
  /** Everything written to ctx.stderr so far. */
  stderr(): string;
}

class Capture extends Writable {
  readonly chunks: Buffer[] = [];
  isTTY: boolean;
  columns: number;

  constructor(isTTY: boolean, columns: number) {
    super();
    this.isTTY = isTTY;
    this.columns = columns;
  }

  override _write(chunk: Buffer | string, encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk, encoding));
    callback();
  }

  text(): string {
    return Buffer.concat(this.chunks).toString('utf8');
  }
}

/**
 * A CliContext that captures output in memory, so commands can run in-process
 * (`register<Name>(new Command().exitOverride(), ctx, setResult)`). The sinks
 * complete writes synchronously, so output is readable right after the command.
 */
export function fakeContext(env: Record<string, string | undefined> = {}, options: FakeContextOptions = {}): FakeContext {
  const out = new Capture(options.isTTY ?? false, options.columns ?? 80);
  const err = new Capture(options.isTTY ?? false, options.columns ?? 80);
  const stdin = Readable.from(options.stdin === undefined ? [] : [options.stdin]);
  const ctx: CliContext = {
    stdout: out,
    stderr: err,
    stdin,
    env: { ...env },
    cwd: options.cwd ?? process.cwd(),
    signal: options.signal ?? new AbortController().signal,
  };
  return { ctx, stdout: () => out.text(), stderr: () => err.text() };
}

import { UsageError } from '../errors.js';
import type { CliContext } from './context.js';

/**
 * Read one line from the terminal. With `hidden`, the terminal is put in raw
 * mode and nothing is echoed, so a password never shows on screen or in a
 * terminal recording.
 */
export async function promptLine(ctx: CliContext, question: string, hidden: boolean): Promise<string> {
  const input = ctx.stdin;
  if (input.isTTY !== true) {
    throw new UsageError('--login needs an interactive terminal to ask for the user name and password', {
      hint: 'In scripts, put an API key in BCSS_API_KEY (or the config file) instead.',
    });
  }
  ctx.stderr.write(question);
  const raw = hidden && typeof input.setRawMode === 'function';
  if (raw) input.setRawMode?.(true);
  input.resume();
  try {
    return await new Promise<string>((resolvePromise, reject) => {
      let text = '';
      const onData = (chunk: Buffer | string): void => {
        for (const ch of chunk.toString('utf8')) {
          if (ch === '\r' || ch === '\n') {
            cleanup();
            ctx.stderr.write('\n');
            resolvePromise(text);
            return;
          }
          if (ch === '\u0003') {
            cleanup();
            reject(new UsageError('login cancelled'));
            return;
          }
          if (ch === '\u007f' || ch === '\b') text = text.slice(0, -1);
          else text += ch;
        }
      };
      const cleanup = (): void => {
        input.off('data', onData);
      };
      input.on('data', onData);
    });
  } finally {
    if (raw) input.setRawMode?.(false);
    input.pause();
  }
}

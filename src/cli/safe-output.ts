/**
 * Output whose reader went away (`bcss download | head -3`, a closed terminal) must not end the
 * run: Node reports EPIPE as an 'error' event on process.stdout/stderr, and an unhandled one
 * kills the process half-way — an empty log, meta/ files half replaced. The run goes on; its log
 * file (not the terminal) is the record.
 */
export const INTERRUPTED_LINE = 'interrupted — rerun the same command to resume';

export function guardOutput(streams: readonly NodeJS.WritableStream[]): void {
  for (const stream of streams) {
    // Every later write to the closed stream fails again; each is dropped the same way.
    stream.on('error', () => undefined);
  }
}

/**
 * Runs the CLI from source (`node --import tsx bench/lib/cli-entry.ts download …`), for tests
 * that must not depend on a build. Same behaviour as bin/bcss.js, which runs dist/.
 */
import { main } from '../../src/cli/main.js';

main(process.argv).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exitCode = 70;
  },
);

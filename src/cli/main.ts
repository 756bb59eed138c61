import { Command, CommanderError } from 'commander';
import { isBcssError } from '../errors.js';
import { EXIT, exitCodeFor } from './exit-codes.js';
import { processContext, type CliContext } from './context.js';
import { registerInfo } from './commands/info.js';
import { registerServe } from './commands/serve.js';
import { registerDownload } from './commands/download.js';
import { registerVerify } from './commands/verify.js';
import { registerPrepare } from './commands/prepare.js';
import { registerRasterize } from './commands/rasterize.js';
import { registerExtract } from './commands/extract.js';
import { toolVersion } from '../pipeline/tool-version.js';
import { guardOutput, INTERRUPTED_LINE } from './safe-output.js';

/** Secrets the process may hold in its environment; never echoed, even in a crash report. */
function secretRedactor(env: Readonly<Record<string, string | undefined>>): (text: string) => string {
  const secrets = ['BCSS_API_KEY', 'BCSS_SERVE_API_KEY', 'GIRDER_API_KEY']
    .map((name) => env[name])
    .filter((v): v is string => v !== undefined && v.length >= 4);
  return (text) => secrets.reduce((t, s) => t.split(s).join('***'), text);
}

/**
 * A command's action resolves to its exit code; main() turns thrown errors into
 * exit codes in one place, so every command reports failures the same way.
 */
export type CommandResult = { exitCode: number };

export function buildProgram(ctx: CliContext, setResult: (r: CommandResult) => void): Command {
  const program = new Command();
  program
    .name('bcss')
    .description(
      'Get the BCSS breast-cancer semantic segmentation dataset (Amgad et al., Bioinformatics 2019)\n' +
        'onto your disk: verified masks, lossless images at the exact resolution you ask for,\n' +
        'resumable downloads, and a local server that speaks DSA/figshare/GDC for offline work.\n\n' +
        'Mask value 0 means "outside the ROI / don\'t care" - it is not a class.',
    )
    .showHelpAfterError('(run with --help for usage)')
    .configureOutput({
      writeOut: (s) => ctx.stdout.write(s),
      writeErr: (s) => ctx.stderr.write(s),
      getOutHelpWidth: () => ctx.stdout.columns ?? 100,
      getErrHelpWidth: () => ctx.stderr.columns ?? 100,
    })
    .exitOverride();
  program.version(toolVersion(), '-V, --version', 'print the bcss version');
  registerInfo(program, ctx, setResult);
  registerDownload(program, ctx, setResult);
  registerVerify(program, ctx, setResult);
  registerPrepare(program, ctx, setResult);
  registerServe(program, ctx, setResult);
  registerRasterize(program, ctx, setResult);
  registerExtract(program, ctx, setResult);
  program.addHelpText(
    'after',
    '\nExamples:\n' +
      '  bcss info                         dataset facts: ROIs, sites, splits, classes\n' +
      '  bcss download --out BCSS          images + masks at 0.25 um/px from the real servers\n' +
      '  bcss serve --demo --port 0        a local DSA/figshare/GDC server with demo data\n' +
      '  bcss verify --out BCSS            re-hash everything offline\n' +
      '  bcss prepare tiles --size 512     512x512 image/mask tiles with an index.csv (also: splits, gallery, stats)\n\n' +
      'Exit codes: 0 ok, 1 partial failure, 2 usage, 3 auth, 4 integrity, 5 network,\n' +
      '            6 disk, 7 output folder busy, 8 remote error, 70 internal error.\n',
  );
  return program;
}

export async function main(argv: string[], ctx?: CliContext): Promise<number> {
  const controller = new AbortController();
  const onSignal = (): void => controller.abort();
  if (ctx === undefined) {
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
    guardOutput([process.stdout, process.stderr]);
  }
  const context = ctx ?? processContext(controller.signal);
  let result: CommandResult = { exitCode: EXIT.ok };
  const program = buildProgram(context, (r) => {
    result = r;
  });
  try {
    await program.parseAsync(argv);
    return result.exitCode;
  } catch (err) {
    if (err instanceof CommanderError) {
      // --help and --version arrive here as "errors" with exit code 0.
      return err.exitCode === 0 ? EXIT.ok : EXIT.usage;
    }
    if (context.signal.aborted) {
      // Whatever Ctrl-C cut short (a request, a listing) is not an error of its own.
      context.stderr.write(`${INTERRUPTED_LINE}\n`);
      return EXIT.interrupted;
    }
    const redact = secretRedactor(context.env);
    const wantsJson = argv.includes('--json');
    if (isBcssError(err)) {
      const message = redact(err.message);
      const hint = err.hint === undefined ? undefined : redact(err.hint);
      context.stderr.write(`bcss: ${message}\n`);
      if (hint !== undefined) context.stderr.write(`  ${hint}\n`);
      const exitCode = exitCodeFor(err.kind);
      // Machines asked for one JSON object on stdout: they get one for failures too.
      if (wantsJson) context.stdout.write(`${JSON.stringify({ error: { kind: err.kind, message, hint: hint ?? null }, exitCode })}\n`);
      return exitCode;
    }
    const text = redact(err instanceof Error ? (err.stack ?? err.message) : String(err));
    context.stderr.write(`bcss: internal error (please report it):\n${text}\n`);
    if (wantsJson) {
      context.stdout.write(`${JSON.stringify({ error: { kind: 'internal', message: redact(String(err)), hint: null }, exitCode: EXIT.internal })}\n`);
    }
    return EXIT.internal;
  } finally {
    if (ctx === undefined) {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    }
  }
}

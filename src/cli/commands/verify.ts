import { resolve } from 'node:path';
import type { Command } from 'commander';
import { UsageError } from '../../errors.js';
import type { CliContext } from '../context.js';
import { EXIT } from '../exit-codes.js';
import { formatBytes, formatSeconds } from '../progress/format.js';
import type { VerifyIssue } from '../../pipeline/types.js';
import { VERIFY_ADVICE } from '../../pipeline/verify-advice.js';

export function registerVerify(program: Command, ctx: CliContext, setResult: (r: { exitCode: number }) => void): void {
  program
    .command('verify')
    .description('check a downloaded dataset offline: every file against the lock, image/mask pairs, mask values')
    .option('-o, --out <dir>', 'the folder `bcss download` wrote (default ./BCSS or BCSS_OUT)')
    .option('--json', 'print one JSON report object on stdout')
    .addHelpText(
      'after',
      '\nNo network is used. Reports missing, changed and extra files, image/mask size\n' +
        'mismatches, mask values outside the class codes, files made with another dataset spec\n' +
        '(resolution, encoding, mask alignment, ROI bounds than meta/roiBounds.csv) and an\n' +
        'incomplete download (artifacts a run planned but never fetched). Each kind of problem\n' +
        'comes with what to do: a rerun of the same `bcss download` fetches missing, changed and\n' +
        'planned files; an extra file is yours to move or delete.\n' +
        'Exit code 0 when all is well, 4 when something is wrong, 2 when the folder has no bcss.lock.json.\n\n' +
        'Examples:\n' +
        '  bcss verify --out BCSS\n' +
        '  bcss verify --json | jq \'.issues[] | select(.problem == "incomplete")\'\n',
    )
    .action(async (flags: { out?: string; json?: boolean }) => {
      const outDir = resolve(ctx.cwd, flags.out ?? (ctx.env.BCSS_OUT || 'BCSS'));
      const { runVerify } = await import('../../pipeline/verify.js');
      const report = await runVerify({ outDir });
      if (report.issues.some((i) => i.path === 'bcss.lock.json' && i.problem === 'missing')) {
        throw new UsageError(`${outDir} has no bcss.lock.json, so there is nothing to verify against`, {
          hint: 'Point --out at a folder written by `bcss download`.',
        });
      }
      if (flags.json === true) {
        ctx.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
      } else {
        const lines = [
          `verified ${report.checked} files (${formatBytes(report.bytesHashed)} hashed) in ${formatSeconds(report.seconds)}`,
        ];
        for (const issue of report.issues) lines.push(`  ${issue.problem.padEnd(13)} ${issue.path}: ${issue.detail}`);
        if (report.ok) lines.push('all good.');
        else lines.push(`${report.issues.length} problem(s). What to do:`, ...adviceLines(report.issues));
        ctx.stdout.write(`${lines.join('\n')}\n`);
      }
      setResult({ exitCode: report.ok ? EXIT.ok : EXIT.integrity });
    });
}

/** One line per kind of problem present, saying what fixes it. */
export function adviceLines(issues: readonly VerifyIssue[]): string[] {
  const kinds = new Set(issues.map((i) => i.problem));
  const extras = issues.filter((i) => i.problem === 'extra');
  const lines: string[] = [];
  for (const kind of kinds) {
    let advice = VERIFY_ADVICE[kind];
    // Temp files of an interrupted run are the one kind of extra file a rerun does clear away.
    if (kind === 'extra' && extras.every((i) => i.detail.startsWith('temp file'))) advice = 'rerun the same `bcss download` command: it removes temp files of an interrupted run';
    lines.push(`  ${kind}: ${advice}`);
  }
  return lines;
}

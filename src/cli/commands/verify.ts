import { resolve } from 'node:path';
import type { Command } from 'commander';
import { UsageError } from '../../errors.js';
import type { CliContext } from '../context.js';
import { EXIT } from '../exit-codes.js';
import { formatBytes, formatSeconds } from '../progress/format.js';

export function registerVerify(program: Command, ctx: CliContext, setResult: (r: { exitCode: number }) => void): void {
  program
    .command('verify')
    .description('check a downloaded dataset offline: every file against the lock, image/mask pairs, mask values')
    .option('-o, --out <dir>', 'the folder `bcss download` wrote (default ./BCSS or BCSS_OUT)')
    .option('--json', 'print one JSON report object on stdout')
    .addHelpText(
      'after',
      '\nNo network is used. Reports missing, changed and extra files, image/mask size\n' +
        'mismatches and mask values outside the class codes. Exit code 0 when all is well,\n' +
        '4 when something is wrong, 2 when the folder has no bcss.lock.json.\n' +
        'A file reported as changed is fetched again by the next `bcss download`.\n',
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
        lines.push(report.ok ? 'all good.' : `${report.issues.length} problem(s); rerun \`bcss download\` with the same options to repair.`);
        ctx.stdout.write(`${lines.join('\n')}\n`);
      }
      setResult({ exitCode: report.ok ? EXIT.ok : EXIT.integrity });
    });
}

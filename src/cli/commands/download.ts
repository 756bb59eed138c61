import type { Command } from 'commander';
import { AuthError } from '../../errors.js';
import type { CliContext } from '../context.js';
import { EXIT } from '../exit-codes.js';
import { loadConfigFile } from '../options/config-file.js';
import { choiceList, resolveDownloadOptions, type DownloadFlags } from '../options/download-options.js';
import { DOWNLOAD_DEFAULTS as D } from '../../pipeline/defaults.js';
import { chooseMode, createReporter } from '../progress/reporter.js';
import { promptLine } from '../prompt.js';
import { formatBytes, formatSeconds } from '../progress/format.js';
import type { DownloadSummary } from '../../pipeline/types.js';
import { failedRois } from '../../pipeline/failed-items.js';
import { retryCommand } from '../retry-command.js';
import { INTERRUPTED_LINE } from '../safe-output.js';
import { NUMERIC_SETTINGS, rangeText, type NumericKey } from '../options/numeric-settings.js';

const range = (key: NumericKey): string => rangeText(NUMERIC_SETTINGS[key]);

const HELP_AFTER = `
What you get (names as the authors' script, so existing loaders work):
  OUT/images/<ROI>_xmin<X>_ymin<Y>_MPP-0.2500.png   the PNG exactly as the DSA sent it (lossless,
                                                     never re-encoded), at exactly the asked resolution:
                                                     RGBA with alpha 255 when the server resampled the
                                                     region (any --mpp/--mag finer or coarser than the
                                                     scan, as large_image does), RGB at --base;
                                                     .jpg (RGB, lossy) only with --encoding jpeg
                                                     or rendered by bcss from the ROI's local slide
                                                     (--image-source wsi, or auto's fall-back when the
                                                     DSA is down): same name, size and channels
  OUT/masks/<same name>                              8-bit grey PNG, values are class codes, image size
  OUT/annotations/<slide>.json                       DSA annotation documents, bytes as served
  OUT/wsis/download_wsis.sh|.bat                     girder-client commands for the whole slides; the
                                                     key is read from $BCSS_API_KEY when they run
  OUT/wsis/gdc_manifest.txt, download_wsis_gdc.sh    the slides at GDC: manifest (id, name, md5, size)
                                                     and a script that fetches and checks them
  OUT/meta/                                          classes, ROI bounds, magnifications, splits, card
  OUT/logs/<time>.log                                one log per run
  OUT/bcss.lock.json                                 the folder's dataset, and per file its sha256 and source
  OUT/bcss.lock.journal                              only while a run goes (or after a kill): its progress
  OUT/bcss.lease                                     only while a run goes: keeps a second run out (exit 7);
                                                     a stale one (its run died) is taken over, never delete it by hand
  Mask value 0 means "outside the ROI / don't care": give it zero weight, it is not a class.

One folder holds one dataset: a run asking for another resolution, ROI table or source than
the folder's exits 2 and names both; use another --out, or --replace to move the old files to
OUT-replaced-<time>/ first. Runs with other --slides or --components add to the folder.

Settings come from flags > environment (BCSS_OUT, BCSS_MPP, BCSS_MAG, BCSS_SLIDES, BCSS_ROIS,
BCSS_COMPONENTS, BCSS_API_URL, BCSS_FIGSHARE_URL, BCSS_GDC_URL, BCSS_CONCURRENCY, BCSS_IMAGE_SOURCE,
BCSS_FIGSHARE_CONCURRENCY, ...)
> config file (./bcss.config.json or --config; same names, camelCase) > defaults.
An API key is read only from BCSS_API_KEY or the config file, never from the command line.

Examples:
  bcss download                                  images + masks at 0.25 um/px into ./BCSS
  bcss download --mag 20 --slides A1-A0SK,A2-A04P
  bcss download --components masks --base        base-resolution masks only
  bcss download --dry-run                        what would be fetched, sizes, disk space
  bcss download --masks-via files                one figshare request per mask (no article ZIP)
  bcss download --components wsis --wsi-dir /data/bcss-slides
                                                 the 151 slides from the GDC (md5-checked, resumable)
  bcss download --components images,wsis --image-source wsi
                                                 the slides from the GDC, then every ROI image rendered
                                                 from its own slide as soon as it is in (no DSA at all)
  bcss download --wsi-dir /data/bcss-slides      images from the DSA; any ROI it cannot render (down,
                                                 5xx, timeouts) is rendered from its local slide
  bcss serve --demo --scale 0.05 &               then point --api-url/--figshare-url/--gdc-url
                                                 and --rois at the URLs and table it prints

Reruns skip everything the lock proves complete (no request at all); an interrupted
run (Ctrl-C: exit 130) resumes when you rerun the same command; a slide continues from
its .part. Exit codes: 0 ok, 1 some items failed, 2 usage (also: the folder holds another
dataset), 3 auth, 4 integrity (also: every failure was a slide failing its md5), 5 network (every
failure was one), 6 disk, 7 output folder busy, 8 remote error, 130 interrupted.
`;

export function registerDownload(program: Command, ctx: CliContext, setResult: (r: { exitCode: number }) => void): void {
  program
    .command('download')
    .description('download the BCSS dataset: ROI images, ground-truth masks, annotations, WSI scripts, the slides from the GDC')
    .option('-o, --out <dir>', 'output folder (default ./BCSS)')
    .option('-c, --components <list>', 'comma-separated: images,masks,annotations,wsi-scripts,wsis, or all = every one but wsis (default images,masks)')
    .option('--mpp <um>', `resolution in micrometres per pixel (default ${D.mpp}; ${range('mpp')}); sent exactly, not rounded`)
    .option('--mag <power>', `resolution as objective magnification, e.g. 20 (${range('mag')})`)
    .option('--base', 'scan (base) resolution, no resampling')
    .option('--slides <list>', 'only these ROIs: A1-A0SK,TCGA-A2-A04P,... or @file with one per line')
    .option('--rois <file>', 'ROI table in roiBounds.csv format instead of the built-in one')
    .option('--api-url <url>', `DSA/Girder API root (default ${D.apiUrl})`)
    .option('--folder-id <id>', `DSA folder holding the slides (default ${D.folderId})`)
    .option('--figshare-url <url>', `figshare API root (default ${D.figshareUrl})`)
    .option('--gdc-url <url>', `GDC API root (default ${D.gdcUrl})`)
    .option('--concurrency <n>', `artifacts processed at once (default ${D.concurrency}; ${range('concurrency')}; the per-service limits below still apply)`)
    .option('--render-concurrency <n>', `region renders in flight at the DSA (default ${D.renderConcurrency}; ${range('renderConcurrency')})`)
    .option('--figshare-interval <ms>', `minimum gap between the starts of two figshare requests (default ${D.figshareIntervalMs}: figshare asks for <= 1/s; ${range('figshareIntervalMs')})`)
    .option('--figshare-concurrency <n>', `figshare requests in flight at once, still started <= 1/s (default ${D.figshareConcurrency}; ${range('figshareConcurrency')}); the object-store download behind each mask link is not a figshare request`)
    .option('--retries <n>', `retries per request for transient faults (default ${D.retries}; ${range('retries')})`)
    .option('--timeout <s>', `seconds to wait for a server to start answering (default ${D.timeoutSeconds}; ${range('timeoutSeconds')})`)
    .option('--max-json-mb <n>', `largest JSON answer accepted, e.g. an annotation document, in MB (default ${D.maxJsonMb}; ${range('maxJsonMb')})`)
    .option('--wsi-dir <dir>', 'where the wsis component puts the slides (default OUT/wsis; ~150 GB for all of them)')
    .option('--gdc-concurrency <n>', `slides downloaded from the GDC at once (default ${D.gdcConcurrency}; ${range('gdcConcurrency')})`)
    .option(`--encoding <${choiceList('encoding')}>`, 'region encoding asked from the DSA (default png, lossless)')
    .option(`--mask-align <${choiceList('maskAlign')}>`, 'fit base masks one pixel short of the image: resize (as the original) or pad with 0')
    .option(
      `--image-source <${choiceList('imageSource')}>`,
      'where ROI images come from (default auto: the DSA, and for an ROI it fails after its retries the local slide in --wsi-dir or OUT/wsis; dsa: only the DSA; wsi: only the local slides, no DSA)',
    )
    .option(`--masks-via <${choiceList('masksVia')}>`, "base masks from figshare's one article ZIP or one request per file (default auto: the ZIP when it is faster at <= 1 request/s)")
    .option('--config <file>', 'config file (default ./bcss.config.json if present)')
    .option('--login', 'ask for a DSA user name and password (not echoed) instead of an API key')
    .option('--dry-run', 'show what would be fetched, expected sizes and disk needs; write nothing')
    .option('--json', 'print one JSON summary object on stdout')
    .option('--no-progress', 'plain progress lines even on a terminal')
    .option('--fail-fast', 'stop at the first failed artifact')
    .option('--replace', "when the output folder holds another dataset (other resolution, ROI table or sources): move its files to OUT-replaced-<time> first, then download afresh")
    .addHelpText('after', HELP_AFTER)
    .action(async (flags: DownloadFlags) => {
      const loaded = await loadConfigFile(flags.config ?? (ctx.env.BCSS_CONFIG || undefined), ctx.cwd);
      const settings = await resolveDownloadOptions(flags, ctx.env, loaded, ctx.cwd);
      const options = settings.options;
      if (settings.login) {
        if (options.credentials.kind === 'api-key') {
          throw new AuthError('--login was given but an API key is also set (BCSS_API_KEY or config apiKey)', {
            hint: 'Use one of them.',
          });
        }
        const username = await promptLine(ctx, 'DSA user name: ', false);
        const password = await promptLine(ctx, 'DSA password: ', true);
        options.credentials = { kind: 'login', username, password };
      }
      const mode = chooseMode(ctx, settings.json, settings.progress);
      const reporter = createReporter(mode, ctx);
      // A download never loads sharp: masks go through bcss's own PNG codec (src/image/).
      const { runDownload } = await import('../../pipeline/run-download.js');
      let summary: DownloadSummary;
      try {
        summary = await runDownload(options, { onEvent: (e) => reporter.onEvent(e), signal: ctx.signal });
      } finally {
        reporter.stop();
      }
      const interrupted = ctx.signal.aborted;
      if (settings.json) {
        ctx.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
      } else if (interrupted) {
        ctx.stderr.write(`${INTERRUPTED_LINE}\n`);
      } else {
        ctx.stdout.write(humanSummary(summary, (rois) => retryCommand(flags, ctx.cwd, summary.outDir, rois)));
      }
      setResult({ exitCode: interrupted ? EXIT.interrupted : downloadExitCode(summary) });
    });
}

/** True when every failure is a network failure (closed port, DNS, timeouts after all retries). */
export function onlyNetworkFailures(s: DownloadSummary): boolean {
  return s.failures.length > 0 && s.failures.every((f) => f.kind === 'network');
}

/** 0 all done; 5 when every failure is a network failure; 1 for any other failure. */
export function downloadExitCode(s: DownloadSummary): number {
  if (s.failures.length === 0) return EXIT.ok;
  // Slides whose bytes failed the GDC record's md5 twice are an integrity failure of the source
  // (issue 10), not "some items failed": nothing a plain rerun is likely to fix.
  if (s.failures.every((f) => f.kind === 'integrity' && f.item.startsWith('wsis/'))) return EXIT.integrity;
  return onlyNetworkFailures(s) ? EXIT.network : EXIT.partial;
}

/** Artifacts neither done nor failed (left by --fail-fast or a fatal error). */
function plannedCount(s: DownloadSummary): number {
  return Object.values(s.components).reduce((n, c) => n + (c.planned ?? 0), 0);
}

/**
 * `retry` builds the command that fetches only the given ROIs again; it is offered only when
 * nothing else is left to do, since it would leave out what is still planned.
 */
export function humanSummary(s: DownloadSummary, retry: (rois: readonly string[]) => string): string {
  const lines: string[] = [];
  if (s.dryRun) {
    lines.push(`dry run: ${s.plan?.length ?? 0} artifacts would be fetched into ${s.outDir}`);
    for (const p of s.plan ?? []) {
      const size = p.width !== undefined && p.height !== undefined ? ` ${p.width}x${p.height}` : '';
      const est = p.estimatedBytes !== undefined ? ` ~${formatBytes(p.estimatedBytes)}` : '';
      lines.push(`  ${p.kind.padEnd(12)} ${p.path}${size}${est}`);
    }
    if (s.estimatedBytes !== undefined) lines.push(`estimated download: ~${formatBytes(s.estimatedBytes)}`);
    if (s.freeBytes !== undefined) lines.push(`free space at the output folder: ${formatBytes(s.freeBytes)}`);
    lines.push('nothing was written.');
    return `${lines.join('\n')}\n`;
  }
  lines.push(`output: ${s.outDir}`);
  for (const [component, counts] of Object.entries(s.components)) {
    const parts = Object.entries(counts)
      .filter(([, n]) => n > 0)
      .map(([status, n]) => `${n} ${status}`);
    lines.push(`  ${component.padEnd(12)} ${parts.join(', ') || 'nothing to do'}`);
  }
  const src = s.imageSources;
  if (src !== undefined && src.dsa + src.wsi > 0) {
    const after = src.fallbacks > 0 ? ` (${src.fallbacks} of them after the DSA failed; the log says why)` : '';
    lines.push(`  images made: ${src.dsa} by the DSA, ${src.wsi} from local slides${after}`);
  }
  lines.push(
    `${s.requests} requests, ${formatBytes(s.bytes)}, ${s.retries} retries, ${formatSeconds(s.seconds)}`,
  );
  lines.push(`lock: ${s.lockPath}${s.logPath !== null ? `   log: ${s.logPath}` : ''}`);
  if (s.failures.length > 0) {
    lines.push(`${s.failures.length} item(s) FAILED:`);
    for (const f of s.failures) lines.push(`  ${f.item}: ${f.reason}`);
    if (onlyNetworkFailures(s)) lines.push('every failure is a network failure: check the connection and the service URLs.');
    const planned = plannedCount(s);
    const { rois } = failedRois(s.failures);
    if (planned > 0) {
      lines.push(`${planned} more item(s) were not started. Rerun the same command to finish: completed items are skipped.`);
    } else {
      if (rois.length > 0) lines.push(`retry only these with:\n  ${retry(rois)}`);
      lines.push(`${rois.length > 0 ? 'or simply rerun' : 'Rerun'} the same command: completed items are skipped.`);
    }
  } else {
    lines.push('all done. `bcss verify` re-checks everything offline.');
  }
  return `${lines.join('\n')}\n`;
}

import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { UsageError } from '../../errors.js';
import { ensureOutDir } from '../../pipeline/out-dir.js';
import {
  builtinRois,
  parseRoiTable,
  DSA_API_URL,
  DSA_FOLDER_ID,
  FIGSHARE_API_URL,
  FIGSHARE_ARTICLE_ID,
  GDC_API_URL,
} from '../../catalog/index.js';
import type { Resolution } from '../../geometry/types.js';
import { ALL_COMPONENTS, OBJECT_STORE_LANE, SELECTABLE_COMPONENTS, type Component, type Credentials, type DownloadOptions } from '../../pipeline/types.js';
import type { ConfigFile } from './config-file.js';
import { filterRois, parseSlideList } from './slide-filter.js';
import { checkNumber, NUMERIC_SETTINGS, resolveNumber, sourceName, type NumericKey, type NumericLayer } from './numeric-settings.js';

export const DEFAULTS = {
  out: 'BCSS',
  components: ['images', 'masks'] as Component[],
  mpp: 0.25,
  apiUrl: DSA_API_URL,
  folderId: DSA_FOLDER_ID,
  figshareUrl: FIGSHARE_API_URL,
  figshareArticleId: FIGSHARE_ARTICLE_ID,
  gdcUrl: GDC_API_URL,
  /** Artifacts in progress at once: workers are cheap, the lanes below enforce politeness. */
  concurrency: 16,
  renderConcurrency: 4,
  /** figshare asks for ≤ 1 request START per second; a few may overlap (each mask is a redirect + a blob). */
  figshareIntervalMs: 1000,
  figshareConcurrency: 4,
  /** Slides downloaded from the GDC at once, like gdc-client's default. */
  gdcConcurrency: 2,
  /**
   * The pre-signed object-store GET behind each figshare `ndownloader` redirect goes to another
   * service (S3 for the real figshare), so it has its own lane and does not count against
   * figshare's 1 request/s; this bounds how many such downloads run at once.
   */
  objectStoreConcurrency: 8,
  retries: 6,
  timeoutSeconds: 300,
  idleTimeoutSeconds: 60,
  wsiKeyEnvVar: 'BCSS_API_KEY',
  /** Real BCSS annotation documents are a few MB; 256 leaves a wide margin (issue 9, item 5). */
  maxJsonMb: 256,
} as const;

/** Flags as commander hands them over: undefined when not given. */
export interface DownloadFlags {
  out?: string;
  components?: string;
  mpp?: string;
  mag?: string;
  base?: boolean;
  slides?: string;
  rois?: string;
  apiUrl?: string;
  folderId?: string;
  figshareUrl?: string;
  gdcUrl?: string;
  concurrency?: string;
  renderConcurrency?: string;
  figshareInterval?: string;
  figshareConcurrency?: string;
  gdcConcurrency?: string;
  wsiDir?: string;
  retries?: string;
  timeout?: string;
  maxJsonMb?: string;
  encoding?: string;
  maskAlign?: string;
  config?: string;
  dryRun?: boolean;
  json?: boolean;
  progress?: boolean;
  failFast?: boolean;
  login?: boolean;
  replace?: boolean;
}

type Env = Readonly<Record<string, string | undefined>>;

/** One setting, looked up flag → env → config; the first layer that has it wins. */
interface Layered<T> {
  value: T | undefined;
  from: string;
}

function pick<T>(...layers: Array<[T | undefined, string]>): Layered<T> {
  for (const [value, from] of layers) if (value !== undefined) return { value, from };
  return { value: undefined, from: 'default' };
}

function nonEmpty(s: string | undefined): string | undefined {
  return s === undefined || s.trim() === '' ? undefined : s.trim();
}

function parseUrl(text: string, what: string): string {
  let u: URL;
  try {
    u = new URL(text);
  } catch {
    throw new UsageError(`${what} is not a URL: ${JSON.stringify(text)}`, { hint: 'Give a full URL such as http://127.0.0.1:8080/api/v1' });
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') {
    throw new UsageError(`${what} must be an http(s) URL, got ${u.protocol}`);
  }
  if (u.username !== '' || u.password !== '') {
    // Credentials in URLs end up in logs and the lock file.
    throw new UsageError(`${what} must not contain a user name or password`, {
      hint: 'Put an API key in BCSS_API_KEY or the config file, or use --login.',
    });
  }
  return text.replace(/\/+$/, '');
}

function parseComponents(value: string | readonly string[], from: string): Component[] {
  const items = (typeof value === 'string' ? value.split(',') : value).map((s) => s.trim()).filter((s) => s !== '');
  if (items.length === 0) throw new UsageError(`${from}: no components given`, { hint: `Choose from ${SELECTABLE_COMPONENTS.join(', ')}.` });
  const out: Component[] = [];
  for (const item of items) {
    // `all` is every component but the slides (~150 GB): `all,wsis` asks for them too.
    const named = item === 'all' ? ALL_COMPONENTS : [item];
    for (const c of named) {
      if (!(SELECTABLE_COMPONENTS as readonly string[]).includes(c)) {
        throw new UsageError(`${from}: unknown component ${JSON.stringify(c)}`, {
          hint: `Choose from ${SELECTABLE_COMPONENTS.join(', ')} (comma-separated), or all (every one but wsis).`,
        });
      }
      if (!out.includes(c as Component)) out.push(c as Component);
    }
  }
  return out;
}

/** --mpp, --mag and --base exclude each other within one layer; a higher layer replaces a lower one's choice. */
function resolveResolution(flags: DownloadFlags, env: Env, config: ConfigFile, configPath: string | null): Resolution {
  const layers: Array<{ from: string; layer: NumericLayer; mpp?: string | number; mag?: string | number; base?: boolean }> = [
    { from: 'flags', layer: 'flag', mpp: flags.mpp, mag: flags.mag, base: flags.base },
    {
      from: 'environment',
      layer: 'env',
      mpp: nonEmpty(env.BCSS_MPP),
      mag: nonEmpty(env.BCSS_MAG),
      base: nonEmpty(env.BCSS_BASE) === undefined ? undefined : /^(1|true|yes)$/i.test(env.BCSS_BASE ?? ''),
    },
    { from: 'config file', layer: 'config', mpp: config.mpp, mag: config.mag, base: config.base },
  ];
  for (const layer of layers) {
    const given = [
      layer.mpp !== undefined ? '--mpp' : null,
      layer.mag !== undefined ? '--mag' : null,
      layer.base === true ? '--base' : null,
    ].filter((x): x is string => x !== null);
    if (given.length > 1) {
      throw new UsageError(`${given.join(' and ')} were both given (${layer.from}); choose one resolution`, {
        hint: '--mpp 0.25 (micrometres per pixel), --mag 20 (objective power) or --base (scan resolution).',
      });
    }
    if (layer.mpp !== undefined) {
      const s = NUMERIC_SETTINGS.mpp;
      return { kind: 'mpp', mpp: checkNumber(s, layer.mpp, sourceName(s, layer.layer, layer.mpp, configPath)) };
    }
    if (layer.mag !== undefined) {
      const s = NUMERIC_SETTINGS.mag;
      return { kind: 'mag', magnification: checkNumber(s, layer.mag, sourceName(s, layer.layer, layer.mag, configPath)) };
    }
    if (layer.base === true) return { kind: 'base' };
  }
  return { kind: 'mpp', mpp: DEFAULTS.mpp };
}

async function readRoiSource(path: string, cwd: string): Promise<{ rois: DownloadOptions['rois']; custom: boolean }> {
  const full = resolve(cwd, path);
  let text: string;
  try {
    text = await readFile(full, 'utf8');
  } catch (err) {
    throw new UsageError(`cannot read the ROI table ${full}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`, {
      hint: '--rois takes a CSV in roiBounds.csv format (,xmin,ymin,xmax,ymax,mask_link).',
    });
  }
  try {
    return { rois: parseRoiTable(text, full), custom: true };
  } catch (err) {
    throw new UsageError((err as Error).message, {
      hint: '--rois takes a CSV in roiBounds.csv format (,xmin,ymin,xmax,ymax,mask_link).',
    });
  }
}

async function slideRefs(value: string | readonly string[], cwd: string): Promise<{ refs: string[]; source: string }> {
  if (typeof value !== 'string') return { refs: [...value], source: 'the config file' };
  if (value.startsWith('@')) {
    const file = resolve(cwd, value.slice(1));
    try {
      return { refs: parseSlideList(await readFile(file, 'utf8')), source: file };
    } catch (err) {
      throw new UsageError(`cannot read the slide list ${file}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
    }
  }
  return { refs: parseSlideList(value), source: '--slides' };
}

/**
 * The output folder must be creatable and writable. For a dry run nothing is
 * created, so the nearest existing ancestor is checked instead.
 */
export async function checkOutDir(outDir: string, dryRun: boolean): Promise<void> {
  await ensureOutDir(outDir, { dryRun });
}

export interface CliDownloadSettings {
  options: DownloadOptions;
  json: boolean;
  progress: boolean;
  login: boolean;
  configPath: string | null;
}

export async function resolveDownloadOptions(
  flags: DownloadFlags,
  env: Env,
  loaded: { path: string | null; config: ConfigFile },
  cwd: string,
): Promise<CliDownloadSettings> {
  const config = loaded.config;
  const resolution = resolveResolution(flags, env, config, loaded.path);

  const comps = pick<string | readonly string[]>(
    [flags.components, '--components'],
    [nonEmpty(env.BCSS_COMPONENTS), 'BCSS_COMPONENTS'],
    [config.components, 'config components'],
  );
  const components = comps.value === undefined ? [...DEFAULTS.components] : parseComponents(comps.value, comps.from);

  const outText = pick<string>([flags.out, '--out'], [nonEmpty(env.BCSS_OUT), 'BCSS_OUT'], [config.out, 'config out']).value ?? DEFAULTS.out;
  const outDir = resolve(cwd, outText);

  const roisPath = pick<string>([flags.rois, '--rois'], [nonEmpty(env.BCSS_ROIS), 'BCSS_ROIS'], [config.rois, 'config rois']).value;
  const table = roisPath === undefined ? { rois: builtinRois(), custom: false } : await readRoiSource(roisPath, cwd);
  const slidesValue = pick<string | readonly string[]>(
    [flags.slides, '--slides'],
    [nonEmpty(env.BCSS_SLIDES), 'BCSS_SLIDES'],
    [config.slides, 'config slides'],
  ).value;
  let rois = table.rois;
  if (slidesValue !== undefined) {
    const { refs, source } = await slideRefs(slidesValue, cwd);
    if (refs.length === 0) throw new UsageError(`${source} names no slides`);
    rois = filterRois(rois, refs, source);
  }

  const url = (flag: string | undefined, envName: string, conf: string | undefined, def: string, what: string): string => {
    const v = pick<string>([flag, what], [nonEmpty(env[envName]), envName], [conf, `config`]);
    return parseUrl(v.value ?? def, v.from === 'default' ? what : `${what} (${v.from})`);
  };
  const apiUrl = url(flags.apiUrl, 'BCSS_API_URL', config.apiUrl, DEFAULTS.apiUrl, '--api-url');
  const figshareUrl = url(flags.figshareUrl, 'BCSS_FIGSHARE_URL', config.figshareUrl, DEFAULTS.figshareUrl, '--figshare-url');
  const gdcUrl = url(flags.gdcUrl, 'BCSS_GDC_URL', config.gdcUrl, DEFAULTS.gdcUrl, '--gdc-url');

  const folderId = pick<string>([flags.folderId, '--folder-id'], [nonEmpty(env.BCSS_FOLDER_ID), 'BCSS_FOLDER_ID'], [config.folderId, 'config']).value ?? DEFAULTS.folderId;
  if (!/^[0-9a-f]{24}$/.test(folderId)) throw new UsageError(`--folder-id must be a 24-character hex Girder id, got ${JSON.stringify(folderId)}`);

  const num = (key: NumericKey, flag: string | undefined, def: number): number =>
    resolveNumber(NUMERIC_SETTINGS[key], flag, env, config, loaded.path) ?? def;
  const concurrency = num('concurrency', flags.concurrency, DEFAULTS.concurrency);
  const renderConcurrency = num('renderConcurrency', flags.renderConcurrency, DEFAULTS.renderConcurrency);
  const figshareIntervalMs = num('figshareIntervalMs', flags.figshareInterval, DEFAULTS.figshareIntervalMs);
  const figshareConcurrency = num('figshareConcurrency', flags.figshareConcurrency, DEFAULTS.figshareConcurrency);
  const gdcConcurrency = num('gdcConcurrency', flags.gdcConcurrency, DEFAULTS.gdcConcurrency);
  const wsiDirText = pick<string>([flags.wsiDir, '--wsi-dir'], [nonEmpty(env.BCSS_WSI_DIR), 'BCSS_WSI_DIR'], [config.wsiDir, 'config wsiDir']).value;
  const retries = num('retries', flags.retries, DEFAULTS.retries);
  const headersTimeoutMs = num('timeoutSeconds', flags.timeout, DEFAULTS.timeoutSeconds) * 1000;
  const idleTimeoutMs = num('idleTimeoutSeconds', undefined, DEFAULTS.idleTimeoutSeconds) * 1000;
  const figshareArticleId = num('figshareArticleId', undefined, DEFAULTS.figshareArticleId);
  const maxJsonMb = num('maxJsonMb', flags.maxJsonMb, DEFAULTS.maxJsonMb);

  const encodingText = pick<string>([flags.encoding, '--encoding'], [nonEmpty(env.BCSS_ENCODING), 'BCSS_ENCODING'], [config.encoding, 'config']).value ?? 'png';
  const encoding = encodingText.toLowerCase();
  if (encoding !== 'png' && encoding !== 'jpeg') {
    throw new UsageError(`--encoding must be png or jpeg, got ${JSON.stringify(encodingText)}`, { hint: 'png is lossless and the default.' });
  }
  const alignText = pick<string>([flags.maskAlign, '--mask-align'], [nonEmpty(env.BCSS_MASK_ALIGN), 'BCSS_MASK_ALIGN'], [config.maskAlign, 'config']).value ?? 'resize';
  if (alignText !== 'resize' && alignText !== 'pad') {
    throw new UsageError(`--mask-align must be resize or pad, got ${JSON.stringify(alignText)}`);
  }

  // The key never comes from a flag: process arguments are visible to every user of the machine.
  const apiKey = nonEmpty(env.BCSS_API_KEY) ?? config.apiKey;
  if (apiKey !== undefined && !/^[A-Za-z0-9]{1,128}$/.test(apiKey)) {
    throw new UsageError('the API key (BCSS_API_KEY or config apiKey) contains characters a Girder key never has', {
      hint: 'Copy the 40-character key again from your DSA account page.',
    });
  }
  const credentials: Credentials = apiKey !== undefined ? { kind: 'api-key', apiKey } : { kind: 'anonymous' };
  // Like the key, the GDC / figshare tokens come from the environment or the config file only.
  const gdcToken = serviceToken(nonEmpty(env.BCSS_GDC_TOKEN) ?? config.gdcToken, 'BCSS_GDC_TOKEN (or config gdcToken)');
  const figshareToken = serviceToken(nonEmpty(env.BCSS_FIGSHARE_TOKEN) ?? config.figshareToken, 'BCSS_FIGSHARE_TOKEN (or config figshareToken)');

  const dryRun = flags.dryRun === true;
  await checkOutDir(outDir, dryRun);

  const progressSetting = flags.progress ?? config.progress ?? true;
  return {
    options: {
      outDir,
      components,
      resolution,
      encoding,
      maskAlign: alignText,
      rois,
      customRois: table.custom,
      roiTable: table.rois,
      replace: flags.replace === true,
      apiUrl,
      folderId,
      figshareUrl,
      figshareArticleId,
      gdcUrl,
      credentials,
      lanes: {
        dsa: { concurrency: 4, minIntervalMs: 0 },
        'dsa-render': { concurrency: renderConcurrency, minIntervalMs: 0 },
        // The interval spaces request STARTS, whatever the concurrency: ≤ 1/s by default.
        figshare: { concurrency: figshareConcurrency, minIntervalMs: figshareIntervalMs },
        [OBJECT_STORE_LANE]: { concurrency: DEFAULTS.objectStoreConcurrency, minIntervalMs: 0 },
        gdc: { concurrency: 4, minIntervalMs: 0 },
      },
      concurrency,
      maxRetries: retries,
      headersTimeoutMs,
      idleTimeoutMs,
      maxJsonBytes: maxJsonMb * 1024 * 1024,
      ...(gdcToken === undefined ? {} : { gdcToken }),
      ...(figshareToken === undefined ? {} : { figshareToken }),
      dryRun,
      failFast: flags.failFast === true || config.failFast === true,
      wsiKeyEnvVar: DEFAULTS.wsiKeyEnvVar,
      gdcConcurrency,
      ...(wsiDirText === undefined ? {} : { wsiDir: resolve(cwd, wsiDirText) }),
    },
    json: flags.json === true,
    progress: progressSetting,
    login: flags.login === true,
    configPath: loaded.path,
  };
}

/** A service token: printable ASCII without spaces (it goes into an HTTP header as is). */
function serviceToken(value: string | undefined, what: string): string | undefined {
  if (value === undefined) return undefined;
  if (!/^[\x21-\x7e]{1,4096}$/.test(value)) {
    throw new UsageError(`the token in ${what} contains spaces or characters a token never has`, { hint: 'Copy the token again from the service.' });
  }
  return value;
}

import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { UsageError } from '../../errors.js';
import { ensureOutDir } from '../../pipeline/out-dir.js';
import { builtinRois, parseRoiTable } from '../../catalog/index.js';
import { defaultLanes, DOWNLOAD_DEFAULTS } from '../../pipeline/defaults.js';
import type { Resolution } from '../../geometry/types.js';
import { ALL_COMPONENTS, SELECTABLE_COMPONENTS, type Component, type Credentials, type DownloadOptions } from '../../pipeline/types.js';
import type { ConfigFile } from './config-file.js';
import { filterRois, parseSlideList } from './slide-filter.js';
import { checkNumber, NUMERIC_SETTINGS, resolveNumber, sourceName, type NumericKey, type NumericLayer } from './numeric-settings.js';


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
  masksVia?: string;
  imageSource?: string;
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
  return { kind: 'mpp', mpp: DOWNLOAD_DEFAULTS.mpp };
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

/**
 * The choice settings: each with its flag, environment variable, config key and accepted values,
 * written once; the messages list the values from here.
 */
export const CHOICES = {
  encoding: { flag: '--encoding', env: 'BCSS_ENCODING', config: 'encoding', values: ['png', 'jpeg'], lowerCase: true, hint: 'png is lossless and the default.' },
  maskAlign: { flag: '--mask-align', env: 'BCSS_MASK_ALIGN', config: 'maskAlign', values: ['resize', 'pad'], lowerCase: false, hint: undefined },
  masksVia: {
    flag: '--masks-via',
    env: 'BCSS_MASKS_VIA',
    config: null,
    values: ['auto', 'zip', 'files'],
    lowerCase: false,
    hint: "auto (the default) takes figshare's article ZIP when it is faster than one polite request per mask.",
  },
  imageSource: {
    flag: '--image-source',
    env: 'BCSS_IMAGE_SOURCE',
    config: 'imageSource',
    values: ['auto', 'dsa', 'wsi'],
    lowerCase: true,
    hint: 'auto (the default) asks the DSA and falls back to the local slide; dsa never reads a slide; wsi renders every image from the slides in --wsi-dir (or OUT/wsis).',
  },
} as const;

export type ChoiceKey = keyof typeof CHOICES;

/** `png|jpeg`, for the flag's help. */
export function choiceList(key: ChoiceKey): string {
  return CHOICES[key].values.join('|');
}
type ChoiceValue<K extends ChoiceKey> = (typeof CHOICES)[K]['values'][number];

/** "a or b", "a, b or c". */
function orList(values: readonly string[]): string {
  return values.length < 2 ? values.join('') : `${values.slice(0, -1).join(', ')} or ${values[values.length - 1]}`;
}

/** One choice setting, flag > environment > config > the first value (its default). */
function resolveChoice<K extends ChoiceKey>(key: K, flag: string | undefined, env: Env, config: ConfigFile): ChoiceValue<K> {
  const c = CHOICES[key];
  const fromConfig = c.config === null ? undefined : (config[c.config] as string | undefined);
  const text = pick<string>([flag, c.flag], [nonEmpty(env[c.env]), c.env], [fromConfig, 'config']).value ?? c.values[0];
  const value = c.lowerCase ? text.toLowerCase() : text;
  if (!(c.values as readonly string[]).includes(value)) {
    throw new UsageError(`${c.flag} must be ${orList(c.values)}, got ${JSON.stringify(text)}`, c.hint === undefined ? {} : { hint: c.hint });
  }
  return value as ChoiceValue<K>;
}

/** The ROI table (built-in or --rois) narrowed by --slides. */
async function resolveRois(flags: DownloadFlags, env: Env, config: ConfigFile, cwd: string): Promise<{ rois: DownloadOptions['rois']; table: DownloadOptions['rois']; custom: boolean }> {
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
  return { rois, table: table.rois, custom: table.custom };
}

/** The service roots and the DSA folder. */
function resolveSources(flags: DownloadFlags, env: Env, config: ConfigFile): Pick<DownloadOptions, 'apiUrl' | 'figshareUrl' | 'gdcUrl' | 'folderId'> {
  const d = DOWNLOAD_DEFAULTS;
  const url = (flag: string | undefined, envName: string, conf: string | undefined, def: string, what: string): string => {
    const v = pick<string>([flag, what], [nonEmpty(env[envName]), envName], [conf, `config`]);
    return parseUrl(v.value ?? def, v.from === 'default' ? what : `${what} (${v.from})`);
  };
  const apiUrl = url(flags.apiUrl, 'BCSS_API_URL', config.apiUrl, d.apiUrl, '--api-url');
  const figshareUrl = url(flags.figshareUrl, 'BCSS_FIGSHARE_URL', config.figshareUrl, d.figshareUrl, '--figshare-url');
  const gdcUrl = url(flags.gdcUrl, 'BCSS_GDC_URL', config.gdcUrl, d.gdcUrl, '--gdc-url');
  const folderId = pick<string>([flags.folderId, '--folder-id'], [nonEmpty(env.BCSS_FOLDER_ID), 'BCSS_FOLDER_ID'], [config.folderId, 'config']).value ?? d.folderId;
  if (!/^[0-9a-f]{24}$/.test(folderId)) throw new UsageError(`--folder-id must be a 24-character hex Girder id, got ${JSON.stringify(folderId)}`);
  return { apiUrl, figshareUrl, gdcUrl, folderId };
}

/** The numeric settings (one table: numeric-settings.ts) over the pipeline's defaults. */
function resolveNumbers(
  flags: DownloadFlags,
  env: Env,
  loaded: { path: string | null; config: ConfigFile },
): Pick<DownloadOptions, 'concurrency' | 'maxRetries' | 'headersTimeoutMs' | 'idleTimeoutMs' | 'figshareArticleId' | 'lanes'> & { maxJsonBytes: number; gdcConcurrency: number } {
  const d = DOWNLOAD_DEFAULTS;
  const num = (key: NumericKey, flag: string | undefined, def: number): number =>
    resolveNumber(NUMERIC_SETTINGS[key], flag, env, loaded.config, loaded.path) ?? def;
  return {
    concurrency: num('concurrency', flags.concurrency, d.concurrency),
    maxRetries: num('retries', flags.retries, d.retries),
    headersTimeoutMs: num('timeoutSeconds', flags.timeout, d.timeoutSeconds) * 1000,
    idleTimeoutMs: num('idleTimeoutSeconds', undefined, d.idleTimeoutSeconds) * 1000,
    figshareArticleId: num('figshareArticleId', undefined, d.figshareArticleId),
    gdcConcurrency: num('gdcConcurrency', flags.gdcConcurrency, d.gdcConcurrency),
    maxJsonBytes: num('maxJsonMb', flags.maxJsonMb, d.maxJsonMb) * 1024 * 1024,
    lanes: defaultLanes({
      renderConcurrency: num('renderConcurrency', flags.renderConcurrency, d.renderConcurrency),
      figshareIntervalMs: num('figshareIntervalMs', flags.figshareInterval, d.figshareIntervalMs),
      figshareConcurrency: num('figshareConcurrency', flags.figshareConcurrency, d.figshareConcurrency),
    }),
  };
}

/** The DSA key and the service tokens: from the environment or the config file, never a flag. */
function resolveSecrets(env: Env, config: ConfigFile): Pick<DownloadOptions, 'credentials' | 'gdcToken' | 'figshareToken'> {
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
  return {
    credentials,
    ...(gdcToken === undefined ? {} : { gdcToken }),
    ...(figshareToken === undefined ? {} : { figshareToken }),
  };
}

/** Flags > environment > config file over the pipeline's defaults (DOWNLOAD_DEFAULTS). */
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
  const components = comps.value === undefined ? [...DOWNLOAD_DEFAULTS.components] : parseComponents(comps.value, comps.from);
  const outText = pick<string>([flags.out, '--out'], [nonEmpty(env.BCSS_OUT), 'BCSS_OUT'], [config.out, 'config out']).value ?? DOWNLOAD_DEFAULTS.out;
  const outDir = resolve(cwd, outText);
  const rois = await resolveRois(flags, env, config, cwd);
  const sources = resolveSources(flags, env, config);
  const numbers = resolveNumbers(flags, env, loaded);
  const encoding = resolveChoice('encoding', flags.encoding, env, config);
  const maskAlign = resolveChoice('maskAlign', flags.maskAlign, env, config);
  const masksVia = resolveChoice('masksVia', flags.masksVia, env, config);
  const imageSource = resolveChoice('imageSource', flags.imageSource, env, config);
  const secrets = resolveSecrets(env, config);
  const wsiDirText = pick<string>([flags.wsiDir, '--wsi-dir'], [nonEmpty(env.BCSS_WSI_DIR), 'BCSS_WSI_DIR'], [config.wsiDir, 'config wsiDir']).value;
  const dryRun = flags.dryRun === true;
  await checkOutDir(outDir, dryRun);
  return {
    options: {
      outDir,
      components,
      resolution,
      encoding,
      maskAlign,
      masksVia,
      imageSource,
      rois: rois.rois,
      customRois: rois.custom,
      roiTable: rois.table,
      replace: flags.replace === true,
      ...sources,
      ...secrets,
      ...numbers,
      dryRun,
      failFast: flags.failFast === true || config.failFast === true,
      wsiKeyEnvVar: DOWNLOAD_DEFAULTS.wsiKeyEnvVar,
      ...(wsiDirText === undefined ? {} : { wsiDir: resolve(cwd, wsiDirText) }),
    },
    json: flags.json === true,
    progress: flags.progress ?? config.progress ?? true,
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

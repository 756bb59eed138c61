/**
 * Faithful replays of the Python clients `bcss serve` must satisfy (docs/protocols.md#girder-authentication, #girder-client-behaviour,
 * docs/protocols.md#the-original-script-on-the-wire): `girder_client` (library and `girder-client` CLI, on top of python-requests) and the
 * original BCSS download script. PyPI is unreachable here, so instead of running the Python code
 * these helpers send the same requests byte for byte (request target, header set, empty
 * `Girder-Token:` when anonymous, `Content-Length: 0` on body-less POSTs) and apply the same
 * acceptance rules to the answers. Written from girder_client's and the script's documented
 * behaviour; no code is copied.
 */
import { randomBytes } from 'node:crypto';
import { copyFile, mkdir, mkdtemp, rename, rm, stat, unlink, writeFile } from 'node:fs/promises';
import { Agent, request, type IncomingHttpHeaders } from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { Readable } from 'node:stream';
import { loadDemoDataset } from '../../src/server/demo/demo-dataset.js';
import type { ServedDataset, ServedFile } from '../../src/server/dataset-types.js';
import type { FaultOptions } from '../../src/server/faults.js';
import type { GirderUserSpec } from '../../src/server/girder/auth.js';
import { startServer, type RunningServer } from '../../src/server/start-server.js';
import { demoCacheDir } from '../helpers/demo-cache.js';

/** Demo scale of every compatibility test: ROIs of a few hundred pixels, renders in milliseconds. */
export const COMPAT_SCALE = 0.05;

/**
 * The python-requests release whose request heads were captured for the harness self-test
 * (compat-girder-client.test.ts); servers only ever look at the `python-requests/` prefix.
 */
export const REQUESTS_UA = 'python-requests/2.34.2';

// ---------------------------------------------------------------------------------------------
// Raw HTTP exchange
// ---------------------------------------------------------------------------------------------

export interface WireRequest {
  method: string;
  /** Request target exactly as sent (`/api/v1//item/…?…`): never normalised. */
  target: string;
  /** Header lines in order, `Host` first as http.client puts it. */
  headers: Array<[string, string]>;
  body?: Buffer;
}

export interface WireResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
  /** False when the connection ended before the declared body did. urllib3 1.x (the BCSS era)
   * hands such short bodies over without an error; the girder_client size check catches them. */
  complete: boolean;
}

/** One exchange over `agent`; rejects only when no response arrived (requests' ConnectionError). */
export function sendRaw(origin: URL, req: WireRequest, agent: Agent | false = false): Promise<WireResponse> {
  return new Promise((resolve, reject) => {
    const flat = req.headers.flatMap(([k, v]) => [k, v]);
    const r = request({ host: origin.hostname, port: origin.port, method: req.method, path: req.target, headers: flat, agent });
    r.on('error', reject);
    r.on('response', (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('error', () => {
        // A cut connection: 'close' below reports what arrived.
      });
      res.on('close', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks), complete: res.complete }));
    });
    r.end(req.body);
  });
}

/** The headers python-requests sends on every request (Host comes from http.client). */
export function requestsHeaders(origin: URL): Array<[string, string]> {
  return [
    ['Host', origin.host],
    ['User-Agent', REQUESTS_UA],
    ['Accept-Encoding', 'gzip, deflate'],
    ['Accept', '*/*'],
    ['Connection', 'keep-alive'],
  ];
}

/** Python's `urlencode(params)`: quote_plus of `str(value)`, in insertion order. */
export function pyUrlencode(params: Record<string, string | number>): string {
  const q = (s: string): string =>
    encodeURIComponent(s)
      .replace(/[!'()*]/g, (c) => `%${(c.codePointAt(0) as number).toString(16).toUpperCase()}`)
      .replace(/%20/g, '+');
  return Object.entries(params)
    .map(([k, v]) => `${q(k)}=${q(String(v))}`)
    .join('&');
}

/**
 * Python's `'%.<digits>f' % x` for the values the BCSS script formats. JavaScript's toFixed
 * rounds the exact binary value like Python does; the two differ only on exact binary ties,
 * which the callers rule out.
 */
export function pyFixed(x: number, digits: number): string {
  // An exact decimal tie needs x·2^(digits+1) to be an odd integer (multiplying by 2^k is exact).
  const scaled = Math.abs(x) * 2 ** (digits + 1);
  if (Number.isInteger(scaled) && scaled % 2 === 1) throw new Error(`pyFixed: ${x} is an exact tie; Python rounds it half-even`);
  return x.toFixed(digits);
}

/** Python's `json.dumps(value, sort_keys=True)` for documents without floats (ensure_ascii on). */
export function pyJsonDumps(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return `[${value.map(pyJsonDumps).join(', ')}]`;
  if (typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${pyJsonDumps(k)}: ${pyJsonDumps(v)}`).join(', ')}}`;
  }
  if (typeof value === 'number') {
    if (!Number.isInteger(value)) throw new Error(`pyJsonDumps: floats are ambiguous after JSON.parse (${value})`);
    return String(value);
  }
  if (typeof value === 'string') {
    return JSON.stringify(value).replace(/[\u007f-\uffff]/g, (c) => `\\u${(c.codePointAt(0) as number).toString(16).padStart(4, '0')}`);
  }
  return JSON.stringify(value);
}

// ---------------------------------------------------------------------------------------------
// girder_client replay
// ---------------------------------------------------------------------------------------------

/** Which responses count as success: girder_client < 3.1.6 accepts only 200 and 201 (docs/protocols.md#girder-client-behaviour). */
export type Acceptance = 'old' | 'new';

export class GirderHttpError extends Error {
  constructor(
    readonly status: number,
    readonly method: string,
    readonly url: string,
    readonly responseText: string,
  ) {
    super(`HTTP error ${status}: ${method} ${url}\nResponse text: ${responseText}`);
    this.name = 'HttpError';
  }
}

export class IncompleteResponseError extends Error {
  constructor(
    message: string,
    readonly expected: number,
    readonly received: number,
  ) {
    super(`${message} (${received} of ${expected} bytes received)`);
    this.name = 'IncompleteResponseError';
  }
}

export class AuthenticationError extends Error {
  constructor() {
    super('authentication failed');
    this.name = 'AuthenticationError';
  }
}

/** What `response.json()` raises on a body that is not JSON (json.decoder.JSONDecodeError). */
export class JsonDecodeError extends Error {
  constructor(readonly text: string) {
    super('JSONDecodeError: the response body is not valid JSON');
    this.name = 'JSONDecodeError';
  }
}

export interface WireEntry {
  method: string;
  /** Request target relative to the API root (`api_key/token?key=…`, `/item/…` for `//item/…`). */
  path: string;
  status: number;
  /** Request headers as sent. */
  headers: Array<[string, string]>;
  responseHeaders: IncomingHttpHeaders;
}

interface RequestOptions {
  parameters?: Record<string, string | number>;
  /** Extra headers; null removes one (girder_client's login drops `Girder-Token` this way). */
  headers?: Record<string, string | null>;
  auth?: [string, string];
}

export type Json = Record<string, unknown>;

/** `girder_client.GirderClient` as far as downloads and the BCSS script use it. */
export class GirderClientReplay {
  readonly urlBase: string;
  readonly origin: URL;
  token = '';
  readonly wire: WireEntry[] = [];
  /** Progress-bar length of each download (`Content-Length`, as girder_client reads it). */
  readonly progressLengths: number[] = [];
  /** Temporary files downloadFile created (all must be gone afterwards). */
  readonly tempFiles: string[] = [];
  /** Record counts of the pages listResource fetched. */
  readonly pageSizes: number[] = [];
  private readonly acceptance: Acceptance;
  private readonly agent = new Agent({ keepAlive: true });

  constructor(options: { apiUrl: string; acceptance?: Acceptance }) {
    this.urlBase = options.apiUrl.endsWith('/') ? options.apiUrl : `${options.apiUrl}/`;
    this.origin = new URL(this.urlBase);
    this.acceptance = options.acceptance ?? 'old';
  }

  close(): void {
    this.agent.destroy();
  }

  /** `sendRestRequest`: URL = urlBase + path (+ encoded parameters), `Girder-Token` always sent. */
  async sendRestRequest(method: string, path: string, options: RequestOptions = {}): Promise<WireResponse> {
    let url = this.urlBase + path;
    const params = options.parameters ?? {};
    if (Object.keys(params).length > 0) url += (url.includes('?') ? '&' : '?') + pyUrlencode(params);
    const headers = requestsHeaders(this.origin);
    const extra: Record<string, string | null> = { 'Girder-Token': this.token, ...options.headers };
    for (const [k, v] of Object.entries(extra)) if (v !== null) headers.push([k, v]);
    // requests sets Content-Length: 0 on a body-less request whose method may carry a body.
    if (method !== 'GET' && method !== 'HEAD') headers.push(['Content-Length', '0']);
    if (options.auth) headers.push(['Authorization', `Basic ${Buffer.from(options.auth.join(':')).toString('base64')}`]);
    const target = url.slice(this.origin.origin.length);
    const res = await sendRaw(this.origin, { method, target, headers }, this.agent);
    this.wire.push({ method, path: url.slice(this.urlBase.length), status: res.status, headers, responseHeaders: res.headers });
    const ok = this.acceptance === 'old' ? res.status === 200 || res.status === 201 : res.status < 400;
    if (!ok) throw new GirderHttpError(res.status, method, url, res.body.toString('utf8'));
    return res;
  }

  async get(path: string, parameters?: Record<string, string | number>): Promise<unknown> {
    return parseJson(await this.sendRestRequest('GET', path, { parameters }));
  }

  /** `get(path, jsonResp=False)`: the raw response. */
  getRaw(path: string, parameters?: Record<string, string | number>): Promise<WireResponse> {
    return this.sendRestRequest('GET', path, { parameters });
  }

  async post(path: string, parameters?: Record<string, string | number>): Promise<unknown> {
    return parseJson(await this.sendRestRequest('POST', path, { parameters }));
  }

  /** `authenticate(apiKey=…)` or `authenticate(username, password)`; returns what the library returns. */
  async authenticate(credentials: { apiKey: string } | { username: string; password: string }): Promise<unknown> {
    if ('apiKey' in credentials) {
      const resp = (await this.post('api_key/token', { key: credentials.apiKey })) as { authToken: { token: string } };
      this.token = resp.authToken.token;
      return resp;
    }
    let resp: { authToken: { token: string }; user: unknown };
    try {
      resp = parseJson(
        await this.sendRestRequest('GET', 'user/authentication', {
          auth: [credentials.username, credentials.password],
          headers: { 'Girder-Token': null },
        }),
      ) as typeof resp;
    } catch (err) {
      if (err instanceof GirderHttpError && (err.status === 401 || err.status === 403)) throw new AuthenticationError();
      throw err;
    }
    this.token = resp.authToken.token;
    return resp.user;
  }

  /** `listResource`: pages of `limit or 50` from `offset`, until a short page (or one page if limit). */
  async listResource(path: string, params: Record<string, string | number> = {}, limit?: number, offset?: number): Promise<Json[]> {
    const p: Record<string, string | number> = { ...params, offset: offset ?? 0, limit: limit || 50 };
    const out: Json[] = [];
    for (;;) {
      const records = (await this.get(path, p)) as Json[];
      this.pageSizes.push(records.length);
      out.push(...records);
      if (limit || records.length < (p.limit as number)) return out;
      p.offset = (p.offset as number) + records.length;
    }
  }

  listItem(folderId: string, options: { limit?: number; offset?: number } = {}): Promise<Json[]> {
    return this.listResource('item', { folderId }, options.limit, options.offset);
  }

  /** `downloadFile`: file doc, streamed body to a system temp file, size check, move into place. */
  async downloadFile(fileId: string, path: string, created?: unknown): Promise<void> {
    const fileObj = (await this.get(`file/${fileId}`)) as { size: number; created: unknown };
    const stamp = created || fileObj.created;
    // cacheKey = '\n'.join([urlBase, fileId, created]): a non-string created is a TypeError.
    if (typeof stamp !== 'string') throw new TypeError(`sequence item 2: expected str instance, ${typeof stamp} found`);
    const res = await this.sendRestRequest('GET', `file/${fileId}/download`);
    this.progressLengths.push(Number(res.headers['content-length'] ?? 0));
    const tmp = join(tmpdir(), `tmp${randomBytes(6).toString('hex')}`);
    this.tempFiles.push(tmp);
    await writeFile(tmp, res.body);
    const size = (await stat(tmp)).size;
    if (size !== fileObj.size) {
      await unlink(tmp);
      throw new IncompleteResponseError(`File ${fileId} download`, fileObj.size, size);
    }
    await mkdir(dirname(path), { recursive: true });
    await moveFile(tmp, path);
  }

  /** `downloadItem`: a lone file named like the item becomes `dest/<name>`, else `dest/<item>/<file>`. */
  async downloadItem(itemId: string, dest: string, name?: string): Promise<void> {
    const itemName = name ?? ((await this.get(`item/${itemId}`)) as { name: string }).name;
    let offset = 0;
    let first = true;
    let target = dest;
    for (;;) {
      const files = (await this.get(`item/${itemId}/files`, { limit: 50, offset })) as Array<{ _id: string; name: string; created: unknown }>;
      if (first) {
        const only = files[0];
        if (files.length === 1 && only !== undefined && only.name === itemName) {
          await this.downloadFile(only._id, join(dest, transformFilename(itemName)), only.created);
          return;
        }
        target = join(dest, transformFilename(itemName));
        await mkdir(target, { recursive: true });
      }
      for (const f of files) await this.downloadFile(f._id, join(target, transformFilename(f.name)), f.created);
      first = false;
      offset += files.length;
      if (files.length < 50) return;
    }
  }

  /** `downloadFolderRecursive`: subfolders first (each into its own directory), then the items. */
  async downloadFolderRecursive(folderId: string, dest: string): Promise<void> {
    for (let offset = 0; ; ) {
      const folders = (await this.get('folder', { limit: 50, offset, parentType: 'folder', parentId: folderId })) as Array<{ _id: string; name: string }>;
      for (const f of folders) {
        const local = join(dest, transformFilename(f.name));
        await mkdir(local, { recursive: true });
        await this.downloadFolderRecursive(f._id, local);
      }
      offset += folders.length;
      if (folders.length < 50) break;
    }
    for (let offset = 0; ; ) {
      const items = (await this.get('item', { folderId, limit: 50, offset })) as Array<{ _id: string; name: string }>;
      for (const item of items) await this.downloadItem(item._id, dest, item.name);
      offset += items.length;
      if (items.length < 50) break;
    }
  }
}

function parseJson(res: WireResponse): unknown {
  const text = res.body.toString('utf8');
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new JsonDecodeError(text);
  }
}

/** girder_client's `transformFilename`. */
export function transformFilename(name: string): string {
  const n = name === '.' || name === '..' ? `_${name}` : name;
  return n.replace(/\//g, '_').replace(/^[/\\]+/, '_');
}

/** `shutil.move`: rename, or copy and delete across file systems. */
async function moveFile(from: string, to: string): Promise<void> {
  try {
    await rename(from, to);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EXDEV') throw err;
    await copyFile(from, to);
    await unlink(from);
  }
}

/**
 * `girder-client [--api-key K | --username U --password P] --api-url U download [--parent-type T] ID DIR`:
 * GirderCli authenticates in its constructor, then `_lookup_parent_type` probes
 * `resource/{id}/path?type=` for folder, collection, user, item, file, continuing only on 400.
 */
export async function girderClientDownload(
  gc: GirderClientReplay,
  options: { apiKey?: string; username?: string; password?: string; parentType?: string; parentId: string; localFolder: string },
): Promise<string> {
  if (options.apiKey) await gc.authenticate({ apiKey: options.apiKey });
  else if (options.username !== undefined) await gc.authenticate({ username: options.username, password: options.password ?? '' });
  let parentType = options.parentType ?? 'auto';
  if (parentType === 'auto') {
    let found: string | null = null;
    for (const t of ['folder', 'collection', 'user', 'item', 'file']) {
      try {
        await gc.get(`resource/${options.parentId}/path`, { type: t });
        found = t;
        break;
      } catch (err) {
        if (err instanceof GirderHttpError && err.status === 400) continue;
        throw err;
      }
    }
    if (found === null) throw new Error(`Invalid resource type: None`);
    parentType = found;
  }
  if (parentType === 'item') await gc.downloadItem(options.parentId, options.localFolder);
  else if (parentType === 'folder') await gc.downloadFolderRecursive(options.parentId, options.localFolder);
  else throw new Error(`Invalid resource type: ${parentType}`);
  return parentType;
}

/** Parse one line of the BCSS WSI script: `girder-client --api-url U --api-key K download ID DIR`. */
export function parseWsiScriptLine(line: string): { apiUrl: string; apiKey: string; itemId: string; dir: string } {
  const m = /^girder-client --api-url (\S+) --api-key (\S+) download (\S+) (\S+)$/.exec(line);
  if (!m) throw new Error(`not a girder-client download line: ${line}`);
  return { apiUrl: m[1] as string, apiKey: m[2] as string, itemId: m[3] as string, dir: m[4] as string };
}

// ---------------------------------------------------------------------------------------------
// Servers and data
// ---------------------------------------------------------------------------------------------

export interface CompatDataset {
  dataset: ServedDataset;
  cacheDir: string;
  dispose(): Promise<void>;
}

/**
 * The demo dataset at COMPAT_SCALE in a throwaway cache folder. `slideFiles: 'stand-in'` serves
 * placeholder bytes as the slides' .svs files: for wire-protocol tests, which compare the bytes
 * served with the bytes listed but never open them as slides, it saves generating a TIFF per
 * listed slide (151 for the whole demo); demo-slide-serving.test.ts covers the real files.
 */
export async function loadCompatDataset(slides?: string[], options: { slideFiles?: 'tiff' | 'stand-in' } = {}): Promise<CompatDataset> {
  const own = await mkdtemp(join(tmpdir(), 'bcss-compat-'));
  const cacheDir = demoCacheDir(own);
  const dataset = await loadDemoDataset({ scale: COMPAT_SCALE, cacheDir, slides, ...options });
  return { dataset, cacheDir, dispose: () => rm(own, { recursive: true, force: true }) };
}

export function startCompatServer(
  dataset: ServedDataset,
  options: { apiKey?: string; password?: string; users?: GirderUserSpec[]; faults?: FaultOptions } = {},
): Promise<RunningServer> {
  return startServer({ dataset, port: 0, ...options });
}

/** The origin (`http://127.0.0.1:P`) of a running server. */
export function originOf(server: RunningServer): URL {
  return new URL(new URL(server.urls.girder).origin);
}

/** The bytes a served file holds (ground truth, read from the dataset, not over HTTP). */
export async function servedBytes(file: ServedFile): Promise<Buffer> {
  await file.ready?.();
  const chunks: Buffer[] = [];
  for await (const c of file.open() as Readable) chunks.push(Buffer.isBuffer(c) ? c : Buffer.from(c as Uint8Array));
  return Buffer.concat(chunks);
}

/** `csv.DictReader` over a roiBounds-format table (the first column's name is empty). */
export function dictReader(text: string): Array<Record<string, string>> {
  const lines = text.split(/\r?\n/).filter((l) => l !== '');
  const header = (lines[0] ?? '').split(',');
  return lines.slice(1).map((line) => {
    const cells = line.split(',');
    return Object.fromEntries(header.map((h, i) => [h, cells[i] ?? '']));
  });
}

/** A fresh empty folder for downloads, removed by the returned function. */
export async function scratchDir(prefix: string): Promise<{ dir: string; dispose: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  return { dir, dispose: () => rm(dir, { recursive: true, force: true }) };
}

/** 24 lower-case hex digits whose first 8 are a Unix time between 2008 and now. */
export function isPlausibleObjectId(id: unknown): boolean {
  if (typeof id !== 'string' || !/^[0-9a-f]{24}$/.test(id)) return false;
  const t = Number.parseInt(id.slice(0, 8), 16);
  return t >= Date.UTC(2008, 0, 1) / 1000 && t <= Date.now() / 1000;
}

/** Girder's datetime form: ISO 8601, explicit `+00:00`, six fraction digits or none. */
export const GIRDER_DATETIME = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.(?!000000)\d{6})?\+00:00$/;

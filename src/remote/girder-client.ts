/**
 * A typed client for the Girder / Digital Slide Archive API (docs/protocols.md, Girder sections) over the
 * transfer engine. It only builds requests and reads answers; it never writes files.
 *
 * Secret hygiene (docs/protocols.md#secrets): an API key travels in a form body (never the query string,
 * which is what girder-client does), a password only in the Basic header of the login request,
 * and the resulting token only in the `Girder-Token` header, which is declared secret. Every
 * credential is reported through `onSecret` so the engine redacts it from errors and events.
 */
import { AuthError, HttpError } from '../errors.js';
import { formatMm, mmPerPixel } from '../geometry/naming.js';
import type { Resolution, SlideGeometry } from '../geometry/types.js';
import type { RequestSpec, ResponseHeaders, Transfer } from '../transfer/types.js';
import { checkItem, checkItems, checkLoginToken, checkTiles, type ItemDocument } from './json-checks.js';
import type { GirderCredentials, GirderItem, TilesInfo } from './types.js';

/**
 * Items asked for per listing page. girder_client pages by 50 (docs/protocols.md#girder-item-listing), which costs BCSS's 151-item
 * folder 4 sequential round trips before the first region can start; Girder has no upper limit
 * (the authors' script asks for 1000000), so one page of 1000 normally holds the whole folder.
 */
export const GIRDER_PAGE_SIZE = 1000;

const OBJECT_ID = /^[0-9a-f]{24}$/i;

/**
 * The most items a folder listing may hold before the client stops paging with an error, unless
 * the caller passes its own (the pipeline: the catalog's count plus a margin): the BCSS catalog's
 * 151 slides plus a wide margin (a folder of other slides, a few thousand at most).
 */
export const DEFAULT_MAX_LISTED_ITEMS = 151 + 5000;

/** The smallest page cap a real server applies (girder_client pages by 50); below it a short page ends the listing. */
export const MIN_SERVER_PAGE_CAP = 50;

export interface GirderClientOptions {
  transfer: Transfer;
  /** API root, e.g. `https://demo.kitware.com/histomicstk/api/v1` (a trailing `/` is ignored). */
  apiUrl: string;
  /** Called with every credential the client learns (key, password, token) for redaction. */
  onSecret?: (secret: string) => void;
  /** Lane for JSON calls (default `dsa`). */
  lane?: string;
  /** Lane for region renders (default `dsa-render`). */
  renderLane?: string;
}

/** The ROI box in base pixels; right/bottom are exclusive on the wire (docs/protocols.md#tiles-region). */
export interface RegionBounds {
  left: number;
  top: number;
  right: number;
  bottom: number;
}

export type RegionEncoding = 'png' | 'jpeg';

/** Girder answered "400 Invalid item id (…)" or similar: the id does not exist (docs/protocols.md#girder-errors). */
export class GirderNotFoundError extends HttpError {
  constructor(url: string, message: string) {
    super(400, url, message, {
      hint: 'Girder answers 400 "Invalid … id" for ids that do not exist; check the folder/item id or the --api-url.',
    });
  }
}

/** "Invalid item id (…)", "Invalid ObjectId: …", "No such folder: …" (docs/protocols.md#girder-errors), also inside a longer message. */
function isMissingIdMessage(message: string): boolean {
  return /Invalid \w+ id\b|Invalid ObjectId\b|No such \w+:/i.test(message);
}

function authHint(): string {
  return 'Public BCSS data needs no key. For private data set BCSS_API_KEY (or use --login) with an account that can read the folder.';
}

/**
 * Turns a Girder failure into the error a user can act on: 401/403 → AuthError with a hint,
 * "400 Invalid … id" → GirderNotFoundError. Anything else is returned unchanged.
 */
export function explainGirderError(err: unknown, what: string): unknown {
  if (err instanceof HttpError) {
    if (err.status === 401 || err.status === 403) {
      return new AuthError(`${what}: the DSA refused access (${err.status}): ${err.message}`, { hint: authHint(), cause: err });
    }
    if (err.status === 400 && isMissingIdMessage(err.message)) {
      return new GirderNotFoundError(err.url, `${what}: not found on the DSA (${err.message})`);
    }
  }
  return err;
}

export class GirderClient {
  readonly apiUrl: string;
  readonly #transfer: Transfer;
  readonly #onSecret: (secret: string) => void;
  readonly #lane: string;
  readonly #renderLane: string;
  #token: string | null = null;

  constructor(options: GirderClientOptions) {
    this.apiUrl = options.apiUrl.replace(/\/+$/, '');
    this.#transfer = options.transfer;
    this.#onSecret = options.onSecret ?? (() => {});
    this.#lane = options.lane ?? 'dsa';
    this.#renderLane = options.renderLane ?? 'dsa-render';
  }

  /** True once a token was obtained. */
  get authenticated(): boolean {
    return this.#token !== null;
  }

  /** Headers for any request to this DSA: the token (secret) when logged in, nothing otherwise. */
  authHeaders(): Pick<RequestSpec, 'headers' | 'secretHeaders'> {
    if (this.#token === null) return {};
    return { headers: { 'Girder-Token': this.#token }, secretHeaders: ['Girder-Token'] };
  }

  /**
   * Exchange credentials for a token. Anonymous does nothing (public data needs no token).
   * A rejected key or login is an AuthError; the key itself never appears in the message.
   */
  async authenticate(credentials: GirderCredentials): Promise<void> {
    if (credentials.kind === 'anonymous') return;
    if (credentials.kind === 'api-key') {
      if (credentials.apiKey.trim() === '') throw new AuthError('The API key is empty', { hint: authHint() });
      this.#onSecret(credentials.apiKey);
      const url = `${this.apiUrl}/api_key/token`;
      const result = await this.#call(
        { url, lane: this.#lane, method: 'POST', body: new URLSearchParams({ key: credentials.apiKey }), carriesSecret: true, acceptStatus: [400, 401, 403] },
        'exchanging the API key for a token',
      );
      if (result.status !== 200) {
        throw new AuthError(`The DSA rejected the API key (${result.status}: ${messageOf(result.data) ?? 'no message'})`, {
          hint: 'Check BCSS_API_KEY (or the config file): the key may be mistyped, inactive or for another server.',
        });
      }
      this.#setToken(parseToken(result.data, url));
      return;
    }
    this.#onSecret(credentials.password);
    const basic = Buffer.from(`${credentials.username}:${credentials.password}`, 'utf8').toString('base64');
    this.#onSecret(basic);
    const url = `${this.apiUrl}/user/authentication`;
    const result = await this.#call(
      {
        url,
        lane: this.#lane,
        headers: { Authorization: `Basic ${basic}` },
        secretHeaders: ['Authorization'],
        acceptStatus: [400, 401, 403],
      },
      'logging in',
    );
    if (result.status !== 200) {
      throw new AuthError(`The DSA rejected the login (${result.status}: ${messageOf(result.data) ?? 'no message'})`, {
        hint: 'Check the user name and password; accounts that are disabled or not yet verified cannot log in.',
      });
    }
    this.#setToken(parseToken(result.data, url));
  }

  /**
   * Every item of a folder, paged with limit/offset (docs/protocols.md#girder-item-listing). A full page asks for the next one; a short
   * or empty page ends the listing, except that a server capping every page at the same size (≥
   * MIN_SERVER_PAGE_CAP) is followed while its `Girder-Total-Count` says more items exist (the next
   * offset is the count received). A server that repeats a page, or would have the client page past
   * `maxItems`, is refused: a lying count or endless pages cannot keep it paging (issue 9, item 8).
   */
  async listFolderItems(folderId: string, pageSize: number = GIRDER_PAGE_SIZE, maxItems: number = DEFAULT_MAX_LISTED_ITEMS): Promise<GirderItem[]> {
    requireObjectId(folderId, 'folder');
    if (!Number.isSafeInteger(pageSize) || pageSize < 1) throw new RangeError(`listing page size must be a positive integer, got ${pageSize}`);
    const items: GirderItem[] = [];
    const seen = new Set<string>();
    let cap: number | null = null;
    for (let offset = 0; ; offset = items.length) {
      const url = `${this.apiUrl}/item?folderId=${folderId}&limit=${pageSize}&offset=${offset}`;
      const result = await this.#json(url, `listing DSA folder ${folderId}`);
      const page = checkItems(result.data);
      if (!page.ok) {
        throw new HttpError(result.status, url, `listing DSA folder ${folderId}: the answer is not a list of items (${page.issue})`);
      }
      for (const raw of page.value) {
        if (seen.has(raw._id)) {
          throw new HttpError(result.status, url, `listing DSA folder ${folderId}: item ${raw._id} came back twice; the server ignores offset`);
        }
        seen.add(raw._id);
        items.push(toItem(raw));
      }
      if (items.length > maxItems) {
        throw new HttpError(result.status, url, `listing DSA folder ${folderId}: more than ${maxItems} items (the catalog's count plus a margin); refusing to page further`, {
          hint: 'The folder is far larger than the BCSS catalog, or the server keeps inventing items; check --folder-id and --api-url.',
        });
      }
      const length = page.value.length;
      const total = Number(result.headers.get('girder-total-count') ?? Number.NaN);
      const moreClaimed = !Number.isSafeInteger(total) || total > items.length;
      if (length === 0) break;
      if (length >= pageSize) {
        if (moreClaimed) continue;
        break;
      }
      cap ??= length;
      if (!Number.isSafeInteger(total) || !moreClaimed || length !== cap || cap < MIN_SERVER_PAGE_CAP) break;
    }
    return items;
  }

  async getItem(itemId: string): Promise<GirderItem> {
    requireObjectId(itemId, 'item');
    const url = `${this.apiUrl}/item/${itemId}`;
    const result = await this.#json(url, `reading DSA item ${itemId}`);
    const parsed = checkItem(result.data);
    if (!parsed.ok) throw new HttpError(result.status, url, `reading DSA item ${itemId}: the answer is not an item document (${parsed.issue})`);
    return toItem(parsed.value);
  }

  /** Slide metadata (docs/protocols.md#tiles-metadata); unknown mm/magnification are null, as the server reports them. */
  async getTilesInfo(itemId: string): Promise<TilesInfo> {
    requireObjectId(itemId, 'item');
    const url = `${this.apiUrl}/item/${itemId}/tiles`;
    const result = await this.#json(url, `reading the slide metadata of DSA item ${itemId}`);
    const parsed = checkTiles(result.data);
    if (!parsed.ok) {
      throw new HttpError(result.status, url, `reading the slide metadata of DSA item ${itemId}: missing or invalid sizeX/sizeY/levels/tile sizes (${parsed.issue})`);
    }
    const t = parsed.value;
    return {
      sizeX: t.sizeX,
      sizeY: t.sizeY,
      levels: t.levels,
      magnification: t.magnification ?? null,
      mmX: t.mm_x ?? null,
      mmY: t.mm_y ?? null,
      tileWidth: t.tileWidth,
      tileHeight: t.tileHeight,
    };
  }

  /**
   * `/item/{id}/tiles/region` for an ROI (docs/protocols.md#tiles-region): bounds in base pixels, then `mm_x`/`mm_y` written
   * with enough digits to round-trip (0.25 µm/px → 0.00025, not the original's `%.4f` 0.0003,
   * docs/dataset.md#the-four-decimal-quirk), or `magnification`, or nothing for base; `encoding=PNG` unless JPEG is asked
   * for, since the server's default is lossy JPEG (docs/dataset.md#the-original-script).
   */
  regionUrl(itemId: string, bounds: RegionBounds, resolution: Resolution, encoding: RegionEncoding = 'png'): string {
    requireObjectId(itemId, 'item');
    for (const [k, v] of Object.entries(bounds)) {
      if (!Number.isSafeInteger(v) || v < 0) throw new RangeError(`region ${k} must be a non-negative integer, got ${String(v)}`);
    }
    const params: Array<[string, string]> = [
      ['left', String(bounds.left)],
      ['top', String(bounds.top)],
      ['right', String(bounds.right)],
      ['bottom', String(bounds.bottom)],
    ];
    if (resolution.kind === 'mpp') {
      const mm = formatMm(mmPerPixel(resolution.mpp));
      params.push(['mm_x', mm], ['mm_y', mm]);
    } else if (resolution.kind === 'mag') {
      if (!(resolution.magnification > 0) || !Number.isFinite(resolution.magnification)) {
        throw new RangeError(`magnification must be positive, got ${String(resolution.magnification)}`);
      }
      params.push(['magnification', String(resolution.magnification)]);
    }
    params.push(['encoding', encoding === 'png' ? 'PNG' : 'JPEG']);
    return `${this.apiUrl}/item/${itemId}/tiles/region?${new URLSearchParams(params).toString()}`;
  }

  /** All annotation documents of an item, with their elements (docs/protocols.md#annotations). */
  annotationsUrl(itemId: string): string {
    requireObjectId(itemId, 'item');
    return `${this.apiUrl}/annotation/item/${itemId}`;
  }

  /** The lane region renders go through. */
  get renderLane(): string {
    return this.#renderLane;
  }

  /** The lane JSON calls go through. */
  get lane(): string {
    return this.#lane;
  }

  #setToken(token: string): void {
    this.#onSecret(token);
    this.#token = token;
  }

  /** GET JSON with the token; "400 Invalid … id" becomes GirderNotFoundError, 401/403 AuthError. */
  async #json(url: string, what: string): Promise<{ data: unknown; status: number; headers: ResponseHeaders }> {
    const result = await this.#call({ url, lane: this.#lane, ...this.authHeaders(), acceptStatus: [400] }, what);
    if (result.status === 400) {
      const message = messageOf(result.data) ?? 'bad request';
      if (isMissingIdMessage(message)) throw new GirderNotFoundError(url, `${what}: not found on the DSA (${message})`);
      throw new HttpError(400, url, `${what}: the DSA answered 400 (${message})`);
    }
    return result;
  }

  async #call(spec: RequestSpec, what: string): Promise<{ data: unknown; status: number; headers: ResponseHeaders }> {
    try {
      const r = await this.#transfer.json<unknown>(spec);
      return { data: r.data, status: r.status, headers: r.headers };
    } catch (err) {
      throw explainGirderError(err, what);
    }
  }
}

function toItem(raw: ItemDocument): GirderItem {
  return {
    id: raw._id.toLowerCase(),
    name: raw.name,
    folderId: raw.folderId ?? '',
    size: typeof raw.size === 'number' ? raw.size : null,
    largeImage: raw.largeImage !== undefined && raw.largeImage !== null,
  };
}

function parseToken(data: unknown, url: string): string {
  const parsed = checkLoginToken(data);
  if (!parsed.ok) throw new HttpError(200, url, 'The DSA login answer carries no authToken.token');
  return parsed.value;
}

/** Girder's error body `{"message": "…", "type": …}`. */
function messageOf(data: unknown): string | undefined {
  const message = typeof data === 'object' && data !== null ? (data as { message?: unknown }).message : undefined;
  return typeof message === 'string' ? message : undefined;
}

function requireObjectId(id: string, what: string): void {
  if (!OBJECT_ID.test(id)) throw new RangeError(`expected a 24-hex Girder ${what} id but received ${JSON.stringify(id)}`);
}

/** The SlideGeometry the region-size algorithm takes, from `/tiles` metadata. */
export function tilesToGeometry(info: TilesInfo): SlideGeometry {
  return {
    sizeX: info.sizeX,
    sizeY: info.sizeY,
    levels: info.levels,
    magnification: info.magnification,
    mmX: info.mmX,
    mmY: info.mmY,
  };
}

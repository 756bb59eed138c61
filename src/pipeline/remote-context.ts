/**
 * Everything the fetch steps need from the services, resolved once per run and only when some
 * artifact actually has to be fetched: the token, ROI → slide item, slide metadata (`/tiles`,
 * memoised per item), the figshare file list (one listing, memoised) and the GDC lookup.
 */
import { builtinSlides, findSlideForRoi } from '../catalog/index.js';
import type { RoiRecord } from '../catalog/types.js';
import { AuthError, BcssError } from '../errors.js';
import type { SlideGeometry } from '../geometry/types.js';
import { figshareAuthHeaders, listArticleFiles } from '../remote/figshare-client.js';
import { queryGdcFiles, type GdcLookup } from '../remote/gdc-client.js';
import { GIRDER_PAGE_SIZE, GirderClient, tilesToGeometry } from '../remote/girder-client.js';
import type { FigshareFileInfo } from '../remote/types.js';
import type { Transfer } from '../transfer/types.js';
import { matchRoisToItems, type SlideRef, type SlideResolution } from './slide-match.js';
import type { DownloadOptions, PipelineEvent } from './types.js';

export interface RemoteContext {
  readonly transfer: Transfer;
  readonly girder: GirderClient;
  /** The DSA item of an ROI's slide; throws the per-ROI reason (missing, ambiguous). */
  slideFor(roi: RoiRecord): SlideRef;
  geometryFor(itemId: string): Promise<SlideGeometry>;
  /**
   * Starts the `/tiles` lookups of these items now, in this order, in the background (they queue
   * on the `dsa` lane), so that a region render never waits for its slide's metadata. Failures
   * are not reported here: the step that needs the item asks again and reports its own error.
   */
  prefetchGeometry(itemIds: Iterable<string>): void;
  figshareFile(fileId: number): Promise<FigshareFileInfo>;
  /** The article's whole file list (one listing per run, shared with `figshareFile`). */
  figshareListing(): Promise<ReadonlyMap<number, FigshareFileInfo>>;
  gdcLookup(fileNames: readonly string[]): Promise<GdcLookup>;
  /** Headers for figshare requests: the token (BCSS_FIGSHARE_TOKEN) when set, nothing otherwise. */
  figshareAuth?(): { headers?: Record<string, string>; secretHeaders?: string[] };
}

export interface ConnectOptions {
  options: DownloadOptions;
  transfer: Transfer;
  /** Whether any artifact needs DSA items (images, annotations, scripts, resized masks). */
  needSlides: boolean;
  emit: (event: PipelineEvent) => void;
  onSecret: (secret: string) => void;
  signal?: AbortSignal;
  /**
   * Item ids (the catalog's) whose `/tiles` are looked up while the folder listing is on the
   * wire, so the first renders need not wait for the listing and then for their metadata in
   * turn. The listing still decides which item each ROI uses: if it names another item, these
   * lookups were just unused.
   */
  earlyGeometry?: readonly string[];
  /** The folder listing failed (not for authentication) and the catalog's ids are used instead. */
  onListingFailed?: (err: unknown) => void;
}

/** Items a DSA folder may hold beyond the catalog's slides before the listing is refused. */
const LISTING_MARGIN = 5000;

function describe(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** A RemoteContext whose `connect()` has not necessarily run yet (see `openRemote`). */
export interface OpenedRemote extends RemoteContext {
  /** Logs in, lists the DSA folder and matches ROIs to items; resolves `ready`. Call once. */
  connect(): Promise<void>;
  /** Resolves once `connect()` has logged in (requests may carry the token from then on). */
  readonly authenticated: Promise<void>;
  /** Resolves once `connect()` has finished: `slideFor` answers from then on. */
  readonly ready: Promise<void>;
}

/**
 * Log in, then list the DSA folder and match ROIs to items. A listing that fails for any reason
 * other than authentication falls back to the catalog's item ids (with a warning), because the
 * ids are stable and the listing is only a cross-check; an auth failure is thrown.
 */
export async function connectRemote(c: ConnectOptions): Promise<RemoteContext> {
  const remote = openRemote(c);
  await remote.connect();
  return remote;
}

/**
 * Lists the DSA folder and matches the ROIs to its items; the early `/tiles` lookups queue after
 * the listing on the same lane, so they never delay it. A listing that fails for any reason other
 * than authentication (or Ctrl-C) falls back to the catalog's item ids, with a warning.
 */
async function listSlides(
  c: ConnectOptions,
  girder: GirderClient,
  geometryFor: (itemId: string) => Promise<SlideGeometry>,
): Promise<Map<string, SlideResolution>> {
  const { options, emit } = c;
  // Never page past the catalog's count (or the ROI table's, if larger) plus a margin (issue 9 item 8).
  const maxItems = Math.max(builtinSlides().length, options.rois.length) + LISTING_MARGIN;
  const listing = girder.listFolderItems(options.folderId, GIRDER_PAGE_SIZE, maxItems);
  listing.catch(() => undefined); // awaited just below
  for (const id of c.earlyGeometry ?? []) geometryFor(id).catch(() => undefined);
  try {
    const items = await listing;
    emit({ type: 'log', level: 'info', message: `DSA folder ${options.folderId}: ${items.length} items listed` });
    return matchRoisToItems(options.rois, items, options.folderId);
  } catch (err) {
    if (err instanceof AuthError) throw err;
    if (err instanceof BcssError && err.kind === 'auth') {
      throw new AuthError(err.message, { hint: err.hint ?? 'Set BCSS_API_KEY or use --login.', cause: err });
    }
    if (c.signal?.aborted === true) throw err;
    c.onListingFailed?.(err);
    emit({
      type: 'log',
      level: 'warn',
      message: `could not list DSA folder ${options.folderId} (${describe(err)}); using the item ids of the built-in catalog`,
    });
    return catalogFallback(options.rois);
  }
}

/** The figshare article's file list, fetched once per run; a failed listing is asked again next time. */
function cachedFigshareListing(c: ConnectOptions): () => Promise<Map<number, FigshareFileInfo>> {
  const { options, transfer, emit } = c;
  let figshare: Promise<Map<number, FigshareFileInfo>> | null = null;
  return () => {
    if (figshare === null) {
      const listing = listArticleFiles({
        transfer,
        baseUrl: options.figshareUrl,
        articleId: options.figshareArticleId,
        ...(options.figshareToken === undefined ? {} : { token: options.figshareToken }),
      }).then(
        (files) => {
          emit({ type: 'log', level: 'info', message: `figshare article ${options.figshareArticleId}: ${files.length} files listed` });
          return new Map(files.map((f) => [f.id, f] as const));
        },
      );
      listing.catch(() => {
        figshare = null;
      });
      figshare = listing;
    }
    return figshare;
  };
}

/**
 * The services, usable before the listing is in: requests that do not need it (a render of an
 * item whose id is already known, say) can start while `connect()` runs.
 */
export function openRemote(c: ConnectOptions): OpenedRemote {
  const { options, transfer } = c;
  const girder = new GirderClient({ transfer, apiUrl: options.apiUrl, onSecret: c.onSecret });

  const geometry = new Map<string, Promise<SlideGeometry>>();
  const geometryFor = (itemId: string): Promise<SlideGeometry> => {
    let p = geometry.get(itemId);
    if (p === undefined) {
      p = girder.getTilesInfo(itemId).then(tilesToGeometry);
      // A failed lookup is not cached, so a later artifact of the same slide can try again.
      p.catch(() => geometry.delete(itemId));
      geometry.set(itemId, p);
    }
    return p;
  };

  let slides = new Map<string, SlideResolution>();
  const auth = settleLater();
  const done = settleLater();

  const connect = async (): Promise<void> => {
    try {
      await girder.authenticate(options.credentials);
      auth.resolve();
      if (c.needSlides) slides = await listSlides(c, girder, geometryFor);
      done.resolve();
    } catch (err) {
      auth.reject(err);
      done.reject(err);
      throw err;
    }
  };

  const figshareListing = cachedFigshareListing(c);
  const gdc = new Map<string, Promise<GdcLookup>>();

  return {
    transfer,
    girder,
    connect,
    authenticated: auth.promise,
    ready: done.promise,
    slideFor(roi) {
      const r = slides.get(roi.name);
      if (r === undefined) throw new BcssError('remote', `slide of ${roi.name} was not resolved`);
      if (!r.ok) throw r.error;
      return r.slide;
    },
    geometryFor,
    figshareAuth: () => figshareAuthHeaders(options.figshareToken),
    prefetchGeometry(itemIds) {
      for (const id of itemIds) geometryFor(id).catch(() => undefined);
    },
    figshareListing,
    async figshareFile(fileId) {
      const files = await figshareListing();
      const file = files.get(fileId);
      if (file === undefined) {
        throw new BcssError('remote', `figshare article ${options.figshareArticleId} has no file ${fileId} (it lists ${files.size} files)`, {
          hint: 'The mask link in the ROI table points to a file that is not part of the article; check --rois or --figshare-url.',
        });
      }
      return file;
    },
    gdcLookup(fileNames) {
      const key = [...fileNames].sort().join('\n');
      let p = gdc.get(key);
      if (p === undefined) {
        p = queryGdcFiles({ transfer, baseUrl: options.gdcUrl, fileNames, ...(options.gdcToken === undefined ? {} : { token: options.gdcToken }) });
        p.catch(() => gdc.delete(key));
        gdc.set(key, p);
      }
      return p;
    },
  };
}

/** A promise settled from outside; its rejection is the caller's to report, never unhandled. */
function settleLater(): { promise: Promise<void>; resolve: () => void; reject: (err: unknown) => void } {
  let resolve!: () => void;
  let reject!: (err: unknown) => void;
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  promise.catch(() => undefined);
  return { promise, resolve, reject };
}

function catalogFallback(rois: readonly RoiRecord[]): Map<string, SlideResolution> {
  const catalog = builtinSlides();
  const out = new Map<string, SlideResolution>();
  for (const roi of rois) {
    const s = findSlideForRoi(roi, catalog);
    out.set(
      roi.name,
      s === undefined
        ? { ok: false, error: new BcssError('remote', `slide ${roi.name}: the DSA folder could not be listed and the catalog does not know this slide`) }
        : { ok: true, slide: { itemId: s.dsaItemId, name: s.fileName }, from: 'catalog' },
    );
  }
  return out;
}

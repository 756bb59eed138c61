/**
 * Which DSA items' `/tiles` a download looks up, and when: a few from the catalog while the
 * listing runs, then every one the fetch list needs, in the order it needs them.
 */
import { builtinSlides, DSA_FOLDER_ID, findSlideForRoi } from '../catalog/index.js';
import type { Artifact } from './artifacts.js';
import type { RemoteContext } from './remote-context.js';
import type { DownloadOptions } from './types.js';

/**
 * The catalog's item ids of the first slides the fetch list needs, looked up while the listing
 * runs: at least as many as the `dsa` lane has slots beside the listing, and as many as there are
 * early renders. Only for the catalog's own DSA folder (where its ids are the real ones); another
 * folder's items would only answer 400.
 */
export function earlyGeometryItems(toFetch: readonly Artifact[], options: DownloadOptions, earlyRenderCount = 0): string[] {
  if (options.folderId !== DSA_FOLDER_ID) return [];
  const room = Math.max(1, (options.lanes.dsa?.concurrency ?? 4) - 1, earlyRenderCount);
  const catalog = builtinSlides();
  const ids: string[] = [];
  for (const a of toFetch) {
    if (ids.length >= room) break;
    if (a.roi === null || (a.kind !== 'images' && a.kind !== 'masks')) continue;
    if (a.kind === 'masks' && options.resolution.kind === 'base') continue;
    if (options.imageSource === 'wsi') continue; // images and masks take their geometry from the local slides
    const id = findSlideForRoi(a.roi, catalog)?.dsaItemId;
    if (id !== undefined && !ids.includes(id)) ids.push(id);
  }
  return ids;
}

/** The DSA items whose `/tiles` the fetch list needs, in the order it needs them. */
export function geometryItems(toFetch: readonly Artifact[], options: DownloadOptions, remote: RemoteContext): string[] {
  const ids = new Set<string>();
  for (const a of toFetch) {
    if (a.roi === null || (a.kind !== 'images' && a.kind !== 'masks')) continue;
    if (a.kind === 'masks' && options.resolution.kind === 'base') continue;
    if (options.imageSource === 'wsi') continue; // images and masks take their geometry from the local slides
    try {
      ids.add(remote.slideFor(a.roi).itemId);
    } catch {
      // An unresolved slide: the artifact's own step reports it.
    }
  }
  return [...ids];
}

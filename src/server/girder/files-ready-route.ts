import { filesReady } from '../files-ready.js';
import type { GirderStore } from './store.js';

/** Resources whose documents never carry a file or item size. */
const SIZELESS = new Set(['user', 'api_key', 'token', 'system', 'annotation', 'describe']);
/** Item sub-resources that describe or send the item's files (tiles and paths do not). */
const ITEM_FILE_VIEWS = new Set(['files', 'download']);

/**
 * Make sure the files a Girder request may describe or send know their sizes before its handler
 * runs: the documents of items, folders and collections carry sizes summed over files, and those
 * of lazily made files (the demo's slides) exist only once generated. A request about one item or
 * file waits for that item only; listings and folder or collection documents wait for all.
 */
export async function girderFilesReady(store: GirderStore, resource: string, rest: readonly string[]): Promise<void> {
  if (SIZELESS.has(resource)) return;
  // resource/{id}/path answers a string; resource/lookup answers documents with sizes.
  if (resource === 'resource' && rest[0] !== 'lookup') return;
  const items = store.dataset.items;
  if (resource === 'item' && rest.length >= 1) {
    if (rest.length > 1 && !ITEM_FILE_VIEWS.has(rest[1] as string)) return;
    const item = items.find((i) => i.id === rest[0]);
    if (item !== undefined) await filesReady(item.files);
    return;
  }
  if (resource === 'file' && rest.length >= 1) {
    const item = items.find((i) => i.files.some((f) => f.id === rest[0]));
    if (item !== undefined) await filesReady(item.files);
    return;
  }
  await filesReady(items.flatMap((i) => i.files));
}

import type { SlideGeometry } from '../../geometry/types.js';
import type { AnnotationDocument, ServedDataset, ServedFile, ServedFolder, ServedItem } from '../dataset-types.js';
import { SourceCache, type SourceLease } from './source-cache.js';

/** Open slide sources kept for reuse by default (a demo slide holds ~20 MB once open). */
export const DEFAULT_MAX_OPEN_SLIDES = 8;

/** Lookup tables over a `ServedDataset`, plus per-item caches (open slides, annotations). */
export class GirderStore {
  readonly items = new Map<string, ServedItem>();
  readonly files = new Map<string, { file: ServedFile; item: ServedItem }>();
  readonly folders = new Map<string, ServedFolder>();
  private readonly itemsByFolder = new Map<string, ServedItem[]>();
  private readonly foldersByParent = new Map<string, ServedFolder[]>();
  readonly sources: SourceCache;
  private readonly annotations = new Map<string, Promise<AnnotationDocument[]>>();
  private annotationIndex: Promise<Map<string, { doc: AnnotationDocument; item: ServedItem }>> | null = null;

  constructor(
    readonly dataset: ServedDataset,
    options: { maxOpenSlides?: number } = {},
  ) {
    this.sources = new SourceCache(options.maxOpenSlides ?? DEFAULT_MAX_OPEN_SLIDES);
    for (const folder of dataset.folders) {
      this.folders.set(folder.id, folder);
      const siblings = this.foldersByParent.get(folder.parentId) ?? [];
      siblings.push(folder);
      this.foldersByParent.set(folder.parentId, siblings);
    }
    for (const item of dataset.items) {
      this.items.set(item.id, item);
      const list = this.itemsByFolder.get(item.folderId) ?? [];
      list.push(item);
      this.itemsByFolder.set(item.folderId, list);
      for (const file of item.files) this.files.set(file.id, { file, item });
    }
  }

  itemsIn(folderId: string): ServedItem[] {
    return this.itemsByFolder.get(folderId) ?? [];
  }

  foldersIn(parentId: string): ServedFolder[] {
    return this.foldersByParent.get(parentId) ?? [];
  }

  folderOf(item: ServedItem): ServedFolder {
    const folder = this.folders.get(item.folderId);
    if (!folder) throw new Error(`dataset error: item ${item.id} names folder ${item.folderId}, which does not exist`);
    return folder;
  }

  /** Folders from the top (under the collection) down to `folder`. */
  folderChain(folder: ServedFolder): ServedFolder[] {
    const chain: ServedFolder[] = [folder];
    let current = folder;
    const seen = new Set([folder.id]);
    while (current.parentCollection === 'folder') {
      const parent = this.folders.get(current.parentId);
      if (!parent || seen.has(parent.id)) break;
      seen.add(parent.id);
      chain.unshift(parent);
      current = parent;
    }
    return chain;
  }

  itemSize(item: ServedItem): number {
    return item.files.reduce((sum, f) => sum + f.size, 0);
  }

  /** Girder propagates item sizes up to every ancestor folder. */
  folderSize(folder: ServedFolder): number {
    let total = this.itemsIn(folder.id).reduce((sum, item) => sum + this.itemSize(item), 0);
    for (const child of this.foldersIn(folder.id)) if (child.id !== folder.id) total += this.folderSize(child);
    return total;
  }

  /**
   * The geometry large_image reports and renders with: the native magnification falls back to
   * `0.01 / mm_x` when only the pixel size is known (large_image `getNativeMagnification`).
   */
  geometry(item: ServedItem): SlideGeometry | null {
    const g = item.slide?.geometry;
    if (!g) return null;
    if (g.magnification === null && g.mmX !== null && g.mmX > 0) return { ...g, magnification: 0.01 / g.mmX };
    return g;
  }

  /**
   * Borrow the item's open slide source (opened once, reused across requests, least recently
   * used ones closed beyond the bound); `release()` it when the read is done.
   */
  async source(item: ServedItem): Promise<SourceLease> {
    const slide = item.slide;
    if (!slide) throw new Error(`item ${item.id} has no slide`);
    return this.sources.acquire(item.id, () => slide.open());
  }

  annotationsOf(item: ServedItem): Promise<AnnotationDocument[]> {
    let p = this.annotations.get(item.id);
    if (!p) {
      p = item.annotations().then((docs) => [...docs].sort((a, b) => (a._id < b._id ? -1 : a._id > b._id ? 1 : 0)));
      p.catch(() => this.annotations.delete(item.id));
      this.annotations.set(item.id, p);
    }
    return p;
  }

  async allAnnotations(): Promise<Map<string, { doc: AnnotationDocument; item: ServedItem }>> {
    if (!this.annotationIndex) {
      this.annotationIndex = (async () => {
        const index = new Map<string, { doc: AnnotationDocument; item: ServedItem }>();
        for (const item of this.dataset.items) for (const doc of await this.annotationsOf(item)) index.set(doc._id, { doc, item });
        return index;
      })();
      this.annotationIndex.catch(() => {
        this.annotationIndex = null;
      });
    }
    return this.annotationIndex;
  }

  async close(): Promise<void> {
    await this.sources.close();
  }
}

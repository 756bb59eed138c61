import { restError } from './girder-errors.js';
import type { ServedItem } from '../dataset-types.js';
import { collectionDoc, fileDoc, folderDoc, itemDoc } from './documents.js';
import { caller, checkId, loadItem, noSuch, sendJson, type GirderHandler } from './girder-request.js';
import { pagingParams, sortAndPage } from './paging.js';
import type { Route } from './router.js';
import { textMatches } from './text-search.js';

function itemField(item: ServedItem, name: string, size: number): unknown {
  switch (name) {
    case 'lowerName':
      return item.name.toLowerCase();
    case 'name':
      return item.name;
    case '_id':
      return item.id;
    case 'created':
      return item.created;
    case 'updated':
      return item.updated;
    case 'size':
      return size;
    case 'description':
      return item.description;
    default:
      return undefined;
  }
}

/** `GET /item` (docs/protocols.md#girder-item-listing). */
const listItems: GirderHandler = async (r) => {
  const c = caller(r);
  const paging = pagingParams(r, 'lowerName');
  const { folderId, text, name } = r.params;
  let rows: ServedItem[];
  let withCount = false;
  if (folderId !== undefined) {
    checkId(folderId);
    const folder = r.store.folders.get(folderId) ?? noSuch('folder', folderId);
    r.auth.requireRead(folder, c.user);
    rows = r.store.itemsIn(folder.id);
    if (name !== undefined) rows = rows.filter((i) => i.name === name);
    if (text) rows = rows.filter((i) => textMatches(text, i.name, i.description));
    withCount = true;
  } else if (text) {
    rows = r.store.dataset.items.filter(
      (i) => r.auth.canRead(r.store.folderOf(i), c.user) && textMatches(text, i.name, i.description),
    );
  } else {
    throw restError('Invalid search mode.');
  }
  const { page, total } = sortAndPage(rows, paging, (item, f) => itemField(item, f, r.store.itemSize(item)));
  sendJson(r, page.map((i) => itemDoc(r.store, i)), 200, withCount ? { 'Girder-Total-Count': String(total) } : {});
};

const getItem: GirderHandler = async (r) => {
  sendJson(r, itemDoc(r.store, loadItem(r, r.args.id as string, caller(r))));
};

/** `GET /item/{id}/files` (docs/protocols.md#girder-files): paging with default sort `name`, `Girder-Total-Count`. */
const itemFiles: GirderHandler = async (r) => {
  const item = loadItem(r, r.args.id as string, caller(r));
  const paging = pagingParams(r, 'name');
  const { page, total } = sortAndPage(item.files, paging, (f, field) =>
    field === 'name' ? f.name : field === '_id' ? f.id : field === 'size' ? f.size : field === 'created' ? f.created : undefined,
  );
  sendJson(r, page.map((f) => fileDoc(f, item)), 200, { 'Girder-Total-Count': String(total) });
};

/** `GET /item/{id}/rootpath`: the ancestors, collection first. */
const itemRootpath: GirderHandler = async (r) => {
  const c = caller(r);
  const item = loadItem(r, r.args.id as string, c);
  const chain = r.store.folderChain(r.store.folderOf(item));
  sendJson(r, [
    { object: collectionDoc(r.store, r.auth, c.user), type: 'collection' },
    ...chain.map((f) => ({ object: folderDoc(r.store, r.auth, f, c.user), type: 'folder' })),
  ]);
};

export const itemRoutes: Route[] = [
  { method: 'GET', path: [], handler: listItems },
  { method: 'GET', path: [':id'], handler: getItem },
  { method: 'GET', path: [':id', 'files'], handler: itemFiles },
  { method: 'GET', path: [':id', 'rootpath'], handler: itemRootpath },
];

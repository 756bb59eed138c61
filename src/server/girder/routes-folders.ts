import { accessError, restError } from './girder-errors.js';
import type { ServedFolder } from '../dataset-types.js';
import { collectionDoc, folderDoc } from './documents.js';
import { caller, checkId, enumParam, loadFolder, noSuch, requiredParam, sendJson, type GirderHandler, type GirderRequest } from './girder-request.js';
import { pagingParams, sortAndPage } from './paging.js';
import type { Caller } from './auth.js';
import type { Route } from './router.js';
import { textMatches } from './text-search.js';

function folderField(folder: ServedFolder, name: string): unknown {
  if (name === 'lowerName') return folder.name.toLowerCase();
  if (name === '_id') return folder.id;
  if (name === 'name' || name === 'created' || name === 'updated' || name === 'description') return folder[name];
  return undefined;
}

function requireCollection(r: GirderRequest, c: Caller): void {
  if (r.auth.privateMode && (c.user === null || c.user.id !== r.auth.owner.id)) {
    const id = r.store.dataset.collection.id;
    throw accessError(`Read access denied for collection ${id} (user ${c.user ? c.user.id : 'None'}).`, c.user === null);
  }
}

/** `GET /folder?parentType=&parentId=` (or `text=`): readable child folders, paged. */
const listFolders: GirderHandler = async (r) => {
  const c = caller(r);
  const paging = pagingParams(r, 'lowerName');
  const parentType = enumParam(r, 'parentType', ['folder', 'collection', 'user'] as const, null);
  const { parentId, text, name } = r.params;
  let rows: ServedFolder[];
  if (parentType !== null && parentId !== undefined) {
    checkId(parentId);
    if (parentType === 'folder') {
      const parent = r.store.folders.get(parentId) ?? noSuch('folder', parentId);
      r.auth.requireRead(parent, c.user);
      rows = r.store.foldersIn(parentId).filter((f) => f.parentCollection === 'folder');
    } else if (parentType === 'collection') {
      if (parentId !== r.store.dataset.collection.id) noSuch('collection', parentId);
      requireCollection(r, c);
      rows = r.store.foldersIn(parentId).filter((f) => f.parentCollection === 'collection');
    } else {
      const parent = r.auth.userById(parentId) ?? noSuch('user', parentId);
      r.auth.requireReadUser(parent, c.user);
      rows = r.store.foldersIn(parentId).filter((f) => f.parentCollection === 'user');
    }
    rows = rows.filter((f) => r.auth.canRead(f, c.user));
    if (name !== undefined) rows = rows.filter((f) => f.name === name);
    if (text) rows = rows.filter((f) => textMatches(text, f.name, f.description));
  } else if (text) {
    rows = r.store.dataset.folders.filter((f) => r.auth.canRead(f, c.user) && textMatches(text, f.name, f.description));
  } else {
    throw restError('Invalid search mode.');
  }
  const { page, total } = sortAndPage(rows, paging, folderField);
  sendJson(r, page.map((f) => folderDoc(r.store, r.auth, f, c.user)), 200, { 'Girder-Total-Count': String(total) });
};

const getFolder: GirderHandler = async (r) => {
  const c = caller(r);
  sendJson(r, folderDoc(r.store, r.auth, loadFolder(r, r.args.id as string, c), c.user));
};

const listCollections: GirderHandler = async (r) => {
  const c = caller(r);
  const paging = pagingParams(r, 'name');
  const readable = !r.auth.privateMode || (c.user !== null && c.user.id === r.auth.owner.id);
  const { collection } = r.store.dataset;
  let rows = readable ? [collection] : [];
  if (r.params.text) rows = rows.filter((x) => textMatches(r.params.text as string, x.name));
  const { page, total } = sortAndPage(rows, paging, (x, f) => (f === 'name' || f === 'lowerName' ? x.name.toLowerCase() : undefined));
  sendJson(r, page.map(() => collectionDoc(r.store, r.auth, c.user)), 200, { 'Girder-Total-Count': String(total) });
};

const getCollection: GirderHandler = async (r) => {
  const c = caller(r);
  const id = r.args.id as string;
  checkId(id);
  if (id !== r.store.dataset.collection.id) throw restError(`Invalid collection id (${id}).`);
  requireCollection(r, c);
  sendJson(r, collectionDoc(r.store, r.auth, c.user));
};

/**
 * `GET /resource/{id}/path?type=` (docs/protocols.md#girder-resource-path): the path as a JSON string; 400 `Invalid resource id.`
 * when the id is not of that type, which `girder-client download` relies on to find the type.
 */
const resourcePath: GirderHandler = async (r) => {
  const c = caller(r);
  const type = requiredParam(r, 'type');
  const id = r.args.id as string;
  if (!['folder', 'collection', 'user', 'item', 'file'].includes(type)) throw restError('Invalid resources format.');
  checkId(id);
  const { store } = r;
  const collectionPath = `/collection/${store.dataset.collection.name}`;
  const folderPath = (folder: ServedFolder): string => `${collectionPath}/${store.folderChain(folder).map((f) => f.name).join('/')}`;
  let path: string | null = null;
  if (type === 'collection' && id === store.dataset.collection.id) {
    requireCollection(r, c);
    path = collectionPath;
  } else if (type === 'user') {
    const user = r.auth.userById(id);
    if (user) {
      r.auth.requireReadUser(user, c.user);
      path = `/user/${user.login}`;
    }
  } else if (type === 'folder') {
    const folder = store.folders.get(id);
    if (folder) {
      r.auth.requireRead(folder, c.user);
      path = folderPath(folder);
    }
  } else if (type === 'item') {
    const item = store.items.get(id);
    if (item) {
      r.auth.requireRead(store.folderOf(item), c.user);
      path = `${folderPath(store.folderOf(item))}/${item.name}`;
    }
  } else if (type === 'file') {
    const entry = store.files.get(id);
    if (entry) {
      r.auth.requireRead(store.folderOf(entry.item), c.user);
      path = `${folderPath(store.folderOf(entry.item))}/${entry.item.name}/${entry.file.name}`;
    }
  }
  if (path === null) throw restError('Invalid resource id.');
  sendJson(r, path);
};

export const folderRoutes: Record<string, Route[]> = {
  folder: [
    { method: 'GET', path: [], handler: listFolders },
    { method: 'GET', path: [':id'], handler: getFolder },
  ],
  collection: [
    { method: 'GET', path: [], handler: listCollections },
    { method: 'GET', path: [':id'], handler: getCollection },
  ],
  resource: [{ method: 'GET', path: [':id', 'path'], handler: resourcePath }],
};

import { createHash } from 'node:crypto';
import type { AnnotationElement } from '../../geometry/types.js';
import type { AnnotationDocument, ServedFile, ServedFolder, ServedItem } from '../dataset-types.js';
import type { GirderApiKey, GirderAuth, GirderToken, GirderUser } from './auth.js';
import { girderIso } from './ids.js';
import type { GirderStore } from './store.js';

/**
 * Girder documents as the REST layer exposes them (docs/protocols.md#girder-transport, #girder-item-listing, #girder-files, #annotations):
 * `_modelType` everywhere, `_accessLevel` only on access-controlled models (folders, users,
 * collections, api keys, annotations), never on items and files.
 */

export function itemDoc(store: GirderStore, item: ServedItem): Record<string, unknown> {
  const doc: Record<string, unknown> = {
    _id: item.id,
    _modelType: 'item',
    baseParentId: store.dataset.collection.id,
    baseParentType: 'collection',
    created: item.created,
    creatorId: item.creatorId,
    description: item.description,
    folderId: item.folderId,
    meta: {},
    name: item.name,
    size: store.itemSize(item),
    updated: item.updated,
  };
  if (item.largeImage) doc.largeImage = { fileId: item.largeImage.fileId, sourceName: item.largeImage.sourceName };
  return doc;
}

/** Lower-cased extensions after the first dot, like Girder's `exts`. */
function extensions(name: string): string[] {
  const parts = name.split('.');
  return parts.length > 1 ? parts.slice(1).map((p) => p.toLowerCase()) : [];
}

export function fileDoc(file: ServedFile, item: ServedItem): Record<string, unknown> {
  const doc: Record<string, unknown> = {
    _id: file.id,
    _modelType: 'file',
    created: file.created,
    creatorId: item.creatorId,
    exts: extensions(file.name),
    itemId: item.id,
    mimeType: file.mimeType,
    name: file.name,
    size: file.size,
    updated: file.updated,
  };
  if (file.sha512 !== undefined) doc.sha512 = file.sha512;
  return doc;
}

export function folderDoc(
  store: GirderStore,
  auth: GirderAuth,
  folder: ServedFolder,
  user: GirderUser | null,
): Record<string, unknown> {
  return {
    _accessLevel: auth.accessLevel(folder, user),
    _id: folder.id,
    _modelType: 'folder',
    baseParentId: store.dataset.collection.id,
    baseParentType: 'collection',
    created: folder.created,
    creatorId: folder.creatorId,
    description: folder.description,
    meta: {},
    name: folder.name,
    parentCollection: folder.parentCollection,
    parentId: folder.parentId,
    public: auth.folderPublic(folder),
    size: store.folderSize(folder),
    updated: folder.updated,
  };
}

export function collectionDoc(store: GirderStore, auth: GirderAuth, user: GirderUser | null): Record<string, unknown> {
  const { collection, folders } = store.dataset;
  const created = folders.reduce<string | null>((min, f) => (min === null || f.created < min ? f.created : min), null);
  const owner = user !== null && user.id === auth.owner.id;
  return {
    _accessLevel: owner ? 2 : auth.privateMode ? -1 : 0,
    _id: collection.id,
    _modelType: 'collection',
    created: created ?? girderIso(0),
    description: '',
    meta: {},
    name: collection.name,
    public: !auth.privateMode,
    size: store.dataset.items.reduce((sum, item) => sum + store.itemSize(item), 0),
    updated: created ?? girderIso(0),
  };
}

export function userDoc(user: GirderUser, viewer: GirderUser | null): Record<string, unknown> {
  const [first = user.login, ...rest] = user.login.split(/[._-]/);
  return {
    _accessLevel: viewer !== null && viewer.id === user.id ? 2 : 0,
    _id: user.id,
    _modelType: 'user',
    admin: false,
    created: user.created,
    email: user.email,
    emailVerified: true,
    firstName: first.charAt(0).toUpperCase() + first.slice(1),
    groupInvites: [],
    groups: [],
    lastName: rest.length > 0 ? rest.join(' ') : 'User',
    login: user.login,
    otp: false,
    public: true,
    size: 0,
    status: 'enabled',
  };
}

export function tokenDoc(token: GirderToken): Record<string, unknown> {
  return { expires: girderIso(token.expiresMs), scope: token.scope, token: token.token };
}

export function apiKeyDoc(key: GirderApiKey): Record<string, unknown> {
  return {
    _accessLevel: 2,
    _id: key.id,
    _modelType: 'api_key',
    active: key.active,
    created: key.created,
    key: key.key,
    lastUse: null,
    name: key.name,
    scope: key.scope,
    tokenDuration: key.tokenDuration,
    userId: key.userId,
  };
}

/** large_image's element complexity (`bbox.details`): points count, 4 for boxes/circles, else 1. */
export function elementDetails(element: AnnotationElement): number {
  if (Array.isArray(element.points)) return element.points.length;
  if (Array.isArray(element.values)) return (element.values as unknown[]).length;
  if ('width' in element || 'radius' in element) return 4;
  return 1;
}

/** Element ids are always strings; missing ones get a stable id (appended last, like `setdefault`). */
export function elementsWithIds(doc: AnnotationDocument): AnnotationElement[] {
  return doc.annotation.elements.map((element, index) => {
    if (typeof element.id === 'string') return element;
    const id = doc._id.slice(0, 8) + createHash('md5').update(`${doc._id}:${index}`).digest('hex').slice(0, 16);
    return { ...element, id };
  });
}

/** `groups`: sorted distinct element groups, plus null when some element has none. */
export function annotationGroups(elements: AnnotationElement[]): Array<string | null> {
  const groups = new Set<string>();
  let missing = false;
  for (const e of elements) {
    if (typeof e.group === 'string') groups.add(e.group);
    else missing = true;
  }
  const out: Array<string | null> = [...groups].sort();
  if (missing) out.push(null);
  return out;
}

export function annotationReadable(auth: GirderAuth, doc: AnnotationDocument, user: GirderUser | null): boolean {
  return (doc.public && !auth.privateMode) || (user !== null && user.id === auth.owner.id);
}

/**
 * The filtered annotation document without its elements (`annotation.elements` = [] when
 * `withEmptyElements`, which is how large_image prepares the text it splices elements into).
 */
export function annotationDoc(
  auth: GirderAuth,
  doc: AnnotationDocument,
  user: GirderUser | null,
  options: { withEmptyElements: boolean },
): Record<string, unknown> {
  const elements = doc.annotation.elements;
  const annotation: Record<string, unknown> = { description: doc.annotation.description, name: doc.annotation.name };
  if (doc.annotation.attributes !== undefined) annotation.attributes = doc.annotation.attributes;
  if (options.withEmptyElements) annotation.elements = [];
  const owner = user !== null && user.id === auth.owner.id;
  return {
    _accessLevel: owner ? 2 : annotationReadable(auth, doc, user) ? 0 : -1,
    _detailsCount: elements.reduce((sum, e) => sum + elementDetails(e), 0),
    _elementCount: elements.length,
    _id: doc._id,
    _modelType: 'annotation',
    _version: doc._version,
    annotation,
    created: doc.created,
    creatorId: doc.creatorId,
    groups: annotationGroups(elements),
    itemId: doc.itemId,
    public: doc.public && !auth.privateMode,
    updated: doc.updated,
    updatedId: doc.updatedId,
  };
}

/**
 * Girder endpoints girder_client (and scripts built on it) call besides data listing: the server
 * version and status, lookup by path, folder details, the Swagger description, and large_image's
 * tile routes (routes-tile-zxy.ts). Answers follow Girder 3.x (`girder/api/v1/system.py`,
 * `resource.py`, `folder.py`, `utility/path.py`, `api/describe.py`).
 */
import os from 'node:os';
import type { ServedFolder, ServedItem } from '../dataset-types.js';
import { accessError, validationError } from './girder-errors.js';
import { girderIso } from './ids.js';
import { collectionDoc, fileDoc, folderDoc, itemDoc, userDoc } from './documents.js';
import { caller, enumParam, loadFolder, requiredParam, sendJson, type GirderHandler, type GirderRequest } from './girder-request.js';
import type { Route } from './router.js';
import { tileZxyRoutes } from './routes-tile-zxy.js';

/** The Girder release this server answers as (the DSA's line). */
export const GIRDER_RELEASE = '3.2.8';
const START_MS = Date.now();

/** `GET /system/version`: `{release, serverStartDate}`. */
const getVersion: GirderHandler = async (r) => {
  sendJson(r, { release: GIRDER_RELEASE, serverStartDate: girderIso(START_MS) });
};

/**
 * `GET /system/check`: mode `basic` (default) is public and gives boot, current and process start
 * times (seconds since the epoch) plus the request base; `quick` and `slow` need an administrator,
 * and this server has none.
 */
const systemCheck: GirderHandler = async (r) => {
  const mode = enumParam(r, 'mode', ['basic', 'quick', 'slow'] as const, 'basic');
  const c = caller(r);
  if (mode !== 'basic') throw accessError('Administrator access required.', c.user === null);
  const host = r.req.headers.host ?? 'localhost';
  const now = Date.now() / 1000;
  sendJson(r, {
    bootTime: Math.round((now - os.uptime()) * 1000) / 1000,
    currentTime: now,
    processStartTime: Math.round((now - process.uptime()) * 1000) / 1000,
    requestBase: `http://${host}/api/v1`,
  });
};

/** Girder's path tokens: `/` separates unless escaped as `\/`; `\\` is a backslash. */
export function splitGirderPath(path: string): string[] {
  const tokens: string[] = [];
  let current = '';
  for (let i = 0; i < path.length; i++) {
    const ch = path[i] as string;
    if (ch === '\\' && i + 1 < path.length && (path[i + 1] === '/' || path[i + 1] === '\\')) {
      current += path[i + 1];
      i++;
    } else if (ch === '/') {
      tokens.push(current);
      current = '';
    } else {
      current += ch;
    }
  }
  tokens.push(current);
  return tokens;
}

type Found = { kind: 'collection' } | { kind: 'folder'; folder: ServedFolder } | { kind: 'item'; item: ServedItem } | { kind: 'file'; item: ServedItem; index: number };

/** Walk the tokens below the collection; null where no child has that name or it is unreadable. */
function walk(r: GirderRequest, tokens: string[], user: ReturnType<typeof caller>['user']): Found | null {
  const { store } = r;
  let at: Found = { kind: 'collection' };
  for (const token of tokens) {
    if (at.kind === 'collection' || at.kind === 'folder') {
      const parentId: string = at.kind === 'collection' ? store.dataset.collection.id : at.folder.id;
      const parentType: string = at.kind === 'collection' ? 'collection' : 'folder';
      const folder: ServedFolder | undefined = store.foldersIn(parentId).find((f) => f.name === token && f.parentCollection === parentType);
      const item: ServedItem | undefined = at.kind === 'folder' ? store.itemsIn(parentId).find((i) => i.name === token) : undefined;
      if (folder !== undefined) {
        if (!r.auth.canRead(folder, user)) return null;
        at = { kind: 'folder', folder };
      } else if (item !== undefined) at = { kind: 'item', item };
      else return null;
    } else if (at.kind === 'item') {
      const index: number = at.item.files.findIndex((f) => f.name === token);
      if (index < 0) return null;
      at = { kind: 'file', item: at.item, index };
    } else {
      return null;
    }
  }
  return at;
}

/**
 * `GET /resource/lookup?path=`: the filtered document at a `/collection/<name>/…` or
 * `/user/<login>` path. Girder does not tell missing from unreadable below the root: both are
 * `Path not found: <path>` (a validation error), so nobody can probe for private names.
 */
const lookup: GirderHandler = async (r) => {
  const c = caller(r);
  const path = requiredParam(r, 'path').replace(/^\/+/, '');
  const [model, root, ...rest] = splitGirderPath(path);
  const { store } = r;
  if (model === 'user') {
    const login = (root ?? '').toLowerCase();
    const user = r.auth.users.find((u) => u.login === login);
    if (user === undefined) throw validationError(`User not found: ${root ?? ''}`);
    // The demo's users own no folders, so nothing lies below a user.
    if (rest.length > 0) throw validationError(`Path not found: ${path}`);
    sendJson(r, userDoc(user, c.user));
    return;
  }
  if (model !== 'collection') throw validationError('Invalid path format');
  if (root !== store.dataset.collection.name) throw validationError(`Collection not found: ${root ?? ''}`);
  const collectionReadable = !r.auth.privateMode || (c.user !== null && c.user.id === r.auth.owner.id);
  const found = collectionReadable ? walk(r, rest, c.user) : null;
  if (found === null) throw validationError(`Path not found: ${path}`);
  if (found.kind === 'collection') sendJson(r, collectionDoc(store, r.auth, c.user));
  else if (found.kind === 'folder') sendJson(r, folderDoc(store, r.auth, found.folder, c.user));
  else if (found.kind === 'item') sendJson(r, itemDoc(store, found.item));
  else sendJson(r, fileDoc(found.item.files[found.index] as ServedItem['files'][number], found.item));
};

/** `GET /folder/{id}/details`: `{nFolders, nItems}` (child folders the caller can read). */
const folderDetails: GirderHandler = async (r) => {
  const c = caller(r);
  const folder = loadFolder(r, r.args.id as string, c);
  const nFolders = r.store.foldersIn(folder.id).filter((f) => f.id !== folder.id && r.auth.canRead(f, c.user)).length;
  sendJson(r, { nFolders, nItems: r.store.itemsIn(folder.id).length });
};

/**
 * `GET /describe`: a Swagger 2.0 document of the routes this server answers (Girder's
 * `Describe.listResources` shape, without Girder's per-parameter prose).
 */
function describeRoute(resources: Record<string, Route[]>): GirderHandler {
  return async (r) => {
    const paths: Record<string, Record<string, unknown>> = {};
    for (const [name, routes] of Object.entries(resources).sort(([a], [b]) => a.localeCompare(b))) {
      for (const route of routes) {
        const segments = route.path.map((s) => (s.startsWith(':') ? `{${s.slice(1)}}` : s));
        const key = `/${[name, ...segments].join('/')}`;
        const params = route.path.filter((s) => s.startsWith(':')).map((s) => ({ in: 'path', name: s.slice(1), required: true, type: 'string' }));
        paths[key] ??= {};
        (paths[key])[route.method.toLowerCase()] = {
          operationId: `${name}_${segments.join('_') || 'root'}_${route.method.toLowerCase()}`,
          parameters: params,
          responses: { '200': { description: 'Success' } },
          tags: [name],
        };
      }
    }
    sendJson(r, {
      basePath: '/api/v1',
      definitions: {},
      host: r.req.headers.host ?? 'localhost',
      info: { title: 'Girder REST API', version: GIRDER_RELEASE },
      paths,
      swagger: '2.0',
      tags: Object.keys(resources).sort().map((name) => ({ name })),
    });
  };
}

const EXTRA: Record<string, Route[]> = {
  system: [
    { method: 'GET', path: ['version'], handler: getVersion },
    { method: 'GET', path: ['check'], handler: systemCheck },
  ],
  resource: [{ method: 'GET', path: ['lookup'], handler: lookup }],
  folder: [{ method: 'GET', path: [':id', 'details'], handler: folderDetails }],
  item: tileZxyRoutes,
};

/** `resources` plus the routes above (appended per resource) and `describe` over all of them. */
export function withGirderClientRoutes(resources: Record<string, Route[]>): Record<string, Route[]> {
  const out: Record<string, Route[]> = { ...resources };
  for (const [name, routes] of Object.entries(EXTRA)) out[name] = [...(out[name] ?? []), ...routes];
  out.describe = [{ method: 'GET', path: [], handler: describeRoute(out) }];
  return out;
}

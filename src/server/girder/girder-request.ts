import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ServedFile, ServedFolder, ServedItem } from '../dataset-types.js';
import type { FaultInjector, FaultKind } from '../faults.js';
import { invalidObjectId, missingId, OBJECT_ID, restError, validationError } from './girder-errors.js';
import { girderResponseBody } from './girder-response.js';
import { setNoCache } from '../http/headers.js';
import type { Caller, GirderAuth } from './auth.js';
import { DATA_READ } from './auth.js';
import type { GirderStore } from './store.js';
import type { RegionService } from './region-service.js';
import { parsePythonFloat } from './python-float.js';

/** Everything a Girder route handler needs about its request. */
export interface GirderRequest {
  req: IncomingMessage;
  res: ServerResponse;
  method: string;
  params: Record<string, string>;
  /** Wildcards of the matched route (`:id` → `id`). */
  args: Record<string, string>;
  uid: string;
  store: GirderStore;
  auth: GirderAuth;
  faults: FaultInjector;
  regions: RegionService;
  /** The fault drawn for this request, for faults the Girder layer itself injects. */
  fault: FaultKind | null;
  log: (note: string) => void;
}

export type GirderHandler = (r: GirderRequest) => Promise<void>;

/** A JSON answer with Girder's headers (HTML pretty-print when `Accept` prefers it). */
export function sendJson(r: GirderRequest, value: unknown, status = 200, headers: Record<string, string> = {}): void {
  const { contentType, body } = girderResponseBody(value, r.req.headers.accept);
  setNoCache(r.res);
  for (const [k, v] of Object.entries(headers)) r.res.setHeader(k, v);
  r.res.setHeader('Content-Type', contentType);
  r.res.setHeader('Content-Length', body.length);
  r.res.statusCode = status;
  r.res.end(body);
}

export function caller(r: GirderRequest, options: { cookie?: boolean } = {}): Caller {
  return r.auth.caller(r.req, r.params, { cookie: options.cookie, scope: DATA_READ });
}

export function checkId(id: string): void {
  if (!OBJECT_ID.test(id)) throw invalidObjectId(id);
}

/** A path id: malformed → 400 validation, unknown → 400 `Invalid item id (…).`, unreadable → 401/403. */
export function loadItem(r: GirderRequest, id: string, c: Caller): ServedItem {
  checkId(id);
  const item = r.store.items.get(id);
  if (!item) throw missingId('item', id);
  r.auth.requireRead(r.store.folderOf(item), c.user);
  return item;
}

export function loadFile(r: GirderRequest, id: string, c: Caller): { file: ServedFile; item: ServedItem } {
  checkId(id);
  const entry = r.store.files.get(id);
  if (!entry) throw missingId('file', id);
  r.auth.requireRead(r.store.folderOf(entry.item), c.user);
  return entry;
}

export function loadFolder(r: GirderRequest, id: string, c: Caller): ServedFolder {
  checkId(id);
  const folder = r.store.folders.get(id);
  if (!folder) throw missingId('folder', id);
  r.auth.requireRead(folder, c.user);
  return folder;
}

/** Typed parameters, with autoDescribeRoute's messages (docs/protocols.md#girder-transport). */
export function intParam(r: GirderRequest, name: string, fallback: number): number;
export function intParam(r: GirderRequest, name: string, fallback: null): number | null;
export function intParam(r: GirderRequest, name: string, fallback: number | null): number | null {
  const v = r.params[name];
  if (v === undefined) return fallback;
  if (!/^\s*[+-]?\d+\s*$/.test(v)) throw restError(`Invalid value for integer parameter ${name}: ${v}.`);
  return Number(v);
}

export function numberParam(r: GirderRequest, name: string): number | null {
  const v = r.params[name];
  if (v === undefined) return null;
  const n = parsePythonFloat(v);
  if (n === null) throw restError(`Invalid value for numeric parameter ${name}: ${v}.`);
  return n;
}

export function enumParam<T extends string>(r: GirderRequest, name: string, allowed: readonly T[], fallback: T): T;
export function enumParam<T extends string>(r: GirderRequest, name: string, allowed: readonly T[], fallback: null): T | null;
export function enumParam<T extends string>(r: GirderRequest, name: string, allowed: readonly T[], fallback: T | null): T | null {
  const v = r.params[name];
  if (v === undefined) return fallback;
  if (!(allowed as readonly string[]).includes(v)) {
    throw restError(`Invalid value for ${name}: "${v}". Allowed values: ${allowed.join(', ')}.`);
  }
  return v as T;
}

export function requiredParam(r: GirderRequest, name: string): string {
  const v = r.params[name];
  if (v === undefined) throw restError(`Parameter "${name}" is required.`);
  return v;
}

/** `No such folder: <id>` for ids given as query parameters (modelParam with exc=True). */
export function noSuch(model: string, id: string): never {
  throw validationError(`No such ${model}: ${id}`, 'id');
}

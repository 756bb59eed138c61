import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { AnnotationElement } from '../../geometry/types.js';
import type { AnnotationDocument } from '../dataset-types.js';
import { accessError, restError } from './girder-errors.js';
import { girderJson } from './girder-json.js';
import { setNoCache } from '../http/headers.js';
import { annotationDoc, annotationReadable, elementDetails, elementsWithIds } from './documents.js';
import { BBOX_KEYS, elementBox } from './element-bbox.js';
import type { GirderUser } from './auth.js';
import { caller, checkId, intParam, loadItem, numberParam, sendJson, type GirderHandler, type GirderRequest } from './girder-request.js';
import { pagingParams, sortAndPage } from './paging.js';
import type { Route } from './router.js';
import { textMatches } from './text-search.js';

const BREAK = '"elements": [';
const PER_CHUNK = 100;

/**
 * One annotation exactly as large_image streams it (docs/protocols.md#annotations): the filtered document
 * with sorted keys, elements spliced into `annotation.elements` as compact JSON, ≤ 100 per chunk,
 * then `, "_elementQuery": {…}` as the last key.
 */
function* annotationChunks(
  base: Record<string, unknown>,
  elements: AnnotationElement[],
  info: Record<string, unknown>,
): Generator<string> {
  const text = girderJson(base);
  const at = text.indexOf(BREAK);
  yield text.slice(0, at) + BREAK;
  for (let i = 0; i < elements.length; i += PER_CHUNK) {
    // Compact, insertion-ordered, UTF-8 (orjson on the real server), without the brackets.
    yield (i > 0 ? ',' : '') + JSON.stringify(elements.slice(i, i + PER_CHUNK)).slice(1, -1);
  }
  yield text
    .slice(at + BREAK.length)
    .trimEnd()
    .replace(/\}+$/, '');
  yield ', "_elementQuery": ';
  yield girderJson(info);
  yield '}';
}

function fullQuery(doc: AnnotationDocument, elements: AnnotationElement[]): Record<string, unknown> {
  return {
    count: elements.length,
    details: elements.reduce((s, e) => s + elementDetails(e), 0),
    filter: { _version: doc._version, annotationId: doc._id },
    offset: 0,
    returned: elements.length,
    sort: ['_id', 1],
  };
}

async function streamJson(r: GirderRequest, chunks: AsyncIterable<string> | Iterable<string>, headers: Record<string, string> = {}): Promise<void> {
  const { res } = r;
  if (Object.keys(headers).length === 0) setNoCache(res);
  for (const [k, v] of Object.entries(headers)) res.setHeader(k, v);
  res.setHeader('Content-Type', 'application/json');
  res.statusCode = 200;
  if (r.req.method === 'HEAD') {
    res.end();
    return;
  }
  const bytes = async function* (): AsyncGenerator<Buffer> {
    for await (const c of chunks) yield Buffer.from(c, 'utf8');
  };
  await pipeline(Readable.from(bytes()), res);
}

/**
 * `GET /annotation/item/{id}`: every annotation of the item, streamed (chunked) in `_id` order
 * with `",\n"` separators. Like large_image, an annotation the caller may not read is skipped
 * after its separator was written, which yields invalid JSON unless it was the first one.
 */
const itemAnnotations: GirderHandler = async (r) => {
  const c = caller(r, { cookie: true });
  const item = loadItem(r, r.args.id as string, c);
  const docs = await r.store.annotationsOf(item);
  const broken = r.fault === 'badAnnotationJson';
  const auth = r.auth;
  function* body(): Generator<string> {
    yield '[';
    let first = true;
    for (const doc of docs) {
      if (!first) yield ',\n';
      if (!annotationReadable(auth, doc, c.user)) continue;
      const elements = elementsWithIds(doc);
      yield* annotationChunks(annotationDoc(auth, doc, c.user, { withEmptyElements: true }), elements, fullQuery(doc, elements));
      first = false;
    }
    // Injected fault: a doubled separator, as when an unreadable annotation is skipped.
    if (broken) yield ',\n';
    yield ']';
  }
  await streamJson(r, body());
};

async function loadAnnotation(r: GirderRequest, id: string, user: GirderUser | null): Promise<AnnotationDocument> {
  checkId(id);
  const entry = (await r.store.allAnnotations()).get(id);
  // large_image raises this 404 itself (docs/protocols.md#girder-errors lists it as [old] behaviour).
  if (!entry) throw restError('Annotation not found', 404);
  // Both the annotation's own ACL and its item's folder must allow reading.
  if (!annotationReadable(r.auth, entry.doc, user) || !r.auth.canRead(r.store.folderOf(entry.item), user)) {
    throw accessError(`Read access denied for annotation ${id} (user ${user ? user.id : 'None'}).`, user === null);
  }
  return entry.doc;
}

/** `GET /annotation/{id}`: one annotation; element paging and region filters; ETag, 30-day max-age. */
const getAnnotation: GirderHandler = async (r) => {
  const c = caller(r, { cookie: true });
  const doc = await loadAnnotation(r, r.args.id as string, c.user);
  const etag = `"${createHash('md5')
    .update(JSON.stringify(['getAnnotation', doc._id, doc.updated, doc._version, Object.entries(r.params).sort()]))
    .digest('hex')}"`;
  const headers = { ETag: etag, 'Cache-control': `public, max-age=${86400 * 30}` };
  if (r.req.headers['if-none-match'] === etag) {
    for (const [k, v] of Object.entries(headers)) r.res.setHeader(k, v);
    r.res.statusCode = 304;
    r.res.end();
    return;
  }
  const limit = intParam(r, 'limit', 0);
  const offset = intParam(r, 'offset', 0);
  // Elements are a MongoDB query: a negative skip is an error (500, as for listings, see
  // paging.ts), a negative limit means |limit|.
  if (offset < 0) throw new Error(`skip value must be non-negative, but received: ${offset}`);
  const maxDetails = intParam(r, 'maxDetails', 0);
  const sortdir = intParam(r, 'sortdir', 1) < 0 ? -1 : 1;
  const sortKey = r.params.sort ?? '_id';
  const filter: Record<string, unknown> = { _version: doc._version, annotationId: doc._id };
  const tests: Array<(e: AnnotationElement) => boolean> = [];
  for (const [param, [field, op]] of Object.entries(BBOX_KEYS)) {
    const v = numberParam(r, param);
    if (v === null || (op === '$gte' && v <= 0)) continue;
    filter[`bbox.${field}`] = { [op]: v };
    tests.push((e) => (op === '$gte' ? elementBox(e)[field] >= v : elementBox(e)[field] < v));
  }
  let elements = elementsWithIds(doc).filter((e) => tests.every((t) => t(e)));
  const count = elements.length;
  if (sortKey === 'size' || sortKey === 'details') {
    elements = sortAndPage(elements, { limit: 0, offset: 0, sort: sortKey, sortdir }, (e, f) =>
      f === 'size' ? elementBox(e).size : elementDetails(e),
    ).page;
  } else if (sortdir === -1) {
    elements = [...elements].reverse(); // elements are stored, and so listed, in _id order
  }
  const absLimit = Math.abs(limit);
  const queryLimit = maxDetails && (!absLimit || maxDetails < absLimit) ? maxDetails : absLimit;
  elements = queryLimit ? elements.slice(offset, offset + queryLimit) : elements.slice(offset);
  const out: AnnotationElement[] = [];
  let details = 0;
  for (const e of elements) {
    out.push(e);
    details += elementDetails(e);
    if (maxDetails && details >= maxDetails) break;
  }
  const info: Record<string, unknown> = {
    count,
    details,
    filter,
    offset,
    returned: out.length,
    sort: [sortKey, sortdir],
  };
  if (maxDetails) info.maxDetails = maxDetails;
  if (limit) info.limit = limit;
  const base = annotationDoc(r.auth, doc, c.user, { withEmptyElements: true });
  await streamJson(r, annotationChunks(base, out, info), headers);
};

/** `GET /annotation?itemId=`: documents without elements, paged, `Girder-Total-Count`. */
const findAnnotations: GirderHandler = async (r) => {
  const c = caller(r);
  const paging = pagingParams(r, 'lowerName');
  let rows: AnnotationDocument[];
  if (r.params.itemId !== undefined) {
    const item = loadItem(r, r.params.itemId, c);
    rows = await r.store.annotationsOf(item);
  } else {
    rows = [...(await r.store.allAnnotations()).values()]
      .filter(({ item }) => r.auth.canRead(r.store.folderOf(item), c.user))
      .map(({ doc }) => doc);
  }
  rows = rows.filter((d) => annotationReadable(r.auth, d, c.user));
  if (r.params.userId !== undefined) rows = rows.filter((d) => d.creatorId === r.params.userId);
  if (r.params.name) rows = rows.filter((d) => d.annotation.name === r.params.name);
  if (r.params.text) rows = rows.filter((d) => textMatches(r.params.text as string, d.annotation.name, d.annotation.description));
  const { page, total } = sortAndPage(rows, paging, (d, f) =>
    f === '_id' ? d._id : f === 'created' ? d.created : f === 'updated' ? d.updated : f === 'name' ? d.annotation.name : undefined,
  );
  sendJson(r, page.map((d) => annotationDoc(r.auth, d, c.user, { withEmptyElements: false })), 200, {
    'Girder-Total-Count': String(total),
  });
};

export const annotationRoutes: Route[] = [
  { method: 'GET', path: [], handler: findAnnotations },
  { method: 'GET', path: [':id'], handler: getAnnotation },
  { method: 'GET', path: ['item', ':id'], handler: itemAnnotations },
];

import { readFile } from 'node:fs/promises';
import type { AnnotationElement } from '../../geometry/types.js';
import { UsageError } from '../../errors.js';
import type { AnnotationDocument } from '../dataset-types.js';
import { deterministicObjectId, girderDate } from '../demo/deterministic-ids.js';

const OBJECT_ID = /^[0-9a-f]{24}$/;

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function checkElements(list: unknown, where: string): AnnotationElement[] {
  if (!Array.isArray(list)) throw new UsageError(`${where}: "elements" must be a list`);
  return list.map((el, i) => {
    if (!isRecord(el) || typeof el.type !== 'string') {
      throw new UsageError(`${where}: element ${i} is not an object with a string "type"`);
    }
    return el as AnnotationElement;
  });
}

/**
 * The annotation documents of one slide from `<slide>.json`. Accepted shapes: a list of DSA
 * annotation documents (as `GET /annotation/item/{id}` returns them), one such document, a list of
 * bare elements (one document is made for them), or `{"elements": [...]}`. Missing ids are
 * derived from the file and position; elements without an `id` get a 24-hex one (the DSA always
 * sends one).
 */
export async function readAnnotationFile(
  path: string,
  context: { itemId: string; creatorId: string; slideName: string },
): Promise<AnnotationDocument[]> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(await readFile(path, 'utf8'));
  } catch (err) {
    const why = err instanceof SyntaxError ? `is not valid JSON (${err.message})` : `cannot be read (${(err as Error).message})`;
    throw new UsageError(`annotation file ${path} ${why}`, { cause: err });
  }
  const where = `annotation file ${path}`;
  let rawDocs: { doc: Record<string, unknown>; elements: AnnotationElement[] }[];
  if (Array.isArray(parsed) && parsed.every((x) => isRecord(x) && typeof x.type === 'string')) {
    rawDocs = [{ doc: {}, elements: checkElements(parsed, where) }];
  } else if (Array.isArray(parsed) || (isRecord(parsed) && isRecord(parsed.annotation))) {
    const list: unknown[] = Array.isArray(parsed) ? parsed : [parsed];
    rawDocs = list.map((d, i) => {
      if (!isRecord(d) || !isRecord(d.annotation)) {
        throw new UsageError(`${where}: entry ${i} is neither an annotation document (with "annotation") nor an element (with "type")`);
      }
      return { doc: d, elements: checkElements(d.annotation.elements ?? [], `${where}, document ${i}`) };
    });
  } else if (isRecord(parsed) && Array.isArray(parsed.elements)) {
    rawDocs = [{ doc: { annotation: parsed }, elements: checkElements(parsed.elements, where) }];
  } else {
    throw new UsageError(`${where}: expected a list of annotation documents or of elements`);
  }

  return rawDocs.map(({ doc, elements }, d) => {
    const given = typeof doc._id === 'string' && OBJECT_ID.test(doc._id) ? doc._id : null;
    const id = given ?? deterministicObjectId('data-dir', context.slideName, 'annotation', d);
    const annotation = isRecord(doc.annotation) ? doc.annotation : {};
    const str = (v: unknown, fallback: string): string => (typeof v === 'string' ? v : fallback);
    return {
      _id: id,
      itemId: context.itemId,
      creatorId: str(doc.creatorId, context.creatorId),
      created: str(doc.created, girderDate(id)),
      updated: str(doc.updated, girderDate(id)),
      updatedId: str(doc.updatedId, context.creatorId),
      public: typeof doc.public === 'boolean' ? doc.public : true,
      _version: typeof doc._version === 'number' ? doc._version : 1,
      annotation: {
        name: str(annotation.name, context.slideName),
        description: str(annotation.description, ''),
        elements: elements.map((el, i) =>
          typeof el.id === 'string' && OBJECT_ID.test(el.id)
            ? el
            : { ...el, id: deterministicObjectId('data-dir', context.slideName, id, 'element', i) },
        ),
        ...(isRecord(annotation.attributes) ? { attributes: annotation.attributes } : {}),
      },
    };
  });
}

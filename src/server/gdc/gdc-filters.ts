import type { GdcFile } from '../dataset-types.js';

/** A GDC filter that cannot be evaluated; the handler answers 400 with the message. */
export class GdcQueryError extends Error {}

type FieldValue = string | number | string[];

/** Fields a query may filter or select, with their value for one file (`files.` prefix optional). */
export function gdcFieldValue(file: GdcFile, field: string): FieldValue | undefined {
  switch (field.replace(/^files\./, '')) {
    case 'id':
    case 'file_id':
      return file.fileId;
    case 'file_name':
      return file.fileName;
    case 'file_size':
      return file.size;
    case 'md5sum':
      return file.md5;
    case 'access':
      return file.access;
    case 'data_format':
      return file.dataFormat;
    case 'state':
      return 'released';
    case 'data_type':
      return 'Slide Image';
    case 'data_category':
      return 'Biospecimen';
    case 'experimental_strategy':
      return 'Diagnostic Slide';
    case 'type':
      return 'slide_image';
    case 'acl':
      return [file.access === 'open' ? 'open' : 'phs000178'];
    case 'submitter_id':
      return file.fileName.replace(/\.svs$/i, '');
    case 'created_datetime':
      return '2016-05-02T14:44:14.114125-05:00';
    case 'updated_datetime':
      return '2022-11-14T16:40:33.316217-06:00';
    default:
      return undefined;
  }
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function matches(actual: FieldValue, wanted: unknown): boolean {
  const list = Array.isArray(actual) ? actual : [actual];
  return list.some((a) => String(a) === String(wanted));
}

/**
 * Compile a GDC `filters` value (object, or the JSON string gdc-client sends) into a predicate.
 * Supported: `in`, `=`, `!=`, `and`, `or` (docs/protocols.md#gdc-files-query). Unknown operators and fields
 * are refused rather than silently matching nothing.
 */
export function compileFilters(filters: unknown): (file: GdcFile) => boolean {
  if (filters === undefined || filters === null || filters === '') return () => true;
  let tree: unknown = filters;
  if (typeof filters === 'string') {
    try {
      tree = JSON.parse(filters);
    } catch {
      throw new GdcQueryError('filters is not valid JSON');
    }
  }
  if (isRecord(tree) && Object.keys(tree).length === 0) return () => true;
  return compileNode(tree);
}

function compileNode(node: unknown): (file: GdcFile) => boolean {
  if (!isRecord(node) || typeof node.op !== 'string') throw new GdcQueryError(`invalid filter: ${JSON.stringify(node)}`);
  const op = node.op.toLowerCase();
  const content = node.content;
  if (op === 'and' || op === 'or') {
    if (!Array.isArray(content)) throw new GdcQueryError(`"${op}" needs a list of filters as content`);
    const parts = content.map(compileNode);
    return op === 'and' ? (f) => parts.every((p) => p(f)) : (f) => parts.some((p) => p(f));
  }
  if (op !== 'in' && op !== '=' && op !== '!=') throw new GdcQueryError(`unsupported filter operator "${node.op}"`);
  if (!isRecord(content) || typeof content.field !== 'string' || content.value === undefined) {
    throw new GdcQueryError(`"${op}" needs content {"field", "value"}`);
  }
  const field = content.field;
  const wanted = Array.isArray(content.value) ? content.value : [content.value];
  if (!isGdcField(field)) throw new GdcQueryError(`unrecognized field "${field}"`);
  const test = (f: GdcFile): boolean => {
    const actual = gdcFieldValue(f, field);
    return actual !== undefined && wanted.some((w) => matches(actual, w));
  };
  return op === '!=' ? (f) => !test(f) : test;
}

/** Whether `field` (with or without the `files.` prefix) is one this server knows. */
export function isGdcField(field: string): boolean {
  return gdcFieldValue(PROBE, field) !== undefined;
}

/** A file used only to ask whether a field name is known. */
const PROBE: GdcFile = {
  fileId: '',
  fileName: '',
  size: 0,
  md5: '',
  dataFormat: '',
  access: 'open',
  open: () => {
    throw new Error('probe file has no bytes');
  },
};

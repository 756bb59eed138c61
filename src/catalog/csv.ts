import { UsageError } from '../errors.js';

export interface DelimitedOptions {
  delimiter: ',' | '\t';
  /** Shown in error messages, e.g. `roiBounds.csv` or the user's file path. */
  source: string;
}

/** One parsed record and the 1-based physical line it starts on (for error messages). */
export interface DelimitedRow {
  line: number;
  fields: string[];
}

/**
 * RFC 4180-style reader that also keeps the line each record starts on, so
 * table parsers can say "roiBounds.csv line 7: ...".
 *
 * - Quoted fields may contain the delimiter, doubled quotes and line breaks
 *   (kept exactly as written).
 * - Records end at CRLF, LF or a lone CR; the final line break is optional.
 * - A leading UTF-8 BOM is dropped (spreadsheet exports add one).
 * - Empty lines are skipped, like Python's csv.DictReader does, so a trailing
 *   blank line never becomes a phantom row.
 * - Every record must have as many fields as the first (header) record.
 *
 * Errors are UsageErrors: these tables may come from the user (`--rois FILE`).
 */
export function parseDelimitedRows(text: string, options: DelimitedOptions): DelimitedRow[] {
  const { delimiter, source } = options;
  const input = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  const rows: DelimitedRow[] = [];
  const c: Cursor = { input, n: input.length, delimiter, source, i: 0, line: 1 };

  while (c.i < c.n) {
    const rowLine = c.line;
    // An empty line: skip it without producing a record.
    if (input[c.i] === '\n' || input[c.i] === '\r') {
      c.i += input[c.i] === '\r' && input[c.i + 1] === '\n' ? 2 : 1;
      c.line += 1;
      continue;
    }
    const fields = readRecord(c);
    const header = rows[0];
    if (header !== undefined && fields.length !== header.fields.length) {
      fail(
        c,
        rowLine,
        `expected ${header.fields.length} fields (as in the header on line ${header.line}) but found ${fields.length}`,
      );
    }
    rows.push({ line: rowLine, fields });
  }
  return rows;
}

/** Reading position in the text; `line` is the 1-based physical line of `i`. */
interface Cursor {
  readonly input: string;
  readonly n: number;
  readonly delimiter: string;
  readonly source: string;
  i: number;
  line: number;
}

function fail(c: Cursor, at: number, message: string): never {
  throw new UsageError(`${c.source} line ${at}: ${message}`);
}

/** Parses fields until the end of the record, and consumes its line break, if any. */
function readRecord(c: Cursor): string[] {
  const { input, n, delimiter } = c;
  const fields: string[] = [];
  while (true) {
    fields.push(input[c.i] === '"' ? readQuoted(c) : readPlain(c));
    if (c.i < n && input[c.i] === delimiter) {
      c.i += 1;
      continue;
    }
    // End of record: consume the line break, if any.
    if (c.i < n) {
      c.i += input[c.i] === '\r' && input[c.i + 1] === '\n' ? 2 : 1;
      c.line += 1;
    }
    return fields;
  }
}

function readQuoted(c: Cursor): string {
  const { input, n, delimiter } = c;
  let value = '';
  const openedAt = c.line;
  c.i += 1;
  while (true) {
    if (c.i >= n) fail(c, openedAt, 'unterminated quoted field (a `"` is never closed)');
    const ch = input[c.i] as string;
    if (ch === '"') {
      if (input[c.i + 1] === '"') {
        value += '"';
        c.i += 2;
        continue;
      }
      c.i += 1;
      break;
    }
    if (ch === '\n' || (ch === '\r' && input[c.i + 1] !== '\n')) c.line += 1;
    value += ch;
    c.i += 1;
  }
  const next = input[c.i];
  if (c.i < n && next !== delimiter && next !== '\n' && next !== '\r') {
    fail(c, c.line, `unexpected ${JSON.stringify(next)} after a closing quote (a quote inside a quoted field must be doubled: "")`);
  }
  return value;
}

function readPlain(c: Cursor): string {
  const { input, n, delimiter } = c;
  const start = c.i;
  while (c.i < n) {
    const ch = input[c.i];
    if (ch === delimiter || ch === '\n' || ch === '\r') break;
    if (ch === '"') {
      fail(c, c.line, 'a `"` inside an unquoted field (quote the whole field and double the inner quote)');
    }
    c.i += 1;
  }
  return input.slice(start, c.i);
}

/** The records of a CSV/TSV text, header first; see parseDelimitedRows for the rules. */
export function parseDelimited(text: string, options: DelimitedOptions): string[][] {
  return parseDelimitedRows(text, options).map((r) => r.fields);
}

/**
 * Index of the header field named `name` (trimmed, case-insensitive), or -1.
 * Tables are read by header name, never by assumed position, so extra or
 * reordered columns in user files still work.
 */
export function findColumn(header: DelimitedRow, name: string, source: string): number {
  const wanted = name.trim().toLowerCase();
  const hits: number[] = [];
  header.fields.forEach((h, i) => {
    if (h.trim().toLowerCase() === wanted) hits.push(i);
  });
  if (hits.length > 1) {
    const label = wanted === '' ? 'an empty name' : `"${name}"`;
    throw new UsageError(`${source} line ${header.line}: ${hits.length} header fields have ${label}; expected one`);
  }
  return hits[0] ?? -1;
}

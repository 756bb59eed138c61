import { girderJson, girderPrettyJson } from './girder-json.js';

/** CherryPy splits a header's elements on commas outside double quotes. */
const ELEMENT_SPLIT = /,(?=(?:[^"]*"[^"]*")*[^"]*$)/;
/** CherryPy's `q_separator`: the first `;q=` starts the quality value. */
const Q_SEPARATOR = /; *q *=/;

interface AcceptElement {
  value: string;
  q: number;
  /** CherryPy's `str(element)`: the value followed by `;key=value` for each parameter. */
  text: string;
}

function parseElement(raw: string): AcceptElement | null {
  const qMatch = Q_SEPARATOR.exec(raw);
  const range = qMatch ? raw.slice(0, qMatch.index) : raw;
  const atoms = range.split(';').map((a) => a.trim()).filter((a) => a !== '');
  const value = atoms.shift() ?? '';
  let text = value;
  for (const atom of atoms) {
    const eq = atom.indexOf('=');
    text += eq < 0 ? `;${atom}=` : `;${atom.slice(0, eq).trim()}=${atom.slice(eq + 1).trim()}`;
  }
  let q = 1;
  if (qMatch) {
    const qPart = raw.slice(qMatch.index + qMatch[0].length).trim();
    const qText = (qPart.split(';')[0] ?? '').trim();
    // Python's float(): an unparsable quality is a malformed header (CherryPy answers 400);
    // we ignore the whole Accept header instead, which gives JSON.
    if (!/^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i.test(qText)) return null;
    q = Number(qText);
    text += `;q=${qPart}`;
  }
  return { value, q, text };
}

/**
 * Girder's `_createResponse` content negotiation (girder/girder: girder/api/rest.py): walk the
 * `Accept` elements in CherryPy's order — quality descending, ties in DESCENDING order of the
 * element text (`reversed(sorted(...))`) — and stop at the first that is exactly
 * `application/json` (JSON) or `text/html` (HTML). Anything else, or no header, gives JSON.
 * A quirk kept on purpose: `Accept: application/json, text/html` gets HTML, as on Girder.
 */
export function prefersHtml(accept: string | string[] | undefined): boolean {
  const header = Array.isArray(accept) ? accept.join(',') : accept;
  if (!header) return false;
  const elements: AcceptElement[] = [];
  for (const raw of header.split(ELEMENT_SPLIT)) {
    const element = parseElement(raw);
    if (element === null) return false;
    elements.push(element);
  }
  elements.sort((a, b) => (a.q !== b.q ? b.q - a.q : a.text < b.text ? 1 : a.text > b.text ? -1 : 0));
  for (const e of elements) {
    if (e.value === 'application/json') return false;
    if (e.value === 'text/html') return true;
  }
  return false;
}

/** Python's `html.escape` (quote=True). */
function htmlEscape(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#x27;');
}

/**
 * The body and Content-Type of a non-raw Girder answer (success or error): compact sorted JSON,
 * or for browsers the JSON pretty-printed with 4-space indents, HTML-escaped, spaces as
 * `&nbsp;`, newlines as `<br />`, in a monospace `<div>` (docs/protocols.md#girder-transport).
 */
export function girderResponseBody(value: unknown, accept: string | string[] | undefined): { contentType: string; body: Buffer } {
  if (!prefersHtml(accept)) return { contentType: 'application/json', body: Buffer.from(girderJson(value), 'utf8') };
  const pretty = htmlEscape(girderPrettyJson(value)).replace(/ /g, '&nbsp;').replace(/\n/g, '<br />');
  return { contentType: 'text/html', body: Buffer.from(`<div style="font-family:monospace;">${pretty}</div>`, 'utf8') };
}

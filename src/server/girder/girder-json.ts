/**
 * JSON exactly as Girder writes it: Python's `json.dumps(value, sort_keys=True, allow_nan=False)`
 * with the default separators (`", "` and `": "`) and `ensure_ascii=True`
 * (girder/girder: girder/api/rest.py `_createResponse`; docs/protocols.md#girder-transport).
 *
 * Numbers. Python keeps `int` and `float` apart (`40` vs `40.0`); JavaScript has one number type.
 * Our choice: a JS number that is an integer prints as a Python int (`40`), any other number as
 * Python's float repr (`0.000252`, `1e-05`, `1e+16`). Values that are floats on the real server
 * even when integral (large_image's `magnification`, `mm_x`, `mm_y`) are wrapped in `PyFloat`
 * and print as `40.0`. Annotation coordinates stay integers, as current large_image emits them.
 */

/** A number that Python would hold as a float, so that integral values print as `40.0`. */
export class PyFloat {
  constructor(readonly value: number) {}
}

export function pyFloat(value: number): PyFloat;
export function pyFloat(value: number | null): PyFloat | null;
export function pyFloat(value: number | null): PyFloat | null {
  return value === null ? null : new PyFloat(value);
}

/** Python's int str: exact decimal digits, however large. */
function intRepr(x: number): string {
  return BigInt(x).toString();
}

/** Python's float repr: shortest round-trip digits; fixed notation iff -4 <= exponent < 16. */
export function pythonFloatRepr(x: number): string {
  if (!Number.isFinite(x)) {
    // allow_nan=False: the real server fails the request with a 500.
    throw new RangeError(`Out of range float values are not JSON compliant: ${x}`);
  }
  if (x === 0) return Object.is(x, -0) ? '-0.0' : '0.0';
  const sign = x < 0 ? '-' : '';
  // toExponential() without an argument gives the shortest digits that round-trip.
  const [mantissa, expText] = Math.abs(x).toExponential().split('e') as [string, string];
  const digits = mantissa.replace('.', '');
  const exp = Number(expText);
  if (exp >= -4 && exp < 16) {
    if (exp < 0) return `${sign}0.${'0'.repeat(-exp - 1)}${digits}`;
    const intPart = digits.slice(0, exp + 1).padEnd(exp + 1, '0');
    const frac = digits.slice(exp + 1);
    return `${sign}${intPart}.${frac === '' ? '0' : frac}`;
  }
  const m = digits.length > 1 ? `${digits[0]}.${digits.slice(1)}` : digits;
  const e = Math.abs(exp).toString().padStart(2, '0');
  return `${sign}${m}e${exp < 0 ? '-' : '+'}${e}`;
}

/** Python's ensure_ascii string escaping: everything outside space..tilde becomes `\uXXXX`. */
export function pythonStringRepr(s: string): string {
  let out = '"';
  let runStart = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0x20 && c <= 0x7e && c !== 0x22 && c !== 0x5c) continue;
    out += s.slice(runStart, i);
    runStart = i + 1;
    switch (c) {
      case 0x22:
        out += '\\"';
        break;
      case 0x5c:
        out += '\\\\';
        break;
      case 0x0a:
        out += '\\n';
        break;
      case 0x0d:
        out += '\\r';
        break;
      case 0x09:
        out += '\\t';
        break;
      case 0x08:
        out += '\\b';
        break;
      case 0x0c:
        out += '\\f';
        break;
      default:
        // UTF-16 code units, so astral characters come out as surrogate pairs, as in Python.
        out += '\\u' + c.toString(16).padStart(4, '0');
    }
  }
  return out + s.slice(runStart) + '"';
}

/** Python compares str keys by code point; JS `<` compares UTF-16 units (differs above U+FFFF). */
export function compareCodePoints(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const ca = a.codePointAt(i) as number;
    const cb = b.codePointAt(i) as number;
    if (ca !== cb) return ca - cb;
    if (ca > 0xffff) i++;
  }
  return a.length - b.length;
}

/** Layout of the output: compact (`", "`, `": "`) or Python's `indent=4, separators=(',', ': ')`. */
interface Layout {
  indent: string | null;
  depth: number;
}

/** What goes between two members, and before the first / after the last one. */
function joints(layout: Layout): { open: string; between: string; close: string } {
  if (layout.indent === null) return { open: '', between: ', ', close: '' };
  const inner = '\n' + layout.indent.repeat(layout.depth + 1);
  return { open: inner, between: ',' + inner, close: '\n' + layout.indent.repeat(layout.depth) };
}

function encode(value: unknown, out: string[], layout: Layout): void {
  if (value === null || value === undefined) {
    out.push('null');
  } else if (typeof value === 'boolean') {
    out.push(value ? 'true' : 'false');
  } else if (typeof value === 'number') {
    out.push(Number.isInteger(value) ? intRepr(value) : pythonFloatRepr(value));
  } else if (typeof value === 'bigint') {
    out.push(value.toString());
  } else if (typeof value === 'string') {
    out.push(pythonStringRepr(value));
  } else if (value instanceof PyFloat) {
    out.push(pythonFloatRepr(value.value));
  } else if (Array.isArray(value)) {
    // Python writes empty containers as `[]` / `{}` even when indenting.
    if (value.length === 0) {
      out.push('[]');
      return;
    }
    const j = joints(layout);
    const inner = { indent: layout.indent, depth: layout.depth + 1 };
    out.push('[', j.open);
    value.forEach((v, i) => {
      if (i > 0) out.push(j.between);
      encode(v, out, inner);
    });
    out.push(j.close, ']');
  } else if (typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined);
    if (entries.length === 0) {
      out.push('{}');
      return;
    }
    entries.sort(([a], [b]) => compareCodePoints(a, b));
    const j = joints(layout);
    const inner = { indent: layout.indent, depth: layout.depth + 1 };
    out.push('{', j.open);
    entries.forEach(([k, v], i) => {
      if (i > 0) out.push(j.between);
      out.push(pythonStringRepr(k), ': ');
      encode(v, out, inner);
    });
    out.push(j.close, '}');
  } else {
    throw new TypeError(`girderJson: cannot encode a ${typeof value}`);
  }
}

/** Serialise like Girder's REST layer (sorted keys, Python separators, ASCII only). */
export function girderJson(value: unknown): string {
  const out: string[] = [];
  encode(value, out, { indent: null, depth: 0 });
  return out.join('');
}

/** Python's `json.dumps(value, indent=4, sort_keys=True, separators=(',', ': '))`. */
export function girderPrettyJson(value: unknown): string {
  const out: string[] = [];
  encode(value, out, { indent: '    ', depth: 0 });
  return out.join('');
}

// Girder parses numeric query parameters with Python's float(); the fake must accept and refuse
// exactly the same spellings. Kept on its own so that parameter parsers depend on nothing else.

/** Python's `float()`: decimal or exponent notation, inf/infinity/nan, surrounding spaces. */
export function parsePythonFloat(text: string): number | null {
  const t = text.trim().replace(/(?<=\d)_(?=\d)/g, '');
  if (/^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i.test(t)) return Number(t);
  const m = /^([+-]?)(inf|infinity|nan)$/i.exec(t);
  if (!m) return null;
  if ((m[2] as string).toLowerCase() === 'nan') return Number.NaN;
  return m[1] === '-' ? -Infinity : Infinity;
}

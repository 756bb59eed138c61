/** One CSV line (RFC 4180 quoting where needed), newline included. */
export function csvRow(fields: ReadonlyArray<string | number>): string {
  return `${fields.map((f) => (typeof f === 'string' && /[",\r\n]/.test(f) ? `"${f.replace(/"/g, '""')}"` : String(f))).join(',')}\n`;
}

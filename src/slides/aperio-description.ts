/**
 * Parser for the Aperio ImageDescription tag (docs/imaging.md#aperio-description).
 *
 * Shape: a header (one or more CR LF / LF separated lines, e.g.
 * `Aperio Image Library v11.2.1 \r\n46000x32914 [42673,5576 2220x2967] (240x240) JPEG/RGB Q=30`)
 * followed by `|`-separated `key = value` pairs. Keys repeat and vary in case
 * (`OriginalWidth` twice, `Originalheight` / `OriginalHeight`), so every pair is kept in file order.
 */

export interface AperioDescription {
  readonly isAperio: true;
  /** Header lines (the text before the first `|`), trimmed, empty lines dropped. */
  readonly header: readonly string[];
  /** Every `key = value` pair in file order, repeats included. Key and value are trimmed. */
  readonly pairs: readonly (readonly [key: string, value: string])[];
  /** Microns per base pixel (`MPP`), or null when absent or not a positive number. */
  readonly mpp: number | null;
  /** Objective power (`AppMag`), or null when absent or not a positive number. */
  readonly appMag: number | null;
}

export type ParsedDescription = AperioDescription | { readonly isAperio: false };

const NUMBER = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/;

function positiveNumber(text: string | undefined): number | null {
  if (text === undefined || !NUMBER.test(text)) return null;
  const n = Number(text);
  return Number.isFinite(n) && n > 0 ? n : null;
}

/** Parse an ImageDescription; anything that does not start with `Aperio` is `{ isAperio: false }`. */
export function parseAperioDescription(text: string | null | undefined): ParsedDescription {
  if (typeof text !== 'string') return { isAperio: false };
  // TIFF ASCII values end in NUL; geotiff sometimes keeps it.
  const clean = text.replace(/\0+$/u, '');
  if (!clean.trimStart().startsWith('Aperio')) return { isAperio: false };

  const segments = clean.split('|');
  const header = (segments[0] ?? '')
    .split(/\r?\n|\r/u)
    .map((line) => line.trim())
    .filter((line) => line.length > 0);

  const pairs: (readonly [string, string])[] = [];
  for (const segment of segments.slice(1)) {
    const at = segment.indexOf(' = ');
    // A segment without ` = ` is not a pair (never seen in Aperio files); skip it rather than guess.
    if (at < 0) continue;
    const key = segment.slice(0, at).trim();
    if (key.length === 0) continue;
    pairs.push([key, segment.slice(at + 3).trim()] as const);
  }

  const partial = { pairs };
  return {
    isAperio: true,
    header,
    pairs,
    mpp: positiveNumber(aperioValue(partial, 'MPP')),
    appMag: positiveNumber(aperioValue(partial, 'AppMag')),
  };
}

/**
 * Last-wins accessor: the value of the LAST pair whose key equals `key`
 * (exact case by default; `ignoreCase` also folds `Originalheight` into `OriginalHeight`).
 * Aperio writes the cut-from file's values first and the current file's values last,
 * so the last value describes the file at hand.
 */
export function aperioValue(
  desc: Pick<AperioDescription, 'pairs'>,
  key: string,
  options: { ignoreCase?: boolean } = {},
): string | undefined {
  const wanted = options.ignoreCase === true ? key.toLowerCase() : key;
  for (let i = desc.pairs.length - 1; i >= 0; i--) {
    const pair = desc.pairs[i];
    if (pair === undefined) continue;
    const k = options.ignoreCase === true ? pair[0].toLowerCase() : pair[0];
    if (k === wanted) return pair[1];
  }
  return undefined;
}

/** Every value of `key` in file order (exact case unless `ignoreCase`). */
export function aperioValues(
  desc: Pick<AperioDescription, 'pairs'>,
  key: string,
  options: { ignoreCase?: boolean } = {},
): string[] {
  const wanted = options.ignoreCase === true ? key.toLowerCase() : key;
  return desc.pairs
    .filter(([k]) => (options.ignoreCase === true ? k.toLowerCase() : k) === wanted)
    .map(([, v]) => v);
}

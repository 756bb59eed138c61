/**
 * Aperio-style ImageDescription text for files this project writes (the demo's slides). It follows
 * the shape real SVS files have (imaging-notes: header line, then `|key = value` pairs), so that
 * OpenSlide, large_image and our own parser (aperio-description.ts) read MPP and AppMag from it.
 */

export interface AperioDescriptionInput {
  /** Base (level 0) size. */
  width: number;
  height: number;
  tileSize: number;
  /** JPEG quality of the tiles, shown in the header like Aperio's `JPEG/RGB Q=70`. */
  quality: number;
  appMag: number;
  /** Microns per base pixel. */
  mpp: number;
  filename: string;
  /** For a reduced level or the thumbnail: its size (Aperio writes `W×H -> w×h`). */
  reducedTo?: { width: number; height: number };
}

const LIBRARY = 'Aperio Image Library v12.0.15 (bcss demo)';

/** Pair values may not contain the separators of the format. */
function safeValue(v: string): string {
  if (/[|\r\n]/u.test(v)) throw new RangeError(`Aperio description value ${JSON.stringify(v)} contains | or a line break`);
  return v;
}

export function formatAperioDescription(d: AperioDescriptionInput): string {
  const size = `${d.width}x${d.height}`;
  const codec = `JPEG/YCC Q=${d.quality}`;
  const line =
    d.reducedTo === undefined
      ? `${size} [0,0 ${size}] (${d.tileSize}x${d.tileSize}) ${codec}`
      : `${size} [0,0 ${size}] (${d.tileSize}x${d.tileSize}) -> ${d.reducedTo.width}x${d.reducedTo.height} ${codec}`;
  const pairs: [string, string][] = [
    ['AppMag', String(d.appMag)],
    ['StripeWidth', '2040'],
    ['ScanScope ID', 'BCSSDEMO'],
    ['Filename', d.filename.replace(/\.svs$/iu, '')],
    ['MPP', d.mpp.toFixed(4)],
    ['Left', '0.000000'],
    ['Top', '0.000000'],
    ['OriginalWidth', String(d.width)],
    ['OriginalHeight', String(d.height)],
  ];
  return `${LIBRARY} \r\n${line}|${pairs.map(([k, v]) => `${k} = ${safeValue(v)}`).join('|')}`;
}

/**
 * The gallery page, pure: one self-contained HTML file (inline CSS, no script, no CDN) that
 * works from file:// with relative links to the thumbnails and the full-size files.
 */
import { paletteHex, ZERO_CHECKER } from './class-palette.js';

export interface GalleryClass {
  code: number;
  name: string;
  group: string;
}

export interface GalleryCard {
  roi: string;
  site: string;
  baselineSplit: string;
  evaSplit: string;
  width: number;
  height: number;
  fileName: string;
  maskFileName: string;
  thumbWidth: number;
  thumbHeight: number;
  /** Paths relative to the gallery folder. */
  thumbs: { image: string; mask: string; overlay: string };
  /** Pixels per code 0..21. */
  counts: readonly number[];
}

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (ch) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[ch] as string);
}

/** Relative URL of a path made of plain segments (ROI file names contain no slashes). */
function href(path: string): string {
  return path.split('/').map(encodeURIComponent).join('/');
}

export function percent(part: number, whole: number): string {
  if (whole === 0 || part === 0) return '0%';
  const p = (100 * part) / whole;
  return p < 0.1 ? '<0.1%' : `${p.toFixed(1)}%`;
}

const rgb = (c: readonly number[]): string => `rgb(${c.join(',')})`;
// Code 0 is transparent in mask thumbnails; this checkerboard behind them (and in the legend)
// shows it as "nothing", unlike any class colour.
const CHECKER = `repeating-conic-gradient(${rgb(ZERO_CHECKER.dark)} 0 25%, ${rgb(ZERO_CHECKER.light)} 0 50%) 0 0/${2 * ZERO_CHECKER.cellPx}px ${2 * ZERO_CHECKER.cellPx}px`;

const CSS = `
body{font:14px/1.4 system-ui,sans-serif;margin:1.5em;background:#fafafa;color:#222}
h1{font-size:1.4em;margin:0 0 .3em}
.note{max-width:60em}
.legend{display:flex;flex-wrap:wrap;gap:.3em 1em;margin:1em 0;padding:0;list-style:none}
.legend li{display:flex;align-items:center;gap:.35em}
.sw{display:inline-block;width:1em;height:1em;border:1px solid #0003}
.sw.zero{background:${CHECKER}}
.cards{display:flex;flex-wrap:wrap;gap:1em}
.card{background:#fff;border:1px solid #ddd;border-radius:6px;padding:.8em;flex:1 1 30em;max-width:100%;box-sizing:border-box}
.card h2{font-size:1em;margin:0 0 .3em;font-family:monospace}
.meta{color:#555;margin:0 0 .5em}
/* One row of three, whatever the ROI's aspect: wide thumbnails shrink instead of wrapping. */
.thumbs{display:grid;grid-template-columns:repeat(3,minmax(0,1fr));gap:.5em;align-items:start}
figure{margin:0;min-width:0}
figcaption{font-size:.8em;color:#666}
img{display:block;max-width:100%;height:auto;background:#000;image-rendering:auto}
img.mask{image-rendering:pixelated;background:${CHECKER}}
.pct{columns:2;font-size:.85em;margin:.5em 0 0;padding-left:1.2em}
`;

export function renderGallery(cards: readonly GalleryCard[], classes: readonly GalleryClass[]): string {
  const legend = classes
    .map((c) =>
      c.code === 0
        ? `<li><span class="sw zero"></span>0 outside_roi (not a class; transparent, shown as this checkerboard, in masks; darkened in overlays)</li>`
        : `<li><span class="sw" style="background:${paletteHex(c.code)}"></span>${c.code} ${escapeHtml(c.name)} <small>(${escapeHtml(c.group)})</small></li>`,
    )
    .join('\n');
  const names = new Map(classes.map((c) => [c.code, c.name]));
  const body = cards.map((card) => renderCard(card, names)).join('\n');
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>BCSS gallery (${cards.length} ROIs)</title>
<style>${CSS}</style>
</head>
<body>
<h1>BCSS gallery: ${cards.length} ROIs</h1>
<p class="note">Each ROI shows the image, its label mask and an overlay in which pixels outside the ROI
(mask value 0, "don't care") are darkened. ROIs are rotated rectangles inside an axis-aligned crop, so
dark corners are expected. Percentages are of the pixels inside the ROI (mask &ne; 0).</p>
<ul class="legend">
${legend}
</ul>
<div class="cards">
${body}
</div>
</body>
</html>
`;
}

function renderCard(card: GalleryCard, names: ReadonlyMap<number, string>): string {
  const inside = card.counts.reduce((a, b, code) => (code === 0 ? a : a + b), 0);
  const total = card.width * card.height;
  const rows = card.counts
    .map((n, code) => ({ code, n }))
    .filter((r) => r.code !== 0 && r.n > 0)
    .sort((a, b) => b.n - a.n || a.code - b.code)
    .map((r) => `<li><span class="sw" style="background:${paletteHex(r.code)}"></span> ${escapeHtml(names.get(r.code) ?? String(r.code))}: ${percent(r.n, inside)}</li>`);
  const img = (src: string, alt: string, cls: string): string =>
    `<img class="${cls}" src="${href(src)}" width="${card.thumbWidth}" height="${card.thumbHeight}" alt="${escapeHtml(alt)}" loading="lazy">`;
  return `<section class="card" id="${escapeHtml(card.roi)}">
<h2>${escapeHtml(card.roi)}</h2>
<p class="meta">site ${escapeHtml(card.site)} &middot; baseline ${escapeHtml(card.baselineSplit)} &middot; eva ${escapeHtml(card.evaSplit)} &middot; ${card.width}&times;${card.height} px &middot; outside ROI ${percent(total - inside, total)}<br>
<a href="${href(`../images/${card.fileName}`)}">image</a> &middot; <a href="${href(`../masks/${card.maskFileName}`)}">mask</a> <small>${escapeHtml(card.fileName)}</small></p>
<div class="thumbs">
<figure>${img(card.thumbs.image, `${card.roi} image`, 'rgb')}<figcaption>image</figcaption></figure>
<figure>${img(card.thumbs.mask, `${card.roi} mask`, 'mask')}<figcaption>mask</figcaption></figure>
<figure>${img(card.thumbs.overlay, `${card.roi} overlay`, 'rgb')}<figcaption>overlay</figcaption></figure>
</div>
<ul class="pct">
${rows.join('\n')}
</ul>
</section>`;
}

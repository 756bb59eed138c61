/**
 * The reference client for S1-ref: how the authors' `download_crowdsource_dataset.py` works
 * (docs/dataset.md#the-original-script, docs/protocols.md#the-original-script-on-the-wire), so bcss is compared with the original's way on
 * the same server:
 *   - strictly one request at a time, no retry, no resume;
 *   - the slide list from `GET /item?folderId=…&limit=1000000`, keyed by the first 12 characters;
 *   - each region WITHOUT `encoding` (so the server's default JPEG), decoded and re-encoded as PNG;
 *   - each mask from its figshare `download_url` (redirect followed), decoded, nearest-neighbour
 *     resized to the image size (the scikit-image map, docs/imaging.md#nearest-neighbour-map) and saved as a PNG.
 * One deliberate difference: it asks for `mm_x=mm_y=<mpp/1000>` at full precision instead of the
 * original's `%.4f` (which turns 0.25 µm/px into 0.3), so both clients produce the same pixel
 * counts and the comparison measures the method, not a smaller image.
 *
 * Self-contained (node built-ins and sharp only): the bench transpiles it to plain JavaScript and
 * runs it as a child process under `/usr/bin/time`, like bcss, so CPU and RSS are comparable.
 *
 * Usage: reference-client --api-url URL --figshare-base URL --folder-id ID --rois FILE --out DIR [--mpp 0.25]
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import sharp from 'sharp';

export interface ReferenceOptions {
  apiUrl: string;
  /** Base of the figshare service that serves `/ndownloader/files/<id>`. */
  figshareBase: string;
  folderId: string;
  roisPath: string;
  outDir: string;
  mpp: number;
}

interface RoiRow {
  name: string;
  xmin: number;
  ymin: number;
  xmax: number;
  ymax: number;
  maskLink: string;
}

function parseRois(text: string): RoiRow[] {
  const rows: RoiRow[] = [];
  for (const line of text.split(/\r?\n/).slice(1)) {
    if (line.trim() === '') continue;
    const [name, xmin, ymin, xmax, ymax, maskLink] = line.split(',');
    if (name === undefined || maskLink === undefined) throw new Error(`reference client: bad ROI row ${JSON.stringify(line)}`);
    rows.push({ name, xmin: Number(xmin), ymin: Number(ymin), xmax: Number(xmax), ymax: Number(ymax), maskLink });
  }
  return rows;
}

async function get(url: string): Promise<Buffer> {
  const res = await fetch(url);
  if (!res.ok) throw new Error(`reference client: ${res.status} ${res.statusText} for ${url}`);
  return Buffer.from(await res.arrayBuffer());
}

/** scikit-image's order-0 resize index map along one axis (docs/imaging.md#nearest-neighbour-map). */
function nearestMap(inLen: number, outLen: number): Int32Array {
  const s = inLen / outLen;
  const map = new Int32Array(outLen);
  for (let d = 0; d < outLen; d++) map[d] = Math.min(inLen - 1, Math.floor((d + 0.5) * s));
  return map;
}

function resizeNearest(src: Buffer, w: number, h: number, outW: number, outH: number): Buffer {
  const xs = nearestMap(w, outW);
  const ys = nearestMap(h, outH);
  const out = Buffer.allocUnsafe(outW * outH);
  for (let y = 0; y < outH; y++) {
    const row = (ys[y] as number) * w;
    const o = y * outW;
    for (let x = 0; x < outW; x++) out[o + x] = src[row + (xs[x] as number)] as number;
  }
  return out;
}

export interface ReferenceJob {
  roi: string;
  /** Output file name (same naming as the original: `<ROI>_xmin<X>_ymin<Y>_MPP-0.2500.png`). */
  name: string;
  regionUrl: string;
  maskUrl: string;
}

/** The requests the reference makes, in order (the bench also uses them to warm the server up). */
export async function planReference(o: ReferenceOptions, fetchBytes: (url: string) => Promise<Buffer> = get): Promise<ReferenceJob[]> {
  const rois = parseRois(await readFile(o.roisPath, 'utf8'));
  const items = JSON.parse((await fetchBytes(`${o.apiUrl}/item?folderId=${o.folderId}&limit=1000000`)).toString('utf8')) as Array<{ _id: string; name: string }>;
  // The original keys slides by the first 12 characters of the item name (the TCGA case).
  const byCase = new Map<string, string>();
  for (const item of items) byCase.set(item.name.slice(0, 12), item._id);
  const mm = o.mpp / 1000;
  return rois.map((roi) => {
    const itemId = byCase.get(roi.name.slice(0, 12));
    if (itemId === undefined) throw new Error(`reference client: no slide for ${roi.name}`);
    const maskId = /\/files\/(\d+)/.exec(roi.maskLink)?.[1];
    if (maskId === undefined) throw new Error(`reference client: bad mask link ${roi.maskLink}`);
    const query = `left=${roi.xmin}&right=${roi.xmax}&top=${roi.ymin}&bottom=${roi.ymax}&mm_x=${mm}&mm_y=${mm}`;
    return {
      roi: roi.name,
      name: `${roi.name}_xmin${roi.xmin}_ymin${roi.ymin}_MPP-${o.mpp.toFixed(4)}.png`,
      regionUrl: `${o.apiUrl}/item/${itemId}/tiles/region?${query}`,
      maskUrl: `${o.figshareBase}/ndownloader/files/${maskId}`,
    };
  });
}

export async function runReference(o: ReferenceOptions): Promise<{ rois: number; bytes: number }> {
  let bytes = 0;
  const fetchCounted = async (url: string): Promise<Buffer> => {
    const b = await get(url);
    bytes += b.length;
    return b;
  };
  const jobs = await planReference(o, fetchCounted);
  await mkdir(join(o.outDir, 'images'), { recursive: true });
  await mkdir(join(o.outDir, 'masks'), { recursive: true });
  for (const job of jobs) {
    const jpeg = await fetchCounted(job.regionUrl);
    const { data: rgb, info } = await sharp(jpeg).removeAlpha().raw().toBuffer({ resolveWithObject: true });
    await writeFile(join(o.outDir, 'images', job.name), await sharp(rgb, { raw: { width: info.width, height: info.height, channels: info.channels } }).png().toBuffer());

    const maskPng = await fetchCounted(job.maskUrl);
    const mask = await sharp(maskPng).extractChannel(0).raw().toBuffer({ resolveWithObject: true });
    const resized = resizeNearest(mask.data, mask.info.width, mask.info.height, info.width, info.height);
    await writeFile(join(o.outDir, 'masks', job.name), await sharp(resized, { raw: { width: info.width, height: info.height, channels: 1 } }).png().toBuffer());
  }
  return { rois: jobs.length, bytes };
}

function parseArgs(argv: readonly string[]): ReferenceOptions {
  const value = (flag: string): string => {
    const i = argv.indexOf(flag);
    const v = i >= 0 ? argv[i + 1] : undefined;
    if (v === undefined) throw new Error(`reference client: missing ${flag}`);
    return v;
  };
  const mppIndex = argv.indexOf('--mpp');
  return {
    apiUrl: value('--api-url').replace(/\/+$/, ''),
    figshareBase: value('--figshare-base').replace(/\/+$/, ''),
    folderId: value('--folder-id'),
    roisPath: value('--rois'),
    outDir: value('--out'),
    mpp: mppIndex >= 0 ? Number(argv[mppIndex + 1]) : 0.25,
  };
}

// Run as a script (the transpiled .mjs the bench spawns), not when imported.
if (process.argv[1] !== undefined && /reference-client\.(m?js|ts)$/.test(process.argv[1])) {
  runReference(parseArgs(process.argv.slice(2))).then(
    (r) => process.stdout.write(`${JSON.stringify(r)}\n`),
    (err: unknown) => {
      process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
      process.exitCode = 1;
    },
  );
}

/**
 * Benchmark: 8-bit grey label-mask PNGs through bcss's own codec (src/image/grey-png.ts), sharp
 * (libvips) and fast-png. Masks are demo-dataset ROIs (annotation polygons rasterised as
 * HistomicsTK would: large uniform regions of class codes), at about 2,000² and 11,000² px.
 *
 *   node --import tsx bench/image-codecs.ts [--runs 3] [--sizes 2000,11000] [--ops decode-own,encode-sharp] [--dense]
 *
 * `--dense` adds small discs of random codes (one per 12,800 px²: cell-level annotations) over
 * the ROI: many more edges per row, the hard case for a run-length compressor.
 *
 * Every measurement runs in a fresh child process, so peak RSS is that operation's own: CPU is the
 * child's user + sys time of the operation (all threads, so libvips' and zlib's pool count too),
 * "+RSS" is the growth of the child's peak resident set over its peak once the input was loaded.
 * Reports medians; no assertions (speed and memory belong here, not in tests).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

type Op = 'encode-own' | 'encode-sharp' | 'decode-own' | 'decode-own-rows' | 'decode-sharp' | 'decode-fastpng';
const OPS: Op[] = ['encode-own', 'encode-sharp', 'decode-own', 'decode-own-rows', 'decode-sharp', 'decode-fastpng'];

interface Sample {
  cpuMs: number;
  wallMs: number;
  rssMiB: number;
  peakRssMiB: number;
  bytes: number;
}

const maxRssMiB = (): number => process.resourceUsage().maxRSS / 1024;

/** One operation on the prepared input, in this (child) process; prints a Sample as JSON. */
async function child(op: Op, dir: string): Promise<void> {
  const meta = JSON.parse(readFileSync(join(dir, 'meta.json'), 'utf8')) as { width: number; height: number };
  const own = await import('../src/image/grey-png.js');
  const api = await import('../src/image/label-png.js');
  const sharp = (await import('sharp')).default;
  sharp.cache(false);
  const { decode } = await import('fast-png');
  const input = op.startsWith('encode') ? new Uint8Array(readFileSync(join(dir, 'mask.raw'))) : readFileSync(join(dir, 'mask.png'));
  const rss0 = maxRssMiB();
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  let bytes: number;
  if (op === 'encode-own') bytes = (await own.encodeGrey(input, meta.width, meta.height)).length;
  else if (op === 'encode-sharp') {
    const png = await sharp(input, { raw: { width: meta.width, height: meta.height, channels: 1 }, limitInputPixels: false })
      .toColourspace('b-w')
      .png()
      .toBuffer();
    bytes = png.length;
  } else if (op === 'decode-own') {
    // decodeGreyPng: packed rows, as prepare and verify read masks.
    bytes = (await api.decodeGreyPng(input)).data.length;
  } else if (op === 'decode-own-rows') {
    // As the mask step uses it: the decoder's scanline layout, no packed copy.
    const lines = await own.decodeGreyScanlines(input, 'bench');
    bytes = lines.width * lines.height;
  } else if (op === 'decode-sharp') {
    bytes = (await sharp(input, { limitInputPixels: false }).extractChannel(0).raw().toBuffer()).length;
  } else {
    bytes = decode(input).data.length;
  }
  const wallMs = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  const peak = maxRssMiB();
  const s: Sample = { cpuMs: (cpu.user + cpu.system) / 1000, wallMs, rssMiB: peak - rss0, peakRssMiB: peak, bytes };
  process.stdout.write(JSON.stringify(s));
}

/** A demo ROI's label mask of about `side`² px, as raw bytes and as a PNG written by sharp. */
async function prepare(side: number, dir: string, dense: boolean): Promise<{ width: number; height: number; nonZero: number }> {
  const { demoElements } = await import('../src/server/demo/demo-annotation.js');
  const { rasteriseRoi } = await import('../src/geometry/rasterise.js');
  const { gtCodes } = await import('../src/catalog/index.js');
  const sharp = (await import('sharp')).default;
  const bounds = { xmin: 20000, ymin: 30000, xmax: 20000 + side + 1, ymax: 30000 + side + 1 };
  const elements = demoElements({ seed: 1, scale: 1, roiName: 'TCGA-A1-A0SK-DX1', bounds, itemId: 'a'.repeat(24), creatorId: 'b'.repeat(24) });
  const mask = rasteriseRoi(elements, { gtCodes: gtCodes() });
  const px = mask.data;
  if (dense) sprinkleDiscs(px, mask.width, mask.height);
  writeFileSync(join(dir, 'mask.raw'), px);
  // The decoders read a PNG as another program writes it: libvips' default (adaptive row filters).
  const png = await sharp(px, { raw: { width: mask.width, height: mask.height, channels: 1 }, limitInputPixels: false })
    .toColourspace('b-w')
    .png()
    .toBuffer();
  writeFileSync(join(dir, 'mask.png'), png);
  writeFileSync(join(dir, 'meta.json'), JSON.stringify({ width: mask.width, height: mask.height }));
  let nonZero = 0;
  for (const v of px) if (v !== 0) nonZero++;
  return { width: mask.width, height: mask.height, nonZero };
}

/** Discs of radius 2–12 px and random codes 1..21, deterministic. */
function sprinkleDiscs(px: Uint8Array, w: number, h: number): void {
  let seed = 12345;
  const rnd = (): number => {
    seed = (seed * 1103515245 + 12345) >>> 0;
    return seed / 2 ** 32;
  };
  for (let n = Math.floor((w * h) / 200 / 64); n > 0; n--) {
    const cx = Math.floor(rnd() * w);
    const cy = Math.floor(rnd() * h);
    const r = 2 + Math.floor(rnd() * 11);
    const v = 1 + Math.floor(rnd() * 21);
    for (let y = Math.max(0, cy - r); y <= Math.min(h - 1, cy + r); y++) {
      for (let x = Math.max(0, cx - r); x <= Math.min(w - 1, cx + r); x++) if ((x - cx) ** 2 + (y - cy) ** 2 <= r * r) px[y * w + x] = v;
    }
  }
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  if (args[0] === '--child') return child(args[1] as Op, args[2] as string);
  const opt = (name: string, dflt: string): string => {
    const i = args.indexOf(name);
    return i >= 0 ? (args[i + 1] ?? dflt) : dflt;
  };
  const runs = Number(opt('--runs', '3'));
  const sizes = opt('--sizes', '2000,11000').split(',').map(Number);
  const dense = args.includes('--dense');
  const ops = opt('--ops', OPS.join(',')).split(',') as Op[];
  const unknown = ops.filter((o) => !OPS.includes(o));
  if (unknown.length > 0) throw new Error(`unknown --ops ${unknown.join(', ')}; known: ${OPS.join(', ')}`);
  const self = fileURLToPath(import.meta.url);
  console.log('| mask | operation | CPU ms | wall ms | +RSS MiB | peak RSS MiB | output bytes |');
  console.log('|---|---|--:|--:|--:|--:|--:|');
  for (const side of sizes) {
    const dir = mkdtempSync(join(tmpdir(), 'bcss-image-bench-'));
    try {
      const info = await prepare(side, dir, dense);
      const label = `${info.width}×${info.height}${dense ? ' dense' : ''} (${((100 * info.nonZero) / (info.width * info.height)).toFixed(0)} % labelled)`;
      for (const op of ops) {
        const samples: Sample[] = [];
        for (let r = 0; r < runs; r++) {
          const out = execFileSync(process.execPath, ['--import', 'tsx', self, '--child', op, dir], { encoding: 'utf8', maxBuffer: 1 << 20 });
          samples.push(JSON.parse(out) as Sample);
        }
        const m = (k: keyof Sample): number => median(samples.map((s) => s[k]));
        console.log(
          `| ${label} | ${op} | ${m('cpuMs').toFixed(0)} | ${m('wallMs').toFixed(0)} | ${m('rssMiB').toFixed(0)} | ${m('peakRssMiB').toFixed(0)} | ${m('bytes')} |`,
        );
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
}

await main();

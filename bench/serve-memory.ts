/**
 * `npm run drill:serve-memory`: the server-memory drill of issue 9 item 7 (too slow for the suite).
 *
 *   npm run drill:serve-memory -- [--requests 20] [--seconds 40] [--pixels 260000000]
 *                                 [--encoding JPEG] [--read-kbps 256] [--render-memory-mb N] [--json]
 *
 * Starts `bcss serve --demo` (from source, one slide at full size) as a child process, opens
 * `--requests` tiles/region requests of about `--pixels` output pixels each (near the default
 * --max-region-pixels) whose readers take `--read-kbps` KiB/s each, and meanwhile asks for a small
 * region (256 × 256) every 250 ms. Reports the server's peak RSS (VmHWM and sampled VmRSS from
 * /proc, so Linux only) and the small requests' latencies. Exit 1 when peak RSS ≥ 1.5 GB or the
 * median small-request time ≥ 100 ms.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFile, mkdtemp, rm } from 'node:fs/promises';
import { get as httpGet, type ClientRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { SOURCE_CLI } from '../test/helpers/harness/drill-client.js';
import { cleanEnv } from '../test/helpers/harness/repo.js';

const RSS_LIMIT = 1.5e9;
const SMALL_LIMIT_MS = 100;

async function procStatus(pid: number): Promise<{ rss: number; hwm: number }> {
  const text = await readFile(`/proc/${pid}/status`, 'utf8');
  const kb = (name: string): number => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(text)?.[1] ?? 0) * 1024;
  return { rss: kb('VmRSS'), hwm: kb('VmHWM') };
}

function startServer(args: string[], cacheDir: string): Promise<{ child: ChildProcess; girder: string }> {
  const child = spawn(SOURCE_CLI.command, [...SOURCE_CLI.prefixArgs, 'serve', '--demo', '--slides', 'A1-A0SK', '--cache-dir', cacheDir, '--json', ...args], {
    env: cleanEnv(),
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout?.on('data', (b: Buffer) => {
      out += b.toString();
      const nl = out.indexOf('\n');
      if (nl >= 0) resolve({ child, girder: (JSON.parse(out.slice(0, nl)) as { girder: string }).girder });
    });
    child.once('exit', (code) => reject(new Error(`bcss serve exited early (${code})`)));
  });
}

/** A reader that takes `kbps` KiB/s: it pauses the response between chunks. */
function slowRead(url: string, kbps: number, stats: { bytes: number; done: number; failed: number }): ClientRequest {
  const req = httpGet(url, (res) => {
    res.on('data', (chunk: Buffer) => {
      stats.bytes += chunk.length;
      res.pause();
      setTimeout(() => res.resume(), (chunk.length / (kbps * 1024)) * 1000);
    });
    res.on('end', () => (stats.done += 1));
    res.on('error', () => (stats.failed += 1));
  });
  req.on('error', () => undefined);
  return req;
}

/** A small request's time; one that takes over 10 s counts as 10 s with status 0. */
async function timedGet(url: string): Promise<{ ms: number; status: number }> {
  const t0 = performance.now();
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(10_000) });
    await res.arrayBuffer();
    return { ms: performance.now() - t0, status: res.status };
  } catch {
    return { ms: performance.now() - t0, status: 0 };
  }
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? NaN : ((s[(s.length - 1) >> 1] as number) + (s[s.length >> 1] as number)) / 2;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      requests: { type: 'string', default: '20' },
      seconds: { type: 'string', default: '40' },
      pixels: { type: 'string', default: '260000000' },
      encoding: { type: 'string', default: 'JPEG' },
      'read-kbps': { type: 'string', default: '256' },
      'render-memory-mb': { type: 'string' },
      json: { type: 'boolean', default: false },
    },
  });
  const cacheDir = await mkdtemp(join(tmpdir(), 'bcss-serve-memory-'));
  const extra = values['render-memory-mb'] === undefined ? [] : ['--render-memory-mb', values['render-memory-mb']];
  const { child, girder } = await startServer(extra, cacheDir);
  const pid = child.pid as number;
  const readers: ClientRequest[] = [];
  try {
    const items = (await (await fetch(`${girder}/item?text=A1-A0SK&limit=1`)).json()) as Array<{ _id: string }>;
    const itemId = items[0]?._id as string;
    const tiles = (await (await fetch(`${girder}/item/${itemId}/tiles`)).json()) as { sizeX: number; sizeY: number };
    const side = Math.floor(Math.sqrt(Number(values.pixels)));
    const w = Math.min(side, tiles.sizeX);
    const h = Math.min(Math.floor(Number(values.pixels) / w), tiles.sizeY);
    const region = (left: number, top: number, rw: number, rh: number): string =>
      `${girder}/item/${itemId}/tiles/region?left=${left}&top=${top}&right=${left + rw}&bottom=${top + rh}&encoding=${values.encoding}`;
    const small = region(0, 0, 256, 256);
    await timedGet(small); // warm the slide source
    const idle = await procStatus(pid);

    const stats = { bytes: 0, done: 0, failed: 0 };
    const n = Number(values.requests);
    for (let i = 0; i < n; i++) {
      // Different offsets, so no two requests share a cached answer.
      readers.push(slowRead(region(i * 7, i * 5, w, h), Number(values['read-kbps']), stats));
    }
    const latencies: number[] = [];
    let smallFailed = 0;
    const start = performance.now();
    let peakRss = idle.rss;
    const end = performance.now() + Number(values.seconds) * 1000;
    let nextSmall = performance.now() + 2000;
    while (performance.now() < end) {
      await new Promise((r) => setTimeout(r, 100));
      peakRss = Math.max(peakRss, (await procStatus(pid)).rss);
      if (performance.now() >= nextSmall) {
        nextSmall += 250;
        const r = await timedGet(small);
        if (r.status !== 200) smallFailed += 1;
        latencies.push(r.ms);
        if (latencies.length % 40 === 0) {
          process.stderr.write(`t=${((performance.now() - start) / 1000).toFixed(0)}s peak rss=${(peakRss / 1e6).toFixed(0)}MB big bytes read=${stats.bytes}\n`);
        }
      }
    }
    const final = await procStatus(pid);
    const result = {
      requests: n,
      outputPixels: w * h,
      size: `${w}x${h}`,
      encoding: values.encoding,
      readKiBps: Number(values['read-kbps']),
      seconds: Number(values.seconds),
      renderMemoryMb: values['render-memory-mb'] ?? 'default',
      idleRssMB: Math.round(idle.rss / 1e6),
      peakRssMB: Math.round(Math.max(peakRss, final.hwm) / 1e6),
      smallRequests: latencies.length,
      smallFailed,
      smallMedianMs: Math.round(median(latencies) * 10) / 10,
      smallP95Ms: Math.round(([...latencies].sort((a, b) => a - b)[Math.floor(latencies.length * 0.95)] ?? NaN) * 10) / 10,
      smallMaxMs: Math.round(Math.max(...latencies) * 10) / 10,
      bytesReadByBigReaders: stats.bytes,
      bigFinished: stats.done,
    };
    const ok = result.peakRssMB * 1e6 < RSS_LIMIT && result.smallMedianMs < SMALL_LIMIT_MS && smallFailed === 0;
    if (values.json) process.stdout.write(`${JSON.stringify({ ...result, ok })}\n`);
    else {
      for (const [k, v] of Object.entries(result)) process.stdout.write(`${k.padEnd(22)} ${String(v)}\n`);
      process.stdout.write(`${ok ? 'PASS' : 'FAIL'}: peak RSS < 1.5 GB and median small request < 100 ms\n`);
    }
    process.exitCode = ok ? 0 : 1;
  } finally {
    for (const r of readers) r.destroy();
    // Encodes still running in libvips threads would hold a gentle stop for minutes.
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGINT');
    const grace = setTimeout(() => child.kill('SIGKILL'), 3000);
    await exited;
    clearTimeout(grace);
    await rm(cacheDir, { recursive: true, force: true });
  }
}

await main();

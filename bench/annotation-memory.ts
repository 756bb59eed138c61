/**
 * Drill for issue 9 item 6: the client's peak RSS while it downloads and checks annotation
 * documents of any size stays ≤ 300 MB.
 *
 *   node --import tsx bench/annotation-memory.ts [--mb 500] [--parallel 1] [--json]
 *
 * The parent serves a valid annotation answer of about `--mb` MB, generated on the fly (four
 * documents of polygons whose `_elementQuery.returned` matches), and runs the client in a child
 * process: the transfer engine's `download` with the streaming shape check, exactly as the
 * annotations step calls it, `--parallel` downloads at once. The child reports its own peak RSS
 * (`process.resourceUsage().maxRSS`); the drill fails (exit 1) above the 300 MB budget.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { AnnotationShapeCheck } from '../src/pipeline/annotation-shape.js';
import { createTransfer } from '../src/transfer/create-transfer.js';

const BUDGET_MB = 300;
const DOCS = 4;

function element(i: number): string {
  const points = Array.from({ length: 40 }, (_, k) => `[${(i * 7 + k * 13) % 90000},${(i * 11 + k * 17) % 70000},0]`).join(',');
  return `{"type":"polyline","closed":true,"group":"mostly_tumor","lineColor":"rgb(255,0,0)","points":[${points}]}`;
}

/** Writes a valid answer of about `bytes` bytes, honouring backpressure. */
function serveDocument(res: ServerResponse, bytes: number): void {
  const sample = element(1).length + 1;
  const perDoc = Math.max(1, Math.floor(bytes / DOCS / sample));
  res.writeHead(200, { 'content-type': 'application/json' });
  let doc = 0;
  let el = 0;
  let opened = false;
  const pump = (): void => {
    while (doc < DOCS) {
      let piece = '';
      if (!opened) {
        piece += `${doc === 0 ? '[' : ','}{"_id":"${String(doc).padStart(24, '0')}","annotation":{"name":"doc ${doc}","elements":[`;
        opened = true;
      }
      const batch: string[] = [];
      for (let n = 0; n < 200 && el < perDoc; n++, el++) batch.push(element(el));
      piece += (el - batch.length > 0 && batch.length > 0 ? ',' : '') + batch.join(',');
      if (el >= perDoc) {
        piece += `]},"_elementQuery":{"count":${perDoc},"returned":${perDoc}}}`;
        doc++;
        el = 0;
        opened = false;
        if (doc === DOCS) piece += ']';
      }
      if (!res.write(piece)) {
        res.once('drain', pump);
        return;
      }
    }
    res.end();
  };
  pump();
}

async function client(url: string, parallel: number, maxMb: number): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'bcss-annot-mem-'));
  try {
    const transfer = createTransfer({ lanes: {}, maxRetries: 0, maxJsonBytes: 512 * 1024 * 1024 });
    const started = Date.now();
    const stored = await Promise.all(
      Array.from({ length: parallel }, (_, i) =>
        transfer.download({
          url,
          lane: 'dsa',
          destPath: join(dir, `a${i}.json`),
          sniff: 'json',
          maxBytes: maxMb * 1024 * 1024,
          maxBytesReason: 'drill',
          inspect: () => new AnnotationShapeCheck(`drill ${i}`),
        }),
      ),
    );
    const sizes = await Promise.all(stored.map((s) => stat(s.path).then((st) => st.size)));
    const peakMb = process.resourceUsage().maxRSS / 1024;
    process.stdout.write(`${JSON.stringify({ peakRssMb: Math.round(peakMb), bytes: sizes, seconds: (Date.now() - started) / 1000 })}\n`);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { mb: { type: 'string', default: '500' }, parallel: { type: 'string', default: '1' }, client: { type: 'string' }, json: { type: 'boolean', default: false } },
  });
  const mb = Number(values.mb);
  const parallel = Number(values.parallel);
  if (values.client !== undefined) return client(values.client, parallel, mb * 2 + 16);
  const server = createServer((_req, res) => serveDocument(res, mb * 1024 * 1024));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/annotation/item/x`;
  const self = fileURLToPath(import.meta.url);
  // Asynchronous: this process's server must keep serving while the client runs.
  const child = await new Promise<{ status: number | null; stdout: string }>((resolve) => {
    const p = spawn(process.execPath, ['--import', 'tsx', self, '--client', url, '--mb', String(mb), '--parallel', String(parallel)], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    p.stdout.on('data', (c: Buffer) => (out += c.toString()));
    p.on('close', (status) => resolve({ status, stdout: out }));
  });
  server.closeAllConnections();
  server.close();
  if (child.status !== 0) throw new Error(`the client failed (exit ${String(child.status)})`);
  const result = JSON.parse(child.stdout) as { peakRssMb: number; bytes: number[]; seconds: number };
  const ok = result.peakRssMb <= BUDGET_MB;
  if (values.json) process.stdout.write(`${JSON.stringify({ ...result, budgetMb: BUDGET_MB, ok })}\n`);
  else {
    const total = result.bytes.reduce((a, b) => a + b, 0) / 1048576;
    process.stdout.write(`annotations: ${parallel} × ${Math.round(total / parallel)} MB checked in ${result.seconds.toFixed(1)} s; client peak RSS ${result.peakRssMb} MB (budget ${BUDGET_MB} MB): ${ok ? 'ok' : 'OVER BUDGET'}\n`);
  }
  if (!ok) process.exitCode = 1;
}

await main();

#!/usr/bin/env node
// The README's demo: start the embedded demo server (DSA + figshare + GDC on
// 127.0.0.1), download the whole dataset from it with every component, then
// verify the result offline. Nothing leaves this machine.
//
//   npm run demo                      all 151 ROIs at scale 0.1 into ./demo-output
//   npm run demo -- --scale 0.05 --out /tmp/bcss-demo
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const bin = join(root, 'bin', 'bcss.js');
const args = process.argv.slice(2);
const opt = (name, fallback) => {
  const i = args.indexOf(name);
  return i >= 0 && args[i + 1] !== undefined ? args[i + 1] : fallback;
};
const scale = opt('--scale', '0.1');
const out = resolve(opt('--out', join(root, 'demo-output')));
const cacheDir = resolve(opt('--cache-dir', join(root, '.bcss-cache')));

if (!existsSync(join(root, 'dist', 'cli', 'main.js'))) {
  console.log('building (tsc)...');
  const b = spawnSync('npm', ['run', 'build'], { cwd: root, stdio: 'inherit' });
  if (b.status !== 0) process.exit(b.status ?? 1);
}

console.log(`starting the demo server (scale ${scale})...`);
const server = spawn(process.execPath, [bin, 'serve', '--demo', '--port', '0', '--scale', scale, '--cache-dir', cacheDir], {
  stdio: ['ignore', 'pipe', 'inherit'],
});
const urls = {};
const rl = createInterface({ input: server.stdout });
await new Promise((resolveReady, reject) => {
  server.once('exit', (code) => reject(new Error(`demo server exited early with code ${code}`)));
  rl.on('line', (line) => {
    const m = /^(girder|figshare|gdc|rois) (.+)$/.exec(line.trim());
    if (m) urls[m[1]] = m[2];
    if (urls.girder && urls.figshare && urls.gdc && urls.rois) resolveReady();
  });
});
console.log(`  girder   ${urls.girder}\n  figshare ${urls.figshare}\n  gdc      ${urls.gdc}\n  rois     ${urls.rois}`);

const run = (argv) =>
  new Promise((resolveRun) => {
    const child = spawn(process.execPath, [bin, ...argv], { stdio: 'inherit' });
    child.on('exit', (code) => resolveRun(code ?? 1));
  });

let code = await run([
  'download',
  '--out', out,
  '--components', 'all',
  '--api-url', urls.girder,
  '--figshare-url', urls.figshare,
  '--gdc-url', urls.gdc,
  '--rois', urls.rois,
  // Our own local server: figshare's 1 request/s politeness rule is for figshare.
  '--figshare-interval', '0',
]);
if (code === 0) code = await run(['verify', '--out', out]);
server.kill('SIGTERM');
console.log(code === 0 ? `\ndemo complete: the dataset is in ${out}` : `\ndemo failed with exit code ${code}`);
process.exit(code);

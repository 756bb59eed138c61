// Issue 8 item 5: what `bcss download --help` tells about the files is what they are.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { main } from '../../src/cli/main.js';
import { fakeContext } from '../helpers/cli-context.js';

async function help(args: string[]): Promise<string> {
  const f = fakeContext({}, { columns: 200 });
  await main(['node', 'bcss', ...args, '--help'], f.ctx);
  return f.stdout();
}

test('download --help: images are the DSA PNG (RGBA when resampled), and every generated file is listed', async () => {
  const text = await help(['download']);
  assert.doesNotMatch(text, /lossless RGB at/);
  assert.match(text, /RGBA with alpha 255 when the server resampled/);
  assert.match(text, /RGB at --base/);
  for (const name of ['download_wsis.sh', 'download_wsis_gdc.sh', 'gdc_manifest.txt', 'bcss.lease', 'bcss.lock.journal', 'logs/']) {
    assert.ok(text.includes(name), name);
  }
  assert.match(text, /--replace/);
});

test("the README's output tree lists the same files and says what the images are", async () => {
  const readme = await readFile(new URL('../../README.md', import.meta.url), 'utf8');
  for (const name of ['OUT/wsis/download_wsis_gdc.sh', 'OUT/bcss.lease', 'OUT/bcss.lock.journal']) assert.ok(readme.includes(name), name);
  assert.match(readme, /RGBA with alpha 255 when the server\s+resampled/);
});

test('verify --help has examples and names the new problems', async () => {
  const text = await help(['verify']);
  assert.match(text, /Examples:\n {2}bcss verify/);
  assert.match(text, /incomplete download/);
});

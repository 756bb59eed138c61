import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import sharp from 'sharp';
import { sha256Hex } from '../../src/pipeline/hash-file.js';
import { LOCK_FILE_NAME, LockStore, type LockEntry } from '../../src/pipeline/lock-file.js';
import { encodeGreyPng } from '../../src/image/label-png.js';
import { runVerify } from '../../src/pipeline/verify.js';

async function put(dir: string, rel: string, data: Buffer, kind: LockEntry['kind'], size?: { width: number; height: number }): Promise<LockEntry> {
  await mkdir(join(dir, rel, '..'), { recursive: true });
  await writeFile(join(dir, rel), data);
  return {
    id: rel,
    kind,
    path: rel,
    bytes: data.length,
    sha256: sha256Hex(data),
    mtimeMs: (await stat(join(dir, rel))).mtimeMs,
    source: { url: null, params: {} },
    ...(size ?? {}),
    status: 'done',
    completed: 'x',
  };
}

async function rgbPng(width: number, height: number): Promise<Buffer> {
  return sharp(Buffer.alloc(width * height * 3, 90), { raw: { width, height, channels: 3 } }).png().toBuffer();
}

describe('runVerify', () => {
  test('no lock: not ok, says to download first', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'bcss-verify-'));
    try {
      const r = await runVerify({ outDir: dir });
      assert.equal(r.ok, false);
      assert.deepEqual(r.issues.map((i) => i.problem), ['missing']);
      assert.match(r.issues[0]!.detail, /bcss download/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  test('reports missing, extra, size-mismatch and bad-values; ignores logs, the lock and the lease', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'bcss-verify-'));
    try {
      const name = 'TCGA-A1-A0SK-DX1_xmin1_ymin2_MPP-0.2500.png';
      const entries = [
        await put(dir, `images/${name}`, await rgbPng(8, 6), 'images', { width: 8, height: 6 }),
        // Mask one pixel narrower than its image, with a value that is not a class code.
        await put(dir, `masks/${name}`, await encodeGreyPng(Uint8Array.from({ length: 7 * 6 }, (_, i) => (i === 3 ? 30 : 1)), 7, 6), 'masks', { width: 7, height: 6 }),
        await put(dir, 'images/gone.png', await rgbPng(2, 2), 'images', { width: 2, height: 2 }),
        await put(dir, 'meta/splits.csv', Buffer.from('roi,site\n'), 'meta'),
      ];
      const store = new LockStore({
        outDir: dir,
        previous: null,
        toolVersion: '1',
        options: { resolution: { kind: 'base' }, encoding: 'png', maskAlign: 'resize', roiTableSha256: 'x', rois: 1, components: ['images'] },
      });
      for (const e of entries) await store.set(e);
      await store.flush();
      await rm(join(dir, 'images/gone.png'));
      await writeFile(join(dir, 'images/stray.png'), 'x');
      await mkdir(join(dir, 'logs'));
      await writeFile(join(dir, 'logs/run.log'), 'x');
      await writeFile(join(dir, 'bcss.lease'), '{}');
      await writeFile(join(dir, `${LOCK_FILE_NAME}.corrupt-1`), 'x');
      const r = await runVerify({ outDir: dir });
      assert.equal(r.ok, false);
      assert.equal(r.checked, 4);
      assert.deepEqual(
        r.issues.map((i) => [i.path, i.problem]),
        [
          ['images/gone.png', 'missing'],
          ['images/stray.png', 'extra'],
          [`masks/${name}`, 'size-mismatch'],
          [`masks/${name}`, 'bad-values'],
        ],
      );
      assert.match(r.issues[2]!.detail, /mask 7×6 px, image .* 8×6 px/);
      assert.match(r.issues[3]!.detail, /values 30 /);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, readdir, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { DiskError } from '../../src/errors.js';
import { TEMP_FILE_PATTERN, removeStaleTempFiles, tempPathFor, writeFileAtomic } from '../../src/storage/atomic-file.js';
import { toDiskError } from '../../src/storage/disk-error.js';
import { rejectionOf } from '../transfer/helpers.js';

let root = '';
before(async () => {
  root = await mkdtemp(join(tmpdir(), 'bcss-atomic-'));
});
after(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('writeFileAtomic', () => {
  test('creates missing folders, writes, overwrites and leaves no temp file', async () => {
    const path = join(root, 'a', 'b', 'bcss.lock.json');
    await writeFileAtomic(path, '{"v":1}\n');
    assert.equal(await readFile(path, 'utf8'), '{"v":1}\n');
    await writeFileAtomic(path, new Uint8Array([1, 2, 3]));
    assert.deepEqual([...(await readFile(path))], [1, 2, 3]);
    assert.deepEqual(await readdir(join(root, 'a', 'b')), ['bcss.lock.json']);
  });

  test('a path under a regular file is a DiskError that says what to do', async () => {
    await writeFile(join(root, 'plain'), 'x');
    const err = await rejectionOf(writeFileAtomic(join(root, 'plain', 'x.json'), '{}'));
    assert.ok(err instanceof DiskError);
    assert.match(err.message, /cannot create folder .*plain.*(ENOTDIR|EEXIST)/);
  });

  test('a path that is a folder is a DiskError and no temp file stays behind', async () => {
    const dir = join(root, 'blocked');
    await mkdir(join(dir, 'target'), { recursive: true });
    const err = await rejectionOf(writeFileAtomic(join(dir, 'target'), 'x'));
    assert.ok(err instanceof DiskError);
    assert.deepEqual(await readdir(dir), ['target']);
  });
});

describe('tempPathFor', () => {
  test('names temp files in the destination folder, recognisably', () => {
    const t = tempPathFor('/out/images/TCGA-A1.png');
    assert.match(t, /^\/out\/images\/\.TCGA-A1\.png\.[0-9a-f]{16}\.part$/);
    assert.ok(TEMP_FILE_PATTERN.test(t.split('/').pop() as string));
    assert.notEqual(t, tempPathFor('/out/images/TCGA-A1.png'));
  });
});

describe('removeStaleTempFiles', () => {
  test('removes old .part files at any depth and keeps fresh ones and real files', async () => {
    const dir = join(root, 'out');
    await mkdir(join(dir, 'masks'), { recursive: true });
    const oldTop = join(dir, '.bcss.lock.json.0123456789abcdef.part');
    const oldNested = join(dir, 'masks', '.m.png.fedcba9876543210.part');
    const fresh = join(dir, 'masks', '.n.png.00112233445566ff.part');
    const real = join(dir, 'masks', 'm.png');
    const lookalike = join(dir, 'notes.part');
    for (const p of [oldTop, oldNested, fresh, real, lookalike]) await writeFile(p, 'x');
    const now = Date.now();
    const hourAgo = new Date(now - 3_600_000);
    for (const p of [oldTop, oldNested, real, lookalike]) await utimes(p, hourAgo, hourAgo);
    const removed = await removeStaleTempFiles(dir, 600_000, () => now);
    assert.deepEqual(removed.sort(), [oldTop, oldNested].sort());
    assert.deepEqual((await readdir(join(dir, 'masks'))).sort(), ['.n.png.00112233445566ff.part', 'm.png']);
    assert.deepEqual((await readdir(dir)).sort(), ['masks', 'notes.part']);
  });

  test('a missing folder is not an error', async () => {
    assert.deepEqual(await removeStaleTempFiles(join(root, 'nope'), 0), []);
  });
});

describe('toDiskError', () => {
  test('explains a full disk and a permission problem, keeping the cause', () => {
    const full = Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC', syscall: 'write' });
    const e1 = toDiskError(full, '/out/images/x.png', 'write');
    assert.ok(e1 instanceof DiskError);
    assert.equal(e1.path, '/out/images/x.png');
    assert.equal(
      e1.message,
      'cannot write /out/images/x.png (ENOSPC): no space left on the device: free some space (or choose another output folder) and rerun the same command',
    );
    assert.match(e1.hint ?? '', /completed are kept/);
    assert.equal(e1.cause, full);
    const denied = toDiskError(Object.assign(new Error('EACCES'), { code: 'EACCES' }), '/ro', 'create folder');
    assert.match(denied.message, /permission denied: make the folder writable/);
  });
});

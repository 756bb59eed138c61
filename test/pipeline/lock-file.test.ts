import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { DiskError } from '../../src/errors.js';
import { openRunLog } from '../../src/pipeline/run-log.js';
import { LOCK_FILE_NAME, LOCK_JOURNAL_NAME, LockStore, readLock, replayJournal, serializeLock, type LockEntry, type LockOptions } from '../../src/pipeline/lock-file.js';

const OPTIONS: LockOptions = {
  resolution: { kind: 'mpp', mpp: 0.25 },
  encoding: 'png',
  maskAlign: 'resize',
  roiTableSha256: 'a'.repeat(64),
  rois: 1,
  components: ['images'],
};

function entry(id: string, n = 1): LockEntry {
  return {
    id,
    kind: 'images',
    path: id,
    bytes: n,
    sha256: String(n % 10).repeat(64),
    mtimeMs: 1000,
    source: { url: 'http://127.0.0.1/x', params: { roi: id } },
    status: 'done',
    completed: '2024-01-01T00:00:00.000Z',
  };
}

async function withDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'bcss-lock-'));
  try {
    await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

const fixedNow = (): Date => new Date('2024-05-01T10:20:30.123Z');

describe('lock file', () => {
  test('no lock → null without warning', async () => {
    await withDir(async (dir) => {
      assert.deepEqual(await readLock(dir, { moveAside: true }), { lock: null });
    });
  });

  test('LockStore journals every set entry, one line each; close() compacts them into a sorted lock and removes the journal', async () => {
    await withDir(async (dir) => {
      const store = new LockStore({ outDir: dir, previous: null, toolVersion: '9.9.9', options: OPTIONS, now: fixedNow });
      // Many overlapping sets: writes coalesce, none is lost.
      await Promise.all(Array.from({ length: 40 }, (_, i) => store.set(entry(`images/${String(39 - i).padStart(2, '0')}.png`, i))));
      await store.flush();
      // During the run only the journal grows: a header line, then one line per artifact.
      assert.deepEqual((await readdir(dir)).sort(), [LOCK_JOURNAL_NAME]);
      const journal = await readFile(join(dir, LOCK_JOURNAL_NAME), 'utf8');
      assert.equal(journal.split('\n').length - 1, 41);
      const during = await readLock(dir, { moveAside: false });
      assert.equal(during.lock?.artifacts.length, 40, 'readers replay the journal');
      assert.equal(during.journal, true);

      await store.close();
      const read = await readLock(dir, { moveAside: true });
      assert.equal(read.lock?.artifacts.length, 40);
      assert.equal(read.lock?.tool.version, '9.9.9');
      assert.equal(read.journal, undefined);
      const ids = read.lock?.artifacts.map((a) => a.id) ?? [];
      assert.deepEqual(ids, [...ids].sort());
      assert.equal(await readFile(join(dir, LOCK_FILE_NAME), 'utf8'), serializeLock(read.lock!));
      // No temp file and no journal is left behind.
      assert.deepEqual((await readdir(dir)).sort(), [LOCK_FILE_NAME]);
    });
  });

  test('the folder of each recorded file is synced before its journal line is written, once per batch', async () => {
    await withDir(async (dir) => {
      const synced: Array<{ dir: string; journalLines: number }> = [];
      const journalLines = async (): Promise<number> =>
        (await readFile(join(dir, LOCK_JOURNAL_NAME), 'utf8').catch(() => '')).split('\n').filter((l) => l.includes('"set"')).length;
      const store = new LockStore({
        outDir: dir,
        previous: null,
        toolVersion: '1',
        options: OPTIONS,
        now: fixedNow,
        syncDir: async (d) => void synced.push({ dir: d, journalLines: await journalLines() }),
      });
      await store.set({ ...entry('images/a.png'), path: 'images/a.png' });
      assert.deepEqual(synced, [{ dir: join(dir, 'images'), journalLines: 0 }], 'synced before the line was written');
      // Several files of two folders at once: each folder synced once for the batch.
      synced.length = 0;
      await Promise.all([
        store.set({ ...entry('images/b.png'), path: 'images/b.png' }),
        store.set({ ...entry('masks/b.png'), path: 'masks/b.png' }),
        store.set({ ...entry('masks/c.png'), path: 'masks/c.png' }),
      ]);
      assert.deepEqual(synced.map((s) => s.dir).sort(), [join(dir, 'images'), join(dir, 'masks')]);
      assert.equal(await journalLines(), 4);
      await store.close();
    });
  });

  test('a previous lock is kept: new entries are added, not replacing unrelated ones', async () => {
    await withDir(async (dir) => {
      const first = new LockStore({ outDir: dir, previous: null, toolVersion: '1', options: OPTIONS, now: fixedNow });
      await first.set(entry('images/a.png'));
      await first.close();
      const prev = (await readLock(dir, { moveAside: true })).lock;
      const second = new LockStore({ outDir: dir, previous: prev, toolVersion: '1', options: OPTIONS, now: fixedNow });
      await second.set(entry('images/b.png'));
      await second.close();
      const after = (await readLock(dir, { moveAside: true })).lock;
      assert.deepEqual(after?.artifacts.map((a) => a.id), ['images/a.png', 'images/b.png']);
      assert.equal(after?.created, prev?.created);
    });
  });

  test('after a kill (no close), the journal alone records what was set; the next run compacts it', async () => {
    await withDir(async (dir) => {
      const first = new LockStore({ outDir: dir, previous: null, toolVersion: '1', options: OPTIONS, now: fixedNow });
      await first.set(entry('images/a.png'));
      await first.close();
      // The second run records b, replaces a and forgets nothing else… then is killed.
      const prev = (await readLock(dir, { moveAside: true })).lock;
      const killed = new LockStore({ outDir: dir, previous: prev, toolVersion: '1', options: OPTIONS, now: fixedNow });
      await killed.set(entry('images/b.png', 2));
      await killed.set(entry('images/a.png', 3));
      await killed.set(entry('images/gone.png', 4));
      await killed.delete('images/gone.png');
      // A line being written at the moment of the kill is cut short: it is ignored, silently.
      await writeFile(join(dir, LOCK_JOURNAL_NAME), `${await readFile(join(dir, LOCK_JOURNAL_NAME), 'utf8')}{"set":{"id":"images/c.p`);

      const read = await readLock(dir, { moveAside: true, now: fixedNow });
      assert.equal(read.warning, undefined);
      assert.equal(read.journal, true);
      const byId = new Map(read.lock?.artifacts.map((a) => [a.id, a.bytes]));
      assert.deepEqual([...byId].sort(), [['images/a.png', 3], ['images/b.png', 2]]);

      const next = new LockStore({ outDir: dir, previous: read.lock, toolVersion: '1', options: OPTIONS, now: fixedNow });
      await next.compact();
      assert.deepEqual((await readdir(dir)).sort(), [LOCK_FILE_NAME]);
      const compacted = await readLock(dir, { moveAside: true });
      assert.deepEqual(compacted.lock?.artifacts.map((a) => [a.id, a.bytes]), [['images/a.png', 3], ['images/b.png', 2]]);
    });
  });

  test('a journal without bcss.lock.json is readable on its own (its first line is the envelope)', async () => {
    await withDir(async (dir) => {
      const store = new LockStore({ outDir: dir, previous: null, toolVersion: '7', options: OPTIONS, now: fixedNow });
      await store.set(entry('images/a.png'));
      const read = await readLock(dir, { moveAside: false });
      assert.deepEqual(read.lock?.artifacts.map((a) => a.id), ['images/a.png']);
      assert.equal(read.lock?.tool.version, '7');
      assert.deepEqual(read.lock?.options, OPTIONS);
      await store.close();
    });
  });

  test('an unusable journal line is dropped with a warning, the journal moved aside, the other lines kept', async () => {
    await withDir(async (dir) => {
      const store = new LockStore({ outDir: dir, previous: null, toolVersion: '1', options: OPTIONS, now: fixedNow });
      await store.set(entry('images/a.png'));
      await store.set(entry('images/b.png'));
      const path = join(dir, LOCK_JOURNAL_NAME);
      const text = (await readFile(path, 'utf8')).replace('"path":"images/a.png"', '"path":"../a.png"');
      await writeFile(path, text);
      const dry = await readLock(dir, { moveAside: false });
      assert.match(dry.warning ?? '', /bcss\.lock\.journal has 1 unusable entry \(line 2: .*path/);
      assert.deepEqual(dry.lock?.artifacts.map((a) => a.id), ['images/b.png']);
      const read = await readLock(dir, { moveAside: true, now: fixedNow });
      assert.equal(read.movedTo, join(dir, `${LOCK_JOURNAL_NAME}.corrupt-2024-05-01T10-20-30-123Z`));
      assert.equal(await readFile(read.movedTo!, 'utf8'), text, 'nothing is lost');
      assert.deepEqual(read.lock?.artifacts.map((a) => a.id), ['images/b.png']);
    });
  });

  test('replayJournal: last line per id wins, a delete removes, garbage lines are reported by number', async () => {
    const e = (id: string, n: number): string => JSON.stringify({ set: entry(id, n) });
    const text = [JSON.stringify({ journal: 1, tool: { name: 'bcss', version: '1' }, created: 'c', options: OPTIONS }), e('a', 1), e('b', 2), '', 'nonsense', e('a', 5), JSON.stringify({ delete: 'b' }), ''].join('\n');
    const r = await replayJournal(text);
    assert.equal(r.header?.created, 'c');
    assert.deepEqual([...r.set].map(([id, v]) => [id, v.bytes]), [['a', 5]]);
    assert.deepEqual([...r.deleted], ['b']);
    assert.deepEqual(r.dropped, ['line 5: not valid JSON']);
  });

  const lockText = (...ids: string[]): string =>
    serializeLock({ version: 1, tool: { name: 'bcss', version: '1' }, created: 'x', updated: 'x', options: OPTIONS, artifacts: ids.map((id) => entry(id)) });
  for (const [what, text, kept] of [
    ['truncated JSON', '{"version": 1, "artifacts": [', null],
    ['wrong schema', JSON.stringify({ version: 1, tool: { name: 'bcss', version: '1' }, artifacts: 'nope' }), null],
    ['a path escaping the folder', lockText('images/a.png', 'images/b.png').replace('"path": "images/a.png"', '"path": "../../etc/passwd"'), ['images/b.png']],
    ['a hand-edited hash', lockText('images/a.png', 'images/b.png', 'images/c.png').replace('1'.repeat(64), 'not-a-hash'), ['images/b.png', 'images/c.png']],
    ['an id listed twice', lockText('images/a.png', 'images/b.png').replace('"id": "images/b.png"', '"id": "images/a.png"'), []],
  ] as const) {
    test(`a damaged lock (${what}) is moved aside with a warning; only its valid entries are kept`, async () => {
      await withDir(async (dir) => {
        await writeFile(join(dir, LOCK_FILE_NAME), text);
        const read = await readLock(dir, { moveAside: true, now: fixedNow });
        assert.deepEqual(read.lock?.artifacts.map((a) => a.id) ?? null, kept);
        assert.match(read.warning ?? '', /damaged/);
        assert.equal(read.movedTo, join(dir, `${LOCK_FILE_NAME}.corrupt-2024-05-01T10-20-30-123Z`));
        assert.equal(await readFile(read.movedTo!, 'utf8'), text, 'nothing is lost');
        assert.deepEqual(await readdir(dir), [`${LOCK_FILE_NAME}.corrupt-2024-05-01T10-20-30-123Z`]);
      });
    });
  }

  test('with moveAside false (dry run) a corrupt lock is only reported', async () => {
    await withDir(async (dir) => {
      await writeFile(join(dir, LOCK_FILE_NAME), 'garbage');
      const read = await readLock(dir, { moveAside: false });
      assert.equal(read.lock, null);
      assert.match(read.warning ?? '', /would be moved aside/);
      assert.deepEqual(await readdir(dir), [LOCK_FILE_NAME]);
    });
  });

  test('a failed journal write is reported to the artifact that waited for it, and the next write records it after all', async () => {
    await withDir(async (dir) => {
      const store = new LockStore({ outDir: dir, previous: null, toolVersion: '1', options: OPTIONS, now: fixedNow });
      // A folder in the journal's place makes the append fail, as a full disk would.
      await mkdir(join(dir, LOCK_JOURNAL_NAME, 'in-the-way'), { recursive: true });
      await assert.rejects(store.set(entry('images/a.png')), DiskError);
      await assert.rejects(store.flush(), DiskError, 'flush retries the unrecorded lines and fails again');
      await rm(join(dir, LOCK_JOURNAL_NAME), { recursive: true });
      await store.set(entry('images/b.png'));
      await store.flush();
      const read = await readLock(dir, { moveAside: false });
      assert.deepEqual(read.lock?.artifacts.map((a) => a.id).sort(), ['images/a.png', 'images/b.png']);
      assert.equal(read.warning, undefined);
    });
  });

  test('a failed compaction keeps the journal, so nothing recorded is lost', async () => {
    await withDir(async (dir) => {
      const store = new LockStore({ outDir: dir, previous: null, toolVersion: '1', options: OPTIONS, now: fixedNow });
      await store.set(entry('images/a.png'));
      await mkdir(join(dir, LOCK_FILE_NAME, 'in-the-way'), { recursive: true });
      await assert.rejects(store.close(), DiskError);
      await rm(join(dir, LOCK_FILE_NAME), { recursive: true });
      const read = await readLock(dir, { moveAside: false });
      assert.deepEqual(read.lock?.artifacts.map((a) => a.id), ['images/a.png']);
      await store.close();
      assert.deepEqual((await readdir(dir)).sort(), [LOCK_FILE_NAME]);
    });
  });

  test('a lock or log path blocked by the wrong kind of file is a DiskError that says what to do, not an internal error', async () => {
    await withDir(async (dir) => {
      await mkdir(join(dir, LOCK_FILE_NAME));
      await assert.rejects(readLock(dir, { moveAside: true }), (err: unknown) => err instanceof DiskError && /EISDIR\): a folder is in the way/.test(err.message));
      await writeFile(join(dir, 'logs'), 'not a folder');
      await assert.rejects(openRunLog(dir, fixedNow(), (t) => t), (err: unknown) => err instanceof DiskError && /logs/.test(err.message));
    });
  });

  test('serializeLock refuses an entry with a bad hash', () => {
    const bad = { ...entry('images/a.png'), sha256: 'xyz' };
    assert.throws(() => serializeLock({ version: 1, tool: { name: 'bcss', version: '1' }, created: 'x', updated: 'x', options: OPTIONS, artifacts: [bad] }));
  });
});

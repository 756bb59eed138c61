import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { BusyError, DiskError, UsageError } from '../../src/errors.js';
import { LEASE_FILE, acquireLease } from '../../src/storage/run-lease.js';
import { rejectionOf } from '../transfer/helpers.js';
import { smallFs } from '../transfer/small-fs.js';

let root = '';
before(async () => {
  root = await mkdtemp(join(tmpdir(), 'bcss-lease-'));
});
after(async () => {
  await rm(root, { recursive: true, force: true });
});

let n = 0;
const freshDir = (): string => join(root, `run${n++}`);

interface LeaseJson {
  pid: number;
  host: string;
  startedAt: string;
  heartbeatAt: string;
  id: string;
}

async function readLeaseJson(dir: string): Promise<LeaseJson> {
  return JSON.parse(await readFile(join(dir, LEASE_FILE), 'utf8')) as LeaseJson;
}

/** A pid above this machine's pid_max cannot belong to a live process. */
const DEAD_PID = 2_147_483_646;

describe('acquireLease', () => {
  test('writes pid, host and timestamps, and release removes the file', async () => {
    const dir = freshDir();
    const lease = await acquireLease(dir, { now: () => Date.parse('2024-01-01T00:00:00Z') });
    const json = await readLeaseJson(dir);
    assert.equal(json.pid, process.pid);
    assert.equal(json.host, hostname());
    assert.equal(json.startedAt, '2024-01-01T00:00:00.000Z');
    assert.equal(json.heartbeatAt, '2024-01-01T00:00:00.000Z');
    await lease.release();
    await lease.release(); // idempotent
    assert.deepEqual(await readdir(dir), []);
  });

  test('a second lease on the same folder is refused with a BusyError naming pid and host', async () => {
    const dir = freshDir();
    const first = await acquireLease(dir);
    try {
      const err = await rejectionOf(acquireLease(dir));
      assert.ok(err instanceof BusyError);
      assert.equal(err.kind, 'busy');
      assert.match(err.message, new RegExp(`in use by bcss pid ${process.pid} on host ${hostname().replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
      assert.match(err.hint ?? '', /taken over automatically/);
    } finally {
      await first.release();
    }
    const again = await acquireLease(dir);
    await again.release();
  });

  test('a lease left by a dead process on this host is taken over', async () => {
    const dir = freshDir();
    const first = await acquireLease(dir);
    await first.release();
    const stale = { pid: DEAD_PID, host: hostname(), startedAt: new Date().toISOString(), heartbeatAt: new Date().toISOString(), id: 'dead' };
    await writeFile(join(dir, LEASE_FILE), JSON.stringify(stale));
    const lease = await acquireLease(dir);
    const json = await readLeaseJson(dir);
    assert.equal(json.pid, process.pid);
    assert.notEqual(json.id, 'dead');
    await lease.release();
    assert.deepEqual(await readdir(dir), []);
  });

  test('another host: fresh heartbeat is busy, an old heartbeat is taken over', async () => {
    const dir = freshDir();
    let now = Date.parse('2024-05-01T12:00:00Z');
    const other = { pid: 4242, host: 'other-node.cluster', startedAt: '2024-05-01T11:00:00.000Z', heartbeatAt: '2024-05-01T11:59:30.000Z', id: 'other' };
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, LEASE_FILE), JSON.stringify(other));
    const err = await rejectionOf(acquireLease(dir, { staleMs: 60_000, heartbeatMs: 10_000, now: () => now }));
    assert.ok(err instanceof BusyError);
    assert.match(err.message, /pid 4242 on host other-node\.cluster.*last heartbeat 30 s ago/);
    now += 60_000; // heartbeat is now 90 s old
    const lease = await acquireLease(dir, { staleMs: 60_000, heartbeatMs: 10_000, now: () => now });
    assert.equal((await readLeaseJson(dir)).host, hostname());
    await lease.release();
  });

  test('renew rewrites the heartbeat; a lease taken over by someone else is not removed by release', async () => {
    const dir = freshDir();
    let now = Date.parse('2024-06-01T00:00:00Z');
    const lease = await acquireLease(dir, { now: () => now, staleMs: 60_000, heartbeatMs: 10_000 });
    now += 10_000;
    assert.equal(await lease.renew(), true);
    assert.equal((await readLeaseJson(dir)).heartbeatAt, '2024-06-01T00:00:10.000Z');
    assert.equal((await readLeaseJson(dir)).startedAt, '2024-06-01T00:00:00.000Z');
    // Simulate a takeover by another run after we stalled.
    const usurper = { pid: 777, host: 'elsewhere', startedAt: 'x', heartbeatAt: new Date(now).toISOString(), id: 'usurper' };
    await writeFile(join(dir, LEASE_FILE), JSON.stringify(usurper));
    assert.equal(await lease.renew(), false);
    await lease.release();
    assert.equal((await readLeaseJson(dir)).id, 'usurper');
  });

  test('a damaged lease file is busy while recent and taken over once old', async () => {
    const dir = freshDir();
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, LEASE_FILE), '');
    const err = await rejectionOf(acquireLease(dir, { staleMs: 60_000, heartbeatMs: 1000 }));
    assert.ok(err instanceof BusyError);
    const lease = await acquireLease(dir, { staleMs: 60_000, heartbeatMs: 1000, now: () => Date.now() + 120_000 });
    assert.equal((await readLeaseJson(dir)).pid, process.pid);
    await lease.release();
  });

  test('on a full disk the lease is a DiskError and leaves no empty lease behind, so the run after freeing space starts', async (t) => {
    const fs = await smallFs(root, 64 * 1024);
    t.diagnostic(`full disk: ${fs.method}`);
    try {
      await fs.fill();
      const err = await rejectionOf(acquireLease(fs.dir));
      assert.ok(err instanceof DiskError, String(err));
      assert.match(err.message, /ENOSPC/);
      assert.deepEqual(await readdir(fs.dir), [], 'no (empty) lease file is left');
      await fs.grow(256 * 1024);
      const lease = await acquireLease(fs.dir);
      assert.equal((await readLeaseJson(fs.dir)).pid, process.pid);
      await lease.release();
    } finally {
      await fs.dispose();
    }
  });

  test('nonsensical timings are a UsageError', async () => {
    const err = await rejectionOf(acquireLease(freshDir(), { staleMs: 1000, heartbeatMs: 5000 }));
    assert.ok(err instanceof UsageError);
  });
});

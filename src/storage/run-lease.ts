/**
 * One run per output folder: a lease file `bcss.lease` created with O_EXCL holding the owner's
 * pid, host and a heartbeat. Unlike `flock`, it works on NFS and cannot hang; unlike a bare lock
 * file, a crashed owner does not block forever (huggingface_hub#2543): a lease whose pid is gone
 * (same host) or whose heartbeat is older than `staleMs` is taken over.
 */
import { randomBytes } from 'node:crypto';
import type { FileHandle } from 'node:fs/promises';
import { open, readFile, rename, stat, unlink } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { BusyError, UsageError } from '../errors.js';
import { ensureDir, removeQuietly, tempPathFor } from './atomic-file.js';
import { errorCode, toDiskError } from './disk-error.js';

export const LEASE_FILE = 'bcss.lease';

export interface LeaseOptions {
  /** A lease without a heartbeat for this long is abandoned (default 120000). */
  staleMs?: number;
  /** How often the owner rewrites its heartbeat (default 15000). */
  heartbeatMs?: number;
  now?: () => number;
}

export interface Lease {
  /** Stops the heartbeat and removes the lease if it is still ours. Idempotent. */
  release(): Promise<void>;
  /** Rewrites the heartbeat now (the timer calls this); returns false if the lease was lost. */
  renew(): Promise<boolean>;
  /**
   * True once a heartbeat found another run's lease in our place (it judged ours stale, e.g. after
   * this process was suspended with Ctrl-Z for longer than staleMs). The owner must stop then.
   */
  readonly lost: boolean;
  readonly path: string;
}

interface LeaseRecord {
  pid: number;
  host: string;
  startedAt: string;
  heartbeatAt: string;
  /** Random id telling two owners with the same pid/host apart (two leases in one process). */
  id: string;
}

function isRecord(value: unknown): value is LeaseRecord {
  const v = value as Partial<LeaseRecord> | null;
  return (
    typeof v === 'object' &&
    v !== null &&
    typeof v.pid === 'number' &&
    typeof v.host === 'string' &&
    typeof v.startedAt === 'string' &&
    typeof v.heartbeatAt === 'string' &&
    typeof v.id === 'string'
  );
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: the process exists but belongs to someone else.
    return errorCode(err) === 'EPERM';
  }
}

type Existing = { kind: 'missing' } | { kind: 'record'; record: LeaseRecord } | { kind: 'unreadable'; mtimeMs: number };

async function readLease(path: string): Promise<Existing> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if (errorCode(err) === 'ENOENT') return { kind: 'missing' };
    throw toDiskError(err, path, 'read');
  }
  try {
    const parsed = JSON.parse(text) as unknown;
    if (isRecord(parsed)) return { kind: 'record', record: parsed };
  } catch {
    // Empty or half-written: judged by its age below.
  }
  const info = await stat(path).catch(() => undefined);
  return info === undefined ? { kind: 'missing' } : { kind: 'unreadable', mtimeMs: info.mtimeMs };
}

/** Writes `text` over whatever is at `path` (temp + fsync + rename, so readers never see half a file). */
async function overwriteLease(path: string, text: string): Promise<void> {
  const temp = tempPathFor(path);
  try {
    const handle = await open(temp, 'wx', 0o644);
    try {
      await handle.writeFile(text);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temp, path);
  } catch (err) {
    await removeQuietly(temp);
    throw toDiskError(err, path, 'write lease');
  }
}

/** Creates the lease with O_EXCL; false when one exists already. */
async function createLease(path: string, text: string): Promise<boolean> {
  let handle: FileHandle;
  try {
    handle = await open(path, 'wx', 0o644);
  } catch (err) {
    if (errorCode(err) !== 'EEXIST') throw toDiskError(err, path, 'create lease');
    return false;
  }
  try {
    await handle.writeFile(text);
    await handle.sync();
    await handle.close();
  } catch (err) {
    // On a full disk the create succeeds (an inode is free) but the write fails. The empty
    // file we made with O_EXCL is ours alone: leaving it would make the next run, once space
    // is freed, see a "damaged" lease and refuse to start for staleMs.
    await handle.close().catch(() => undefined);
    await removeQuietly(path);
    throw toDiskError(err, path, 'write lease');
  }
  return true;
}

/** Throws BusyError unless the existing lease is abandoned (its pid gone on this host, or no heartbeat for staleMs). */
function refuseLiveLease(existing: Exclude<Existing, { kind: 'missing' }>, dir: string, path: string, staleMs: number, now: () => number): void {
  if (existing.kind === 'unreadable') {
    if (now() - existing.mtimeMs <= staleMs) {
      throw new BusyError(`the output folder ${dir} has a lease file that is being written or is damaged (${path})`, {
        hint: `If no other bcss run uses this folder, delete ${path}; otherwise wait for that run to finish.`,
      });
    }
    return;
  }
  const { record } = existing;
  const host = hostname();
  const heartbeatAge = now() - Date.parse(record.heartbeatAt);
  const deadOwner = record.host === host && !pidAlive(record.pid);
  if (!deadOwner && !(heartbeatAge > staleMs)) {
    const self = record.host === host && record.pid === process.pid ? ' (this process)' : '';
    throw new BusyError(
      `the output folder ${dir} is in use by bcss pid ${record.pid} on host ${record.host}${self}, started ${record.startedAt}, last heartbeat ${Math.max(0, Math.round(heartbeatAge / 1000))} s ago`,
      {
        hint: `Wait for that run to finish or stop it (on ${record.host}: kill ${record.pid}); a lease without a heartbeat for ${Math.round(staleMs / 1000)} s is taken over automatically.`,
      },
    );
  }
}

/** The held lease: a heartbeat timer that notices a takeover, and an idempotent release. */
function heldLease(path: string, owns: () => Promise<boolean>, write: () => Promise<void>, heartbeatMs: number): Lease {
  let lost = false;
  let released = false;
  let pending: Promise<boolean> | undefined;
  const renew = (): Promise<boolean> => {
    if (lost || released) return Promise.resolve(false);
    pending ??= (async () => {
      try {
        if (!(await owns())) {
          lost = true;
          return false;
        }
        await write();
        return true;
      } finally {
        pending = undefined;
      }
    })();
    return pending;
  };
  const timer = setInterval(() => {
    // A failed heartbeat is retried at the next tick; the lease only goes stale after staleMs.
    renew().catch(() => undefined);
  }, heartbeatMs);
  timer.unref();

  return {
    path,
    renew,
    get lost(): boolean {
      return lost;
    },
    async release(): Promise<void> {
      if (released) return;
      released = true;
      clearInterval(timer);
      await pending?.catch(() => undefined);
      if (!lost && (await owns())) {
        try {
          await unlink(path);
        } catch (err) {
          if (errorCode(err) !== 'ENOENT') throw toDiskError(err, path, 'remove lease');
        }
      }
    },
  };
}

/**
 * Takes the run lease of `dir`, or throws BusyError naming the run that holds it. A lease whose
 * owner died (same host) or whose heartbeat is older than `staleMs` is taken over.
 */
export async function acquireLease(dir: string, options: LeaseOptions = {}): Promise<Lease> {
  const staleMs = options.staleMs ?? 120_000;
  const heartbeatMs = options.heartbeatMs ?? 15_000;
  const now = options.now ?? Date.now;
  if (!(heartbeatMs > 0) || !(staleMs > heartbeatMs)) {
    throw new UsageError(`expected 0 < heartbeatMs < staleMs for the run lease but received heartbeatMs=${heartbeatMs}, staleMs=${staleMs}`);
  }
  await ensureDir(dir);
  const path = join(dir, LEASE_FILE);
  const mine: LeaseRecord = {
    pid: process.pid,
    host: hostname(),
    startedAt: new Date(now()).toISOString(),
    heartbeatAt: new Date(now()).toISOString(),
    id: randomBytes(8).toString('hex'),
  };
  const serialize = (): string => `${JSON.stringify({ ...mine, heartbeatAt: new Date(now()).toISOString() }, null, 2)}\n`;
  const write = (): Promise<void> => overwriteLease(path, serialize());
  const owns = async (): Promise<boolean> => {
    const current = await readLease(path);
    return current.kind === 'record' && current.record.id === mine.id;
  };

  for (let round = 0; round < 5; round++) {
    if (await createLease(path, serialize())) return heldLease(path, owns, write, heartbeatMs);
    const existing = await readLease(path);
    if (existing.kind === 'missing') continue; // released meanwhile: try to create again
    refuseLiveLease(existing, dir, path, staleMs, now);
    // Abandoned: put a fresh lease over it in one rename, then check that ours survived a race.
    await write();
    if (!(await owns())) {
      throw new BusyError(`another bcss run took over the lease on ${dir} at the same time`, {
        hint: 'Only one run can use an output folder; wait for the other run to finish.',
      });
    }
    return heldLease(path, owns, write, heartbeatMs);
  }
  throw new BusyError(`could not acquire the lease on ${dir}: it keeps changing hands`, { hint: 'Another bcss run is starting and stopping on this folder; try again.' });
}

/**
 * A small file system for "disk full" tests. As root on Linux it is a real size-limited tmpfs, so
 * writes fail with ENOSPC exactly as on a full disk. Elsewhere (CI without root) an injected fault
 * stands in: `fs/promises.open` is wrapped (through `syncBuiltinESMExports`, which updates the
 * live ESM bindings the code under test imported) so that writes through file handles opened under
 * the folder fail with an ENOSPC error once a byte budget is used up. `method` says which was used.
 */
import { spawnSync } from 'node:child_process';
import type { FileHandle } from 'node:fs/promises';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { createRequire, syncBuiltinESMExports } from 'node:module';
import { join, resolve, sep } from 'node:path';

export interface SmallFs {
  /** An empty folder on the small file system. */
  dir: string;
  method: 'tmpfs' | 'injected ENOSPC';
  /** Use up every free byte. */
  fill(): Promise<void>;
  /** Make room again: undo fill() and allow at least `bytes` in total. */
  grow(bytes: number): Promise<void>;
  dispose(): Promise<void>;
}

function run(cmd: string, args: string[]): boolean {
  return spawnSync(cmd, args, { stdio: 'ignore' }).status === 0;
}

function enospc(path: string): Error {
  return Object.assign(new Error(`ENOSPC: no space left on device, write '${path}'`), { code: 'ENOSPC', errno: -28, syscall: 'write', path });
}

export async function smallFs(parent: string, bytes: number): Promise<SmallFs> {
  const mountPoint = join(parent, `small-fs-${process.pid}-${Math.round(performance.now() * 1000)}`);
  await mkdir(mountPoint, { recursive: true });
  const dir = join(mountPoint, 'out');
  // BCSS_TEST_INJECTED_FS=1 forces the stand-in, to check it where mounting works.
  const canMount = process.platform === 'linux' && process.getuid?.() === 0 && process.env.BCSS_TEST_INJECTED_FS === undefined;
  if (canMount && run('mount', ['-t', 'tmpfs', '-o', `size=${bytes}`, 'tmpfs', mountPoint])) {
    await mkdir(dir);
    const filler = join(mountPoint, 'filler');
    return {
      dir,
      method: 'tmpfs',
      async fill() {
        // Write until the kernel says no: the folder then has no free block left.
        await writeFile(filler, Buffer.alloc(bytes * 2)).catch((err: unknown) => {
          if ((err as { code?: unknown }).code !== 'ENOSPC') throw err;
        });
      },
      async grow(size) {
        await rm(filler, { force: true });
        if (!run('mount', ['-o', `remount,size=${size}`, mountPoint])) throw new Error(`remount of ${mountPoint} failed`);
      },
      async dispose() {
        if (!run('umount', [mountPoint])) throw new Error(`umount ${mountPoint} failed`);
        await rm(mountPoint, { recursive: true, force: true });
      },
    };
  }

  await mkdir(dir);
  const fsp = createRequire(import.meta.url)('node:fs/promises') as { open: (...args: unknown[]) => Promise<FileHandle> };
  const realOpen = fsp.open;
  const root = resolve(mountPoint) + sep;
  let budget = bytes;
  const spend = (path: string, n: number): void => {
    if (n > budget) throw enospc(path);
    budget -= n;
  };
  const sizeOf = (data: unknown): number => (typeof data === 'string' ? Buffer.byteLength(data) : (data as Uint8Array).byteLength);
  fsp.open = async (...args: unknown[]): Promise<FileHandle> => {
    const handle = await realOpen(...args);
    const path = resolve(String(args[0]));
    if (!path.startsWith(root)) return handle;
    const { write, writeFile: whole, appendFile } = handle;
    Object.assign(handle, {
      write: (data: Uint8Array, offset?: number, length?: number, ...rest: unknown[]) => {
        spend(path, length ?? sizeOf(data) - (offset ?? 0));
        return (write as (...a: unknown[]) => unknown).call(handle, data, offset, length, ...rest);
      },
      writeFile: (data: string | Uint8Array, ...rest: unknown[]) => {
        spend(path, sizeOf(data));
        return (whole as (...a: unknown[]) => unknown).call(handle, data, ...rest);
      },
      appendFile: (data: string | Uint8Array, ...rest: unknown[]) => {
        spend(path, sizeOf(data));
        return (appendFile as (...a: unknown[]) => unknown).call(handle, data, ...rest);
      },
    });
    return handle;
  };
  syncBuiltinESMExports();
  return {
    dir,
    method: 'injected ENOSPC',
    async fill() {
      budget = 0;
    },
    async grow(size) {
      budget = Math.max(budget, size);
    },
    async dispose() {
      fsp.open = realOpen;
      syncBuiltinESMExports();
      await rm(mountPoint, { recursive: true, force: true });
    },
  };
}

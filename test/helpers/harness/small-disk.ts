/**
 * A real "disk full" for the drill: a size-limited tmpfs mounted for the output folder, so
 * writes fail with ENOSPC exactly as on a full disk; "space comes back" by remounting it larger.
 * Needs root (or CAP_SYS_ADMIN). Without it, `ENOTDIR` stands in: the `masks` folder is replaced by
 * a plain file, so every mask write fails, and removing the file gives the "space" back.
 */
import { spawnSync } from 'node:child_process';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

export interface SmallDisk {
  /** The folder to use as `--out`. */
  outDir: string;
  method: 'tmpfs ENOSPC' | 'ENOTDIR stand-in';
  /** Make room again (remount larger / remove the blocking file). */
  grow(bytes: number): Promise<void>;
  dispose(): Promise<void>;
}

function mount(args: string[]): { ok: boolean; message: string } {
  const r = spawnSync('mount', args, { encoding: 'utf8' });
  return { ok: r.status === 0, message: `${r.stdout ?? ''}${r.stderr ?? ''}`.trim() };
}

/** tmpfs rounds sizes to pages; keep a few pages so the folder and small files fit at all. */
function sizeOption(bytes: number): string {
  return `size=${Math.max(64 * 1024, Math.ceil(bytes / 4096) * 4096)}`;
}

export async function smallDisk(work: string, bytes: number): Promise<SmallDisk> {
  const mountPoint = join(work, 'small-disk');
  await mkdir(mountPoint, { recursive: true });
  const canMount = process.platform === 'linux' && process.getuid?.() === 0;
  const m = canMount ? mount(['-t', 'tmpfs', '-o', sizeOption(bytes), 'tmpfs', mountPoint]) : { ok: false, message: 'not root' };
  if (m.ok) {
    let mounted = true;
    return {
      outDir: join(mountPoint, 'out'),
      method: 'tmpfs ENOSPC',
      async grow(size) {
        const r = mount(['-o', `remount,${sizeOption(size)}`, mountPoint]);
        if (!r.ok) throw new Error(`remount of ${mountPoint} failed: ${r.message}`);
      },
      async dispose() {
        if (!mounted) return;
        const r = spawnSync('umount', [mountPoint], { encoding: 'utf8' });
        if (r.status !== 0) throw new Error(`umount ${mountPoint} failed: ${r.stderr}`);
        mounted = false;
        await rm(mountPoint, { recursive: true, force: true });
      },
    };
  }
  const outDir = join(mountPoint, 'out');
  await mkdir(outDir, { recursive: true });
  const blocker = join(outDir, 'masks');
  await writeFile(blocker, 'not a folder: stands in for a full disk\n');
  return {
    outDir,
    method: 'ENOTDIR stand-in',
    async grow() {
      await rm(blocker, { force: true });
    },
    async dispose() {
      await rm(mountPoint, { recursive: true, force: true });
    },
  };
}

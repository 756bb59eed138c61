/**
 * Shared pieces of the hostile-server tests: a sandbox folder whose parent is watched for
 * anything that lands outside it, and stand-ins for curl / girder-client on PATH.
 */
import { chmod, mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface Sandbox {
  /** The folder a generated script lives and writes in. */
  dir: string;
  /** Its parent: after a run it must still hold only `sandbox` and `bin`. */
  root: string;
  /** Holds the fake tools; first on PATH. */
  bin: string;
  /** Everything in `root` besides the sandbox and bin folders. */
  outside(): Promise<string[]>;
  cleanup(): Promise<void>;
}

export async function makeSandbox(): Promise<Sandbox> {
  const root = await mkdtemp(join(tmpdir(), 'bcss-hostile-'));
  const dir = join(root, 'sandbox');
  const bin = join(root, 'bin');
  await mkdir(dir);
  await mkdir(bin);
  return {
    dir,
    root,
    bin,
    outside: async () => (await readdir(root)).filter((n) => n !== 'sandbox' && n !== 'bin' && !n.endsWith('-args.log')),
    cleanup: () => rm(root, { recursive: true, force: true }),
  };
}

export async function writeTool(bin: string, name: string, body: string): Promise<void> {
  const path = join(bin, name);
  await writeFile(path, `#!/bin/sh\n${body}\n`);
  await chmod(path, 0o755);
}

/** A curl that writes `payload-<last path segment of the URL>` to the `-o` file. */
export const FAKE_CURL = [
  'echo "$*" >> "$(dirname "$0")/../curl-args.log"',
  'out=""; url=""',
  'while [ $# -gt 0 ]; do',
  '  case "$1" in',
  '    -o) out="$2"; shift 2 ;;',
  '    --retry|--retry-delay|--max-filesize|--proto|-C) shift 2 ;;',
  '    -*) shift ;;',
  '    *) url="$1"; shift ;;',
  '  esac',
  'done',
  'printf "payload-%s" "${url##*/}" > "$out"',
].join('\n');

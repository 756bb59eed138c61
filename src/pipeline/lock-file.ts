/**
 * `bcss.lock.json`: what each run wrote, its hash and where it came from (prior-art §5.1).
 *
 * - Read with validation. A lock that does not parse is moved aside to
 *   `bcss.lock.json.corrupt-<timestamp>` (never deleted: it may be the only record of a long
 *   download) and the run continues as if there were none; the files themselves are re-checked.
 * - Written atomically (temp + fsync + rename) by `LockStore`, which coalesces writes: after every
 *   completed artifact one write is started, and while it runs at most one more is queued. A
 *   kill -9 therefore loses at most the artifacts completed during the last write.
 * - Nothing secret goes in: sources are URLs built by bcss without tokens (Girder tokens travel in
 *   a header) and the options fingerprint holds no credentials.
 */
import { readFile, rename } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { writeFileAtomic } from '../transfer/atomic-file.js';

export const LOCK_FILE_NAME = 'bcss.lock.json';
export const LOCK_VERSION = 1;

export const LOCK_KINDS = ['images', 'masks', 'annotations', 'wsi-scripts', 'meta'] as const;
export type LockKind = (typeof LOCK_KINDS)[number];

const resolutionSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('mpp'), mpp: z.number().positive() }),
  z.object({ kind: z.literal('mag'), magnification: z.number().positive() }),
  z.object({ kind: z.literal('base') }),
]);

const entrySchema = z.object({
  /** Stable artifact id, e.g. `images/<file>` or `annotations/<ROI name>`. */
  id: z.string().min(1),
  kind: z.enum(LOCK_KINDS),
  /** Relative to the output folder, `/`-separated. */
  path: z
    .string()
    .min(1)
    .refine((p) => !p.startsWith('/') && !p.split('/').includes('..') && !p.includes('\\'), 'must be a relative path inside the output folder'),
  bytes: z.number().int().nonnegative(),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  /** mtime when the hash was last established; a matching size + mtime skips re-hashing. */
  mtimeMs: z.number().nonnegative().optional(),
  source: z.object({
    /** Where the bytes came from (no secrets); null for files bcss generates itself. */
    url: z.string().nullable(),
    /** Everything that decides the content; a change means the artifact must be made again. */
    params: z.record(z.string(), z.unknown()),
  }),
  /** The source's own checksum, e.g. figshare `computed_md5` for masks. */
  sourceChecksum: z.object({ md5: z.string().regex(/^[0-9a-f]{32}$/).optional() }).optional(),
  width: z.number().int().positive().optional(),
  height: z.number().int().positive().optional(),
  /** For masks: the base mask as downloaded, and which size convention it followed (bcss-dataset.md §3). */
  maskBase: z
    .object({ width: z.number().int().positive(), height: z.number().int().positive(), convention: z.enum(['minus-one', 'half-open']) })
    .optional(),
  status: z.literal('done'),
  completed: z.string(),
});

const lockSchema = z.object({
  version: z.literal(LOCK_VERSION),
  tool: z.object({ name: z.string(), version: z.string() }),
  created: z.string(),
  updated: z.string(),
  /** The options of the last run that wrote this lock (no secrets). */
  options: z.object({
    resolution: resolutionSchema,
    encoding: z.enum(['png', 'jpeg']),
    maskAlign: z.enum(['resize', 'pad']),
    roiTableSha256: z.string(),
    rois: z.number().int().nonnegative(),
    components: z.array(z.string()),
  }),
  artifacts: z.array(entrySchema),
});

export type LockEntry = z.infer<typeof entrySchema>;
export type LockFile = z.infer<typeof lockSchema>;
export type LockOptions = LockFile['options'];

export interface ReadLockResult {
  lock: LockFile | null;
  /** Set when a lock existed but was unreadable. */
  warning?: string;
  /** Where the unreadable lock was moved to. */
  movedTo?: string;
}

/** `2024-05-01T10-20-30-123Z`: an ISO time usable in file names on every platform. */
export function fileTimestamp(date: Date): string {
  return date.toISOString().replace(/[:.]/g, '-');
}

/**
 * Reads and validates the lock of `outDir`. Missing → `{ lock: null }`. Unparseable or invalid →
 * moved aside (unless `moveAside` is false, for dry runs that must not write) and `{ lock: null,
 * warning }`. Other read errors (permissions) propagate.
 */
export async function readLock(outDir: string, options: { moveAside: boolean; now?: () => Date }): Promise<ReadLockResult> {
  const path = join(outDir, LOCK_FILE_NAME);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as { code?: unknown }).code === 'ENOENT') return { lock: null };
    throw err;
  }
  let problem: string;
  try {
    const parsed = lockSchema.safeParse(JSON.parse(text));
    if (parsed.success) {
      const ids = new Set<string>();
      const dup = parsed.data.artifacts.find((a) => (ids.has(a.id) ? true : (ids.add(a.id), false)));
      if (dup === undefined) return { lock: parsed.data };
      problem = `artifact ${dup.id} is listed twice`;
    } else {
      const issue = parsed.error.issues[0];
      problem = issue === undefined ? 'invalid content' : `${issue.path.join('.') || '(root)'}: ${issue.message}`;
    }
  } catch (err) {
    problem = `not valid JSON (${(err as Error).message})`;
  }
  if (!options.moveAside) {
    return { lock: null, warning: `${LOCK_FILE_NAME} is unreadable (${problem}); it would be moved aside and every file re-checked` };
  }
  const movedTo = `${path}.corrupt-${fileTimestamp((options.now ?? (() => new Date()))())}`;
  await rename(path, movedTo);
  return {
    lock: null,
    movedTo,
    warning: `${LOCK_FILE_NAME} was unreadable (${problem}); moved it to ${movedTo} and re-checking every file`,
  };
}

/** The lock as JSON text: stable order (artifacts by id), two-space indent, final newline. */
export function serializeLock(lock: LockFile): string {
  const sorted: LockFile = { ...lock, artifacts: [...lock.artifacts].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)) };
  return `${JSON.stringify(lockSchema.parse(sorted), null, 2)}\n`;
}

export interface LockStoreOptions {
  outDir: string;
  /** The lock read at start (null = none). */
  previous: LockFile | null;
  toolVersion: string;
  options: LockOptions;
  now?: () => Date;
}

/** The lock of a running download: in-memory entries plus coalesced atomic writes. */
export class LockStore {
  readonly path: string;
  readonly #entries = new Map<string, LockEntry>();
  readonly #created: string;
  readonly #toolVersion: string;
  readonly #options: LockOptions;
  readonly #now: () => Date;
  #writing: Promise<void> | null = null;
  #queued: Promise<void> | null = null;
  #dirty = false;
  #error: unknown = null;

  constructor(opts: LockStoreOptions) {
    this.path = join(opts.outDir, LOCK_FILE_NAME);
    this.#now = opts.now ?? (() => new Date());
    this.#created = opts.previous?.created ?? this.#now().toISOString();
    this.#toolVersion = opts.toolVersion;
    this.#options = opts.options;
    for (const e of opts.previous?.artifacts ?? []) this.#entries.set(e.id, e);
  }

  get(id: string): LockEntry | undefined {
    return this.#entries.get(id);
  }

  entries(): LockEntry[] {
    return [...this.#entries.values()];
  }

  /** Record an artifact and schedule a write. */
  set(entry: LockEntry): Promise<void> {
    this.#entries.set(entry.id, entry);
    return this.#schedule();
  }

  /** Forget an artifact (its file no longer matches) and schedule a write. */
  delete(id: string): Promise<void> {
    if (!this.#entries.delete(id)) return Promise.resolve();
    return this.#schedule();
  }

  snapshot(): LockFile {
    return {
      version: LOCK_VERSION,
      tool: { name: 'bcss', version: this.#toolVersion },
      created: this.#created,
      updated: this.#now().toISOString(),
      options: this.#options,
      artifacts: this.entries(),
    };
  }

  /** Wait for every scheduled write; rethrows the first write failure. */
  async flush(): Promise<void> {
    if (this.#dirty && this.#writing === null) await this.#schedule();
    while (this.#writing !== null || this.#queued !== null) await (this.#queued ?? this.#writing);
    if (this.#error !== null) throw this.#error;
  }

  #schedule(): Promise<void> {
    this.#dirty = true;
    if (this.#writing === null) {
      this.#writing = this.#writeOnce().finally(() => {
        this.#writing = null;
      });
      return this.#writing;
    }
    // A write is running: queue exactly one more, which picks up everything set meanwhile.
    this.#queued ??= this.#writing.then(() => {
      this.#queued = null;
      return this.#schedule();
    });
    return this.#queued;
  }

  async #writeOnce(): Promise<void> {
    this.#dirty = false;
    try {
      await writeFileAtomic(this.path, serializeLock(this.snapshot()));
    } catch (err) {
      this.#error ??= err;
    }
  }
}

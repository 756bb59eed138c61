/**
 * `bcss.lock.json`: what each run wrote, its hash and where it came from (prior-art §5.1).
 *
 * - Read with validation. A damaged lock is moved aside to `bcss.lock.json.corrupt-<timestamp>`
 *   (never deleted: it may be the only record of a long download); its valid entries are kept
 *   and the files of the others are re-checked.
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
import { toDiskError } from '../transfer/disk-error.js';
import { createRedactor } from '../transfer/redact.js';

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
  /** Set when a lock existed but was damaged (then `lock` holds the salvaged entries, if any). */
  warning?: string;
  /** Where the damaged lock was moved to. */
  movedTo?: string;
}

/** `2024-05-01T10-20-30-123Z`: an ISO time usable in file names on every platform. */
export function fileTimestamp(date: Date): string {
  return date.toISOString().replace(/[:.]/g, '-');
}

/** `(root)`-style location and message of a zod issue. */
function describeIssue(error: z.ZodError): string {
  const issue = error.issues[0];
  return issue === undefined ? 'invalid content' : `${issue.path.join('.') || '(root)'}: ${issue.message}`;
}

const envelopeSchema = lockSchema.extend({ artifacts: z.array(z.unknown()) });

/**
 * Parses lock text, salvaging what can be trusted: when the envelope is sound but some entries
 * are not (a hand edit, a bad hash, a duplicate id), the valid entries are kept and only the
 * others are dropped, so one damaged line does not cost a re-download of the whole dataset.
 */
export function parseLockText(text: string): { lock: LockFile | null; problem?: string } {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    return { lock: null, problem: `not valid JSON (${(err as Error).message})` };
  }
  const envelope = envelopeSchema.safeParse(raw);
  if (!envelope.success) return { lock: null, problem: describeIssue(envelope.error) };
  const artifacts: LockEntry[] = [];
  const ids = new Set<string>();
  const dropped: string[] = [];
  envelope.data.artifacts.forEach((item, i) => {
    const entry = entrySchema.safeParse(item);
    if (!entry.success) dropped.push(`artifacts.${i}.${describeIssue(entry.error)}`);
    else if (ids.has(entry.data.id)) dropped.push(`artifact ${entry.data.id} is listed twice`);
    else {
      ids.add(entry.data.id);
      artifacts.push(entry.data);
    }
  });
  const lock = { ...envelope.data, artifacts };
  if (dropped.length === 0) return { lock };
  // A duplicated id cannot tell which copy is right: neither is trusted.
  const duplicated = new Set(dropped.map((d) => /^artifact (.+) is listed twice$/.exec(d)?.[1]).filter((id) => id !== undefined));
  lock.artifacts = artifacts.filter((a) => !duplicated.has(a.id));
  const more = dropped.length > 1 ? ` and ${dropped.length - 1} more` : '';
  return { lock, problem: `${dropped.length} unusable entr${dropped.length === 1 ? 'y' : 'ies'} (${dropped[0]}${more})` };
}

/**
 * Reads and validates the lock of `outDir`. Missing → `{ lock: null }`. A damaged lock is moved
 * aside (never deleted: it may be the only record of a long download; not when `moveAside` is
 * false, for dry runs and verify, which must not write) with a warning; whatever entries could be
 * salvaged are returned, and the files of the others are re-checked. Other read errors
 * (permissions, a folder in its place) are DiskErrors.
 */
export async function readLock(outDir: string, options: { moveAside: boolean; now?: () => Date }): Promise<ReadLockResult> {
  const path = join(outDir, LOCK_FILE_NAME);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as { code?: unknown }).code === 'ENOENT') return { lock: null };
    throw toDiskError(err, path, 'read');
  }
  const { lock, problem } = parseLockText(text);
  if (problem === undefined) return { lock };
  const kept = lock === null ? 'every file' : `the files of the dropped entries (${lock.artifacts.length} valid entries kept)`;
  if (!options.moveAside) {
    return { lock, warning: `${LOCK_FILE_NAME} is damaged (${problem}); it would be moved aside and ${kept} re-checked` };
  }
  const movedTo = `${path}.corrupt-${fileTimestamp((options.now ?? (() => new Date()))())}`;
  try {
    await rename(path, movedTo);
  } catch (err) {
    throw toDiskError(err, path, 'move aside the damaged');
  }
  return {
    lock,
    movedTo,
    warning: `${LOCK_FILE_NAME} was damaged (${problem}); moved it to ${movedTo} and re-checking ${kept}`,
  };
}

/** The lock as JSON text: stable order (artifacts by id), two-space indent, final newline. */
export function serializeLock(lock: LockFile): string {
  const sorted: LockFile = { ...lock, artifacts: [...lock.artifacts].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)) };
  return `${JSON.stringify(lockSchema.parse(sorted), null, 2)}\n`;
}

export interface LockStoreOptions {
  outDir: string;
  /**
   * Applied to every source URL before it is recorded (default: mask credential-looking query
   * parameters). URLs from a listing (figshare `download_url`) are the server's, not ours, and
   * may carry a signature or token.
   */
  redact?: (text: string) => string;
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
  readonly #redact: (text: string) => string;
  #writing: Promise<void> | null = null;
  #queued: Promise<void> | null = null;
  #dirty = false;

  constructor(opts: LockStoreOptions) {
    this.path = join(opts.outDir, LOCK_FILE_NAME);
    this.#now = opts.now ?? (() => new Date());
    this.#redact = opts.redact ?? createRedactor();
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

  /**
   * Record an artifact and schedule a write. Resolves once a write that includes it is on disk;
   * rejects (DiskError) if that write failed, so the caller learns that the artifact is not yet
   * recorded instead of finding out at the end of a long run.
   */
  set(entry: LockEntry): Promise<void> {
    const url = entry.source.url === null ? null : this.#redact(entry.source.url);
    this.#entries.set(entry.id, url === entry.source.url ? entry : { ...entry, source: { ...entry.source, url } });
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

  /**
   * Wait for every scheduled write and make sure the last state is on disk: if the latest write
   * failed (e.g. the disk was full for a moment), try once more; throws if that fails too.
   */
  async flush(): Promise<void> {
    while (this.#writing !== null || this.#queued !== null) await (this.#queued ?? this.#writing)?.catch(() => undefined);
    if (this.#dirty) await this.#schedule();
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
    this.#queued ??= this.#writing
      .catch(() => undefined)
      .then(() => {
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
      // What this write carried is still unrecorded: the next write (or flush) must retry it.
      this.#dirty = true;
      throw err;
    }
  }
}

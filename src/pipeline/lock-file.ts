/**
 * `bcss.lock.json`: what each run wrote, its hash and where it came from (docs/architecture.md#decisions-worth-knowing).
 *
 * - Read with validation. A damaged lock is moved aside to `bcss.lock.json.corrupt-<timestamp>`
 *   (never deleted: it may be the only record of a long download); its valid entries are kept
 *   and the files of the others are re-checked.
 * - During a run, every completed artifact is one line appended to `bcss.lock.journal` (group
 *   commit: one write + fsync covers every line that arrived meanwhile), so recording an
 *   artifact costs O(1) however long the lock is. `LockStore.set` resolves once its line is
 *   written, so a kill -9 loses at most the artifacts whose line was not yet written (those in
 *   flight). The journal is replayed by every reader, and compacted into `bcss.lock.json`
 *   (written atomically: temp + fsync + rename) at the start of the next run and at the end of
 *   this one, after which it is removed.
 * - Nothing secret goes in: sources are URLs built by bcss without tokens (Girder tokens travel in
 *   a header) and the options fingerprint holds no credentials.
 */
import { type FileHandle, open, readFile, rename, unlink } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { z as Zod } from 'zod';
import { lazySchemas } from '../remote/lazy-zod.js';
import { ensureDir, fsyncDir, writeFileAtomic } from '../storage/atomic-file.js';
import { toDiskError } from '../storage/disk-error.js';
import { createRedactor } from '../transfer/redact.js';
import type { DatasetRecord } from './dataset-spec.js';

/**
 * The lock file at the top of an output folder: every artifact with its size, sha256, source and
 * source checksum. `verify` and reruns trust nothing else.
 *
 * @example
 * ```ts
 * import { readFile } from 'node:fs/promises';
 * import { LOCK_FILE_NAME } from 'bcss';
 * const lock = JSON.parse(await readFile(`BCSS/${LOCK_FILE_NAME}`, 'utf8'));
 * ```
 */
export const LOCK_FILE_NAME = 'bcss.lock.json';
export const LOCK_JOURNAL_NAME = 'bcss.lock.journal';
export const LOCK_VERSION = 1;

export const LOCK_KINDS = ['images', 'masks', 'annotations', 'wsi-scripts', 'meta', 'wsis'] as const;
export type LockKind = (typeof LOCK_KINDS)[number];

/** A lock path: relative, `/`-separated, inside the output folder. */
export function isSafeLockPath(p: string): boolean {
  return p.length > 0 && !p.startsWith('/') && !p.split('/').includes('..') && !p.includes('\\');
}

// Built on first use (see lazy-zod.ts): a fresh download has no lock to parse before its first request.
const schemas = lazySchemas((z) => {
  const resolution = z.discriminatedUnion('kind', [
    z.object({ kind: z.literal('mpp'), mpp: z.number().positive() }),
    z.object({ kind: z.literal('mag'), magnification: z.number().positive() }),
    z.object({ kind: z.literal('base') }),
  ]);
  const entry = z.object({
    /** Stable artifact id, e.g. `images/<file>` or `annotations/<ROI name>`. */
    id: z.string().min(1),
    kind: z.enum(LOCK_KINDS),
    /** Relative to the output folder, `/`-separated. */
    path: z.string().min(1).refine(isSafeLockPath, 'must be a relative path inside the output folder'),
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
    /** For masks: the base mask as downloaded, and which size convention it followed (docs/dataset.md#roi-bounds-and-mask-size). */
    maskBase: z
      .object({ width: z.number().int().positive(), height: z.number().int().positive(), convention: z.enum(['minus-one', 'half-open']) })
      .optional(),
    status: z.literal('done'),
    completed: z.string(),
  });
  const envelopeFields = {
    version: z.literal(LOCK_VERSION),
    tool: z.object({ name: z.string(), version: z.string() }),
    created: z.string(),
    updated: z.string(),
    /** The options of the last run that wrote this lock (no secrets). */
    options: z.object({
      resolution,
      encoding: z.enum(['png', 'jpeg']),
      maskAlign: z.enum(['resize', 'pad']),
      roiTableSha256: z.string(),
      rois: z.number().int().nonnegative(),
      components: z.array(z.string()),
    }),
    /** The folder's dataset: its spec and every ROI/artifact any run planned (dataset-spec.ts). Absent in locks of bcss before 0.2. */
    dataset: z
      .object({
        resolution,
        encoding: z.enum(['png', 'jpeg']),
        maskAlign: z.enum(['resize', 'pad']),
        roiTableSha256: z.string().regex(/^[0-9a-f]{64}$/),
        sources: z.object({
          apiUrl: z.string(),
          folderId: z.string(),
          figshareUrl: z.string(),
          figshareArticleId: z.number().int(),
          gdcUrl: z.string(),
        }),
        rois: z.array(z.string()),
        components: z.array(z.string()),
        planned: z.array(z.string()),
      })
      .optional(),
  };
  return {
    entry,
    lock: z.object({ ...envelopeFields, artifacts: z.array(entry) }),
    envelope: z.object({ ...envelopeFields, artifacts: z.array(z.unknown()) }),
    /** The first line of a journal: the envelope of the run that started it. */
    journalHeader: z.object({ journal: z.literal(LOCK_VERSION), ...envelopeFields }).omit({ version: true, updated: true }),
    journalLine: z.union([z.object({ set: z.unknown() }), z.object({ delete: z.string().min(1) })]),
  };
});

type Schemas = Awaited<ReturnType<typeof schemas>>;

export type LockEntry = Zod.infer<Schemas['entry']>;
export type LockFile = Zod.infer<Schemas['lock']>;
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
function describeIssue(error: Zod.ZodError): string {
  const issue = error.issues[0];
  return issue === undefined ? 'invalid content' : `${issue.path.join('.') || '(root)'}: ${issue.message}`;
}

/**
 * Parses lock text, salvaging what can be trusted: when the envelope is sound but some entries
 * are not (a hand edit, a bad hash, a duplicate id), the valid entries are kept and only the
 * others are dropped, so one damaged line does not cost a re-download of the whole dataset.
 */
export async function parseLockText(text: string): Promise<{ lock: LockFile | null; problem?: string }> {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    return { lock: null, problem: `not valid JSON (${(err as Error).message})` };
  }
  const s = await schemas();
  const envelope = s.envelope.safeParse(raw);
  if (!envelope.success) return { lock: null, problem: describeIssue(envelope.error) };
  const artifacts: LockEntry[] = [];
  const ids = new Set<string>();
  const dropped: string[] = [];
  envelope.data.artifacts.forEach((item, i) => {
    const entry = s.entry.safeParse(item);
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
  return { lock, problem: describeDropped(dropped) };
}

function describeDropped(dropped: readonly string[]): string {
  const more = dropped.length > 1 ? ` and ${dropped.length - 1} more` : '';
  return `${dropped.length} unusable entr${dropped.length === 1 ? 'y' : 'ies'} (${dropped[0]}${more})`;
}

export interface JournalReplay {
  /** The envelope of the run that started the journal (null if its header line is unusable). */
  header: Omit<LockFile, 'artifacts' | 'updated'> | null;
  /** Entries recorded (last line per id wins), and ids deleted after the lock was compacted. */
  set: Map<string, LockEntry>;
  deleted: Set<string>;
  /** Complete lines that could not be used (an unterminated last line, cut by a kill, is not counted). */
  dropped: string[];
}

/**
 * Replays journal text. Every complete line is one JSON object: the header first, then
 * `{"set": entry}` or `{"delete": id}`. A last line without its newline was cut short by a kill
 * (or a full disk) while being written and is ignored; empty lines are skipped.
 */
export async function replayJournal(text: string): Promise<JournalReplay> {
  const s = await schemas();
  const out: JournalReplay = { header: null, set: new Map(), deleted: new Set(), dropped: [] };
  const lines = text.split('\n');
  lines.pop(); // '' after the final newline, or an unterminated (torn) last line
  lines.forEach((line, i) => {
    if (line.trim() === '') return;
    let raw: unknown;
    try {
      raw = JSON.parse(line);
    } catch {
      out.dropped.push(`line ${i + 1}: not valid JSON`);
      return;
    }
    if (i === 0 || (out.header === null && typeof raw === 'object' && raw !== null && 'journal' in raw)) {
      const header = s.journalHeader.safeParse(raw);
      if (header.success) {
        const { journal: _version, ...rest } = header.data;
        out.header = { version: LOCK_VERSION, ...rest };
        return;
      }
      if (i === 0 && !(typeof raw === 'object' && raw !== null && ('set' in raw || 'delete' in raw))) {
        out.dropped.push(`line 1: ${describeIssue(header.error)}`);
        return;
      }
    }
    const op = s.journalLine.safeParse(raw);
    if (!op.success) {
      out.dropped.push(`line ${i + 1}: ${describeIssue(op.error)}`);
      return;
    }
    if ('delete' in op.data) {
      out.set.delete(op.data.delete);
      out.deleted.add(op.data.delete);
      return;
    }
    const entry = s.entry.safeParse(op.data.set);
    if (!entry.success) {
      out.dropped.push(`line ${i + 1}: ${describeIssue(entry.error)}`);
      return;
    }
    out.set.set(entry.data.id, entry.data);
    out.deleted.delete(entry.data.id);
  });
  return out;
}

export interface ReadLockResult {
  /** The lock with the journal replayed over it (null = neither exists). */
  lock: LockFile | null;
  /** Set when a lock or journal existed but was damaged (then `lock` holds what could be salvaged). */
  warning?: string;
  /** Where the damaged lock was moved to. */
  movedTo?: string;
  /** True when a journal was found (and replayed): the next writer should compact it. */
  journal?: boolean;
}

async function readOptional(path: string): Promise<string | null> {
  try {
    return await readFile(path, 'utf8');
  } catch (err) {
    if ((err as { code?: unknown }).code === 'ENOENT') return null;
    throw toDiskError(err, path, 'read');
  }
}

/**
 * Reads and validates the lock of `outDir` and replays its journal over it. Missing → `{ lock:
 * null }`. A damaged lock (or journal) is moved aside (never deleted: it may be the only record
 * of a long download; not when `moveAside` is false, for dry runs and verify, which must not
 * write) with a warning; whatever entries could be salvaged are returned, and the files of the
 * others are re-checked. Other read errors (permissions, a folder in its place) are DiskErrors.
 */
export async function readLock(outDir: string, options: { moveAside: boolean; now?: () => Date }): Promise<ReadLockResult> {
  const path = join(outDir, LOCK_FILE_NAME);
  const journalPath = join(outDir, LOCK_JOURNAL_NAME);
  const text = await readOptional(path);
  const journalText = await readOptional(journalPath);
  if (text === null && journalText === null) return { lock: null };
  const now = options.now ?? (() => new Date());

  const problems: string[] = [];
  let lock: LockFile | null = null;
  let lockDamaged = false;
  if (text !== null) {
    const parsed = await parseLockText(text);
    lock = parsed.lock;
    if (parsed.problem !== undefined) {
      lockDamaged = true;
      problems.push(`${LOCK_FILE_NAME} is damaged (${parsed.problem})`);
    }
  }
  let journalDamaged = false;
  if (journalText !== null) {
    const replay = await replayJournal(journalText);
    if (replay.dropped.length > 0) {
      journalDamaged = true;
      problems.push(`${LOCK_JOURNAL_NAME} has ${describeDropped(replay.dropped)}`);
    }
    const base = lock ?? (replay.header === null ? null : { ...replay.header, updated: replay.header.created, artifacts: [] });
    if (base !== null) {
      const merged = new Map(base.artifacts.map((a) => [a.id, a] as const));
      for (const id of replay.deleted) merged.delete(id);
      for (const [id, e] of replay.set) merged.set(id, e);
      lock = { ...base, artifacts: [...merged.values()] };
    } else if (replay.set.size > 0) {
      journalDamaged = true;
      problems.push(`${LOCK_JOURNAL_NAME} has no usable header and there is no ${LOCK_FILE_NAME} to go with it`);
    }
  }
  const result: ReadLockResult = { lock, ...(journalText === null ? {} : { journal: true }) };
  if (problems.length === 0) return result;

  const kept = lock === null ? 'every file' : `the files of the dropped entries (${lock.artifacts.length} valid entries kept)`;
  const what = problems.join('; ');
  if (!options.moveAside) return { ...result, warning: `${what}; it would be moved aside and ${kept} re-checked` };
  const stamp = fileTimestamp(now());
  let movedTo: string | undefined;
  const moveAside = async (from: string): Promise<string> => {
    const to = `${from}.corrupt-${stamp}`;
    try {
      await rename(from, to);
    } catch (err) {
      throw toDiskError(err, from, 'move aside the damaged');
    }
    return to;
  };
  if (lockDamaged) movedTo = await moveAside(path);
  if (journalDamaged) {
    const to = await moveAside(journalPath);
    movedTo ??= to;
  }
  return { ...result, ...(movedTo === undefined ? {} : { movedTo }), warning: `${what.replace(/ is damaged/, ' was damaged')}; moved it to ${movedTo} and re-checking ${kept}` };
}

/** Checks what a reader would refuse, so that a bug can never write a lock the next run distrusts. */
function checkEntry(e: LockEntry): void {
  const bad = (what: string): never => {
    throw new Error(`lock entry ${JSON.stringify(e.id)}: ${what}`);
  };
  if (typeof e.id !== 'string' || e.id === '') bad('empty id');
  if (!(LOCK_KINDS as readonly string[]).includes(e.kind)) bad(`unknown kind ${String(e.kind)}`);
  if (typeof e.path !== 'string' || !isSafeLockPath(e.path)) bad(`path ${JSON.stringify(e.path)} is not a relative path inside the output folder`);
  if (!Number.isSafeInteger(e.bytes) || e.bytes < 0) bad(`bytes ${String(e.bytes)}`);
  if (typeof e.sha256 !== 'string' || !/^[0-9a-f]{64}$/.test(e.sha256)) bad(`sha256 ${JSON.stringify(e.sha256)} is not 64 hex digits`);
  if (e.status !== 'done') bad(`status ${String(e.status)}`);
}

/**
 * The lock as JSON text: stable order (artifacts by id), two-space indent, final newline. The
 * entries were built by bcss and are checked against what a reader would refuse (cheaply: this
 * runs at every compaction, over every entry).
 */
export function serializeLock(lock: LockFile): string {
  for (const e of lock.artifacts) checkEntry(e);
  const artifacts = [...lock.artifacts].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const ordered: LockFile = {
    version: lock.version,
    tool: lock.tool,
    created: lock.created,
    updated: lock.updated,
    options: lock.options,
    ...(lock.dataset === undefined ? {} : { dataset: lock.dataset }),
    artifacts,
  };
  return `${JSON.stringify(ordered, null, 2)}\n`;
}

export interface LockStoreOptions {
  outDir: string;
  /**
   * Applied to every source URL before it is recorded (default: mask credential-looking query
   * parameters). URLs from a listing (figshare `download_url`) are the server's, not ours, and
   * may carry a signature or token.
   */
  redact?: (text: string) => string;
  /** The lock read at start, journal replayed (null = none). */
  previous: LockFile | null;
  toolVersion: string;
  options: LockOptions;
  /** The folder's dataset record (written into the lock and the journal header). */
  dataset?: DatasetRecord;
  now?: () => Date;
  /** Makes a folder's entries durable (default: fsync it); injectable for tests. */
  syncDir?: (dir: string) => Promise<void>;
}

/**
 * The lock of a running download: in-memory entries, an append-only journal for durability, and
 * a compacted `bcss.lock.json` written by `compact()` (at the start of a run that found a
 * journal, and by `close()` at its end).
 */
export class LockStore {
  readonly path: string;
  readonly journalPath: string;
  readonly #outDir: string;
  readonly #entries = new Map<string, LockEntry>();
  readonly #created: string;
  readonly #toolVersion: string;
  readonly #options: LockOptions;
  readonly #dataset: DatasetRecord | undefined;
  readonly #now: () => Date;
  readonly #redact: (text: string) => string;
  #journal: FileHandle | null = null;
  /** Lines waiting for the next journal write. */
  #pending: string[] = [];
  /** The write + fsync in progress, if any. */
  #writing: Promise<void> | null = null;
  /** The write that will carry the pending lines (started when the current one ends). */
  #next: Promise<void> | null = null;
  /** A failed write may have left half a line: the next write starts on a new line. */
  #torn = false;
  #dirty = false;
  /** Folders holding files recorded since the last write, synced before their lines go out. */
  #dirs = new Set<string>();
  readonly #syncDir: (dir: string) => Promise<void>;

  constructor(opts: LockStoreOptions) {
    this.#outDir = opts.outDir;
    this.path = join(opts.outDir, LOCK_FILE_NAME);
    this.journalPath = join(opts.outDir, LOCK_JOURNAL_NAME);
    this.#now = opts.now ?? (() => new Date());
    this.#redact = opts.redact ?? createRedactor();
    this.#created = opts.previous?.created ?? this.#now().toISOString();
    this.#toolVersion = opts.toolVersion;
    this.#options = opts.options;
    this.#dataset = opts.dataset ?? opts.previous?.dataset;
    this.#syncDir = opts.syncDir ?? fsyncDir;
    for (const e of opts.previous?.artifacts ?? []) this.#entries.set(e.id, e);
  }

  get(id: string): LockEntry | undefined {
    return this.#entries.get(id);
  }

  entries(): LockEntry[] {
    return [...this.#entries.values()];
  }

  /**
   * Record an artifact: one journal line. Resolves once the line is written and fsynced; rejects
   * (DiskError) if that write failed, so the caller learns that the artifact is not yet recorded
   * instead of finding out at the end of a long run (the line stays queued for the next write).
   * The file's folder is synced first (once per batch), so a recorded name is a durable one: the
   * steps rename files into place without syncing the folder themselves.
   */
  set(entry: LockEntry): Promise<void> {
    const url = entry.source.url === null ? null : this.#redact(entry.source.url);
    const recorded = url === entry.source.url ? entry : { ...entry, source: { ...entry.source, url } };
    this.#entries.set(entry.id, recorded);
    this.#dirs.add(dirname(join(this.#outDir, entry.path)));
    return this.#append(JSON.stringify({ set: recorded }));
  }

  /** Forget an artifact (its file no longer matches). */
  delete(id: string): Promise<void> {
    if (!this.#entries.delete(id)) return Promise.resolve();
    return this.#append(JSON.stringify({ delete: id }));
  }

  snapshot(): LockFile {
    return {
      version: LOCK_VERSION,
      tool: { name: 'bcss', version: this.#toolVersion },
      created: this.#created,
      updated: this.#now().toISOString(),
      options: this.#options,
      ...(this.#dataset === undefined ? {} : { dataset: this.#dataset }),
      artifacts: this.entries(),
    };
  }

  /** Waits until every line recorded so far is on disk; throws (DiskError) if the last try failed. */
  async flush(): Promise<void> {
    while (this.#writing !== null || this.#next !== null) await (this.#next ?? this.#writing)?.catch(() => undefined);
    if (this.#pending.length > 0) await this.#schedule();
  }

  /**
   * Writes every entry into `bcss.lock.json` (atomically) and removes the journal. If the write
   * fails (a full disk), the journal stays and still records everything: nothing is lost.
   */
  async compact(): Promise<void> {
    await this.flush().catch(() => undefined);
    await writeFileAtomic(this.path, serializeLock(this.snapshot()));
    this.#dirty = false;
    // Only now may the journal go: the compacted lock holds all of it.
    await this.#closeJournal();
    this.#pending = [];
    try {
      await unlink(this.journalPath);
    } catch (err) {
      if ((err as { code?: unknown }).code !== 'ENOENT') throw toDiskError(err, this.journalPath, 'remove');
    }
    await fsyncDir(this.#outDir);
  }

  /** End of a run: compact if anything was recorded since the last compaction. */
  async close(): Promise<void> {
    if (this.#dirty || this.#pending.length > 0 || this.#journal !== null) await this.compact();
  }

  #append(line: string): Promise<void> {
    this.#dirty = true;
    this.#pending.push(line);
    return this.#schedule();
  }

  #schedule(): Promise<void> {
    if (this.#writing === null) {
      this.#writing = this.#writeOnce().finally(() => {
        this.#writing = null;
      });
      return this.#writing;
    }
    // A write is running: queue exactly one more, which picks up every line added meanwhile.
    this.#next ??= this.#writing
      .catch(() => undefined)
      .then(() => {
        this.#next = null;
        return this.#schedule();
      });
    return this.#next;
  }

  async #writeOnce(): Promise<void> {
    const lines = this.#pending;
    this.#pending = [];
    if (lines.length === 0) return;
    // The renames of the files these lines record must be durable before the lines are.
    const dirs = [...this.#dirs];
    this.#dirs.clear();
    await Promise.all(dirs.map((d) => this.#syncDir(d)));
    let text = `${lines.join('\n')}\n`;
    if (this.#torn) text = `\n${text}`;
    try {
      if (this.#journal === null) {
        await ensureDir(this.#outDir);
        const handle = await open(this.journalPath, 'a', 0o644);
        try {
          const info = await handle.stat();
          // A new journal starts with the envelope, so it can be read without bcss.lock.json.
          if (info.size === 0) text = `${JSON.stringify(this.#header())}\n${text}`;
        } catch (err) {
          await handle.close().catch(() => undefined);
          throw err;
        }
        this.#journal = handle;
      }
      await this.#journal.write(text);
      this.#torn = false;
      await this.#journal.sync();
    } catch (err) {
      // These lines are still unrecorded: the next write (or compaction) must carry them.
      this.#torn = true;
      this.#pending = [...lines, ...this.#pending];
      throw toDiskError(err, this.journalPath, 'append to');
    }
  }

  #header(): Record<string, unknown> {
    const dataset = this.#dataset === undefined ? {} : { dataset: this.#dataset };
    return { journal: LOCK_VERSION, tool: { name: 'bcss', version: this.#toolVersion }, created: this.#created, options: this.#options, ...dataset };
  }

  async #closeJournal(): Promise<void> {
    const handle = this.#journal;
    this.#journal = null;
    await handle?.close().catch(() => undefined);
  }
}

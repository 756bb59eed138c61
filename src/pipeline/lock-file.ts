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
import { ensureDir, fsyncDir, writeFileAtomic } from '../storage/atomic-file.js';
import { toDiskError } from '../storage/disk-error.js';
import { createRedactor } from '../transfer/redact.js';
import type { Resolution } from '../geometry/types.js';
import { sha256Hex } from './hash-file.js';
import {
  arrayOf,
  compact,
  get,
  isInt,
  isNonEmptyString,
  isNonNegative,
  isNonNegativeInt,
  isObject,
  isPositive,
  isPositiveInt,
  isString,
  matches,
  objectAt,
  oneOf,
  optional,
  run,
  type Checked,
  type Obj,
} from '../validation/checks.js';
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

export interface LockEntry {
  /** Stable artifact id, e.g. `images/<file>` or `annotations/<ROI name>`. */
  id: string;
  kind: LockKind;
  /** Relative to the output folder, `/`-separated. */
  path: string;
  bytes: number;
  sha256: string;
  /** mtime when the hash was last established; a matching size + mtime skips re-hashing. */
  mtimeMs?: number;
  source: {
    /** Where the bytes came from (no secrets); null for files bcss generates itself. */
    url: string | null;
    /** Everything that decides the content; a change means the artifact must be made again. */
    params: Record<string, unknown>;
  };
  /** The source's own checksum, e.g. figshare `computed_md5` for masks. */
  sourceChecksum?: { md5?: string };
  /**
   * Images: which source made the pixels, the DSA's render or bcss from the local slide
   * (`--image-source`). Absent in locks of bcss before 0.3: see `imageSourceOf`.
   */
  imageSource?: 'dsa' | 'wsi';
  width?: number;
  height?: number;
  /** For masks: the base mask as downloaded, and which size convention it followed (docs/dataset.md#roi-bounds-and-mask-size). */
  maskBase?: { width: number; height: number; convention: 'minus-one' | 'half-open' };
  status: 'done';
  completed: string;
}

/** Which source made an image entry; older locks say it only by the URL (`wsi:<slide file>` for a local render). */
export function imageSourceOf(entry: Pick<LockEntry, 'imageSource' | 'source'>): 'dsa' | 'wsi' {
  return entry.imageSource ?? (entry.source.url?.startsWith('wsi:') === true ? 'wsi' : 'dsa');
}

/** The options of the last run that wrote this lock (no secrets). */
export interface LockOptions {
  resolution: Resolution;
  encoding: 'png' | 'jpeg';
  maskAlign: 'resize' | 'pad';
  roiTableSha256: string;
  rois: number;
  components: string[];
}

export interface LockFile {
  version: typeof LOCK_VERSION;
  tool: { name: string; version: string };
  created: string;
  updated: string;
  options: LockOptions;
  /** The folder's dataset: its spec and every ROI/artifact any run planned (dataset-spec.ts). Absent in locks of bcss before 0.2. */
  dataset?: DatasetRecord;
  artifacts: LockEntry[];
}

// Checked by hand (validation/checks.ts): the lock is read on every rerun, and a schema library
// would cost that command more CPU than the rest of its work (remote/json-checks.ts).
const SHA256 = /^[0-9a-f]{64}$/;
const MD5 = /^[0-9a-f]{32}$/;
const ENCODINGS = ['png', 'jpeg'] as const;
const MASK_ALIGNS = ['resize', 'pad'] as const;
const strings = arrayOf(isString);

function resolutionAt(raw: unknown, path: string): Resolution {
  const o = objectAt(raw, path);
  const p = `${path}.`;
  const kind = get<Resolution['kind']>(o, 'kind', p, oneOf(['mpp', 'mag', 'base']), '"mpp", "mag" or "base"');
  if (kind === 'mpp') return { kind, mpp: get<number>(o, 'mpp', p, isPositive, 'a number > 0') };
  if (kind === 'mag') return { kind, magnification: get<number>(o, 'magnification', p, isPositive, 'a number > 0') };
  return { kind };
}

function entryAt(raw: unknown): LockEntry {
  const o = objectAt(raw, '');
  const int = (key: string, path = ''): number | undefined => optional<number>(o, key, path, isPositiveInt, 'a positive integer');
  const source = objectAt(o.source, 'source');
  const checksum = o.sourceChecksum === undefined ? undefined : objectAt(o.sourceChecksum, 'sourceChecksum');
  const maskBase = o.maskBase === undefined ? undefined : objectAt(o.maskBase, 'maskBase');
  return compact<LockEntry>({
    id: get<string>(o, 'id', '', isNonEmptyString, 'a non-empty string'),
    kind: get<LockKind>(o, 'kind', '', oneOf(LOCK_KINDS), `one of ${LOCK_KINDS.join(', ')}`),
    path: get<string>(o, 'path', '', (v) => typeof v === 'string' && isSafeLockPath(v), 'a relative path inside the output folder'),
    bytes: get<number>(o, 'bytes', '', isNonNegativeInt, 'a non-negative integer'),
    sha256: get<string>(o, 'sha256', '', matches(SHA256), '64 lower-case hex digits'),
    mtimeMs: optional<number>(o, 'mtimeMs', '', isNonNegative, 'a number >= 0'),
    source: {
      url: get<string | null>(source, 'url', 'source.', (v) => v === null || isString(v), 'a string or null'),
      params: get<Record<string, unknown>>(source, 'params', 'source.', isObject, 'an object'),
    },
    sourceChecksum: checksum && compact({ md5: optional<string>(checksum, 'md5', 'sourceChecksum.', matches(MD5), '32 lower-case hex digits') }),
    imageSource: optional<'dsa' | 'wsi'>(o, 'imageSource', '', oneOf(['dsa', 'wsi']), '"dsa" or "wsi"'),
    width: int('width'),
    height: int('height'),
    maskBase: maskBase && {
      width: get<number>(maskBase, 'width', 'maskBase.', isPositiveInt, 'a positive integer'),
      height: get<number>(maskBase, 'height', 'maskBase.', isPositiveInt, 'a positive integer'),
      convention: get<'minus-one' | 'half-open'>(maskBase, 'convention', 'maskBase.', oneOf(['minus-one', 'half-open']), '"minus-one" or "half-open"'),
    },
    status: get<'done'>(o, 'status', '', (v) => v === 'done', '"done"'),
    completed: get<string>(o, 'completed', '', isString, 'a string'),
  });
}

function optionsAt(raw: unknown): LockOptions {
  const o = objectAt(raw, 'options');
  return {
    resolution: resolutionAt(o.resolution, 'options.resolution'),
    encoding: get(o, 'encoding', 'options.', oneOf(ENCODINGS), '"png" or "jpeg"'),
    maskAlign: get(o, 'maskAlign', 'options.', oneOf(MASK_ALIGNS), '"resize" or "pad"'),
    roiTableSha256: get(o, 'roiTableSha256', 'options.', isString, 'a string'),
    rois: get(o, 'rois', 'options.', isNonNegativeInt, 'a non-negative integer'),
    components: get(o, 'components', 'options.', strings, 'an array of strings'),
  };
}

function datasetAt(raw: unknown): DatasetRecord {
  const o = objectAt(raw, 'dataset');
  const s = objectAt(o.sources, 'dataset.sources');
  const str = (key: string): string => get(s, key, 'dataset.sources.', isString, 'a string');
  const list = (key: string): string[] => get(o, key, 'dataset.', strings, 'an array of strings');
  return {
    resolution: resolutionAt(o.resolution, 'dataset.resolution'),
    encoding: get(o, 'encoding', 'dataset.', oneOf(ENCODINGS), '"png" or "jpeg"'),
    maskAlign: get(o, 'maskAlign', 'dataset.', oneOf(MASK_ALIGNS), '"resize" or "pad"'),
    roiTableSha256: get(o, 'roiTableSha256', 'dataset.', matches(SHA256), '64 lower-case hex digits'),
    sources: {
      apiUrl: str('apiUrl'),
      folderId: str('folderId'),
      figshareUrl: str('figshareUrl'),
      figshareArticleId: get(s, 'figshareArticleId', 'dataset.sources.', isInt, 'an integer'),
      gdcUrl: str('gdcUrl'),
    },
    rois: list('rois'),
    components: list('components'),
    planned: list('planned'),
  };
}

type Header = Omit<LockFile, 'artifacts' | 'updated'>;

/** The envelope fields a journal header shares with the lock (no `version`, no `updated`). */
function headerFieldsAt(o: Obj): Omit<Header, 'version'> {
  return compact({
    tool: {
      name: get<string>(objectAt(o.tool, 'tool'), 'name', 'tool.', isString, 'a string'),
      version: get<string>(objectAt(o.tool, 'tool'), 'version', 'tool.', isString, 'a string'),
    },
    created: get<string>(o, 'created', '', isString, 'a string'),
    options: optionsAt(o.options),
    dataset: o.dataset === undefined ? undefined : datasetAt(o.dataset),
  });
}

/** A lock with its artifacts left unchecked (each is checked on its own, so one bad entry costs only itself). */
function envelopeAt(raw: unknown): Omit<LockFile, 'artifacts'> & { artifacts: unknown[] } {
  const o = objectAt(raw, '');
  const version = get<typeof LOCK_VERSION>(o, 'version', '', (v) => v === LOCK_VERSION, String(LOCK_VERSION));
  const fields = headerFieldsAt(o);
  const updated = get<string>(o, 'updated', '', isString, 'a string');
  return { version, ...fields, updated, artifacts: get<unknown[]>(o, 'artifacts', '', Array.isArray, 'an array') };
}

function journalHeaderAt(raw: unknown): Header {
  const o = objectAt(raw, '');
  get(o, 'journal', '', (v) => v === LOCK_VERSION, String(LOCK_VERSION));
  return { version: LOCK_VERSION, ...headerFieldsAt(o) };
}

function journalLineAt(raw: unknown): { set: unknown } | { delete: string } {
  const o = objectAt(raw, '');
  if ('set' in o) return { set: o.set };
  return { delete: get<string>(o, 'delete', '', isNonEmptyString, 'a non-empty string (or a `set` entry)') };
}

const readEntry = (raw: unknown): Checked<LockEntry> => run(() => entryAt(raw));

/** `2024-05-01T10-20-30-123Z`: an ISO time usable in file names on every platform. */
export function fileTimestamp(date: Date): string {
  return date.toISOString().replace(/[:.]/g, '-');
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
  const envelope = run(() => envelopeAt(raw));
  if (!envelope.ok) return { lock: null, problem: envelope.issue };
  const artifacts: LockEntry[] = [];
  const ids = new Set<string>();
  const dropped: string[] = [];
  envelope.value.artifacts.forEach((item, i) => {
    const entry = readEntry(item);
    if (!entry.ok) dropped.push(`artifacts.${i}.${entry.issue}`);
    else if (ids.has(entry.value.id)) dropped.push(`artifact ${entry.value.id} is listed twice`);
    else {
      ids.add(entry.value.id);
      artifacts.push(entry.value);
    }
  });
  const lock: LockFile = { ...envelope.value, artifacts };
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
      const header = run(() => journalHeaderAt(raw));
      if (header.ok) {
        out.header = header.value;
        return;
      }
      if (i === 0 && !(typeof raw === 'object' && raw !== null && ('set' in raw || 'delete' in raw))) {
        out.dropped.push(`line 1: ${header.issue}`);
        return;
      }
    }
    const op = run(() => journalLineAt(raw));
    if (!op.ok) {
      out.dropped.push(`line ${i + 1}: ${op.issue}`);
      return;
    }
    if ('delete' in op.value) {
      out.set.delete(op.value.delete);
      out.deleted.add(op.value.delete);
      return;
    }
    const entry = readEntry(op.value.set);
    if (!entry.ok) {
      out.dropped.push(`line ${i + 1}: ${entry.issue}`);
      return;
    }
    out.set.set(entry.value.id, entry.value);
    out.deleted.delete(entry.value.id);
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

/**
 * The options an offline command (`extract`, `rasterize`) records: a previous lock keeps its own,
 * since they describe the folder's download; a new lock records the command's resolution and the
 * one component it makes.
 */
export function offlineLockOptions(previous: LockFile | null, resolution: Resolution, component: string, rois: number): LockOptions {
  return (
    previous?.options ?? {
      resolution,
      encoding: 'png',
      maskAlign: 'resize',
      roiTableSha256: sha256Hex(''),
      rois,
      components: [component],
    }
  );
}

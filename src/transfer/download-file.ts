/**
 * `download`: stream a body into `.<name>.<random>.part` next to the destination, hashing while
 * writing, check size / md5 / content / caller validation, then fsync, rename and fsync the
 * folder. A partial file never carries the final name, and the temp file is removed on any
 * failure. After a dropped connection the next attempt asks for the missing bytes only
 * (download-attempt.ts).
 */
import type { FileHandle } from 'node:fs/promises';
import { rename } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { UsageError } from '../errors.js';
import { fsyncDir, openNewFile, removeQuietly, tempPathFor } from '../storage/atomic-file.js';
import { toDiskError } from '../storage/disk-error.js';
import { attempt } from './attempt.js';
import { downloadAttempt } from './download-attempt.js';
import type { EngineContext } from './engine-context.js';
import { abortReason } from './lane-limiter.js';
import { PartialBody } from './partial-body.js';
import { checkExpectations, checkSniffKind, prepareRequest } from './prepared-request.js';
import type { DownloadSpec, StoredFile } from './types.js';

export async function downloadFile(ctx: EngineContext, spec: DownloadSpec): Promise<StoredFile> {
  const req = prepareRequest(ctx, spec, 'download');
  const sniff = checkSniffKind(spec.sniff);
  const expected = checkExpectations(spec);
  if (typeof spec.destPath !== 'string' || spec.destPath === '') {
    throw new UsageError(`expected a destination path for ${req.redact(req.url)} but received ${JSON.stringify(spec.destPath)}`);
  }
  if (spec.validate !== undefined && typeof spec.validate !== 'function') {
    throw new UsageError('expected a function for validate');
  }
  if (ctx.signal?.aborted) throw abortReason(ctx.signal);
  const destPath = resolve(spec.destPath);
  const tempPath = tempPathFor(destPath);
  let handle: FileHandle;
  try {
    handle = await openNewFile(tempPath);
  } catch (err) {
    throw toDiskError(err, tempPath, 'create temp file');
  }
  if (spec.inspect !== undefined && typeof spec.inspect !== 'function') throw new UsageError('expected a function for inspect');
  const body = new PartialBody(tempPath, handle, expected.md5 !== undefined, spec.inspect);
  const file = { handle, closed: false };
  let committed = false;
  try {
    const answer = await attempt(ctx, req, (one) => downloadAttempt(one, { spec, req, sniff, expected, body }));
    const md5 = body.md5?.copy().digest('hex') ?? null;
    const sha256 = body.sha256.copy().digest('hex');
    const mtimeMs = await commit(file, tempPath, destPath);
    committed = true;
    if (spec.syncDir !== false) await fsyncDir(dirname(destPath));
    return { path: destPath, bytes: body.written, sha256, md5, mtimeMs, status: answer.status, headers: answer.headers };
  } finally {
    if (!file.closed) await handle.close().catch(() => undefined);
    if (!committed) await removeQuietly(tempPath);
  }
}

/** fsync, close and rename the temp file onto its final name; returns its mtime. */
async function commit(file: { handle: FileHandle; closed: boolean }, tempPath: string, destPath: string): Promise<number> {
  let step = 'flush';
  try {
    await file.handle.sync();
    // The rename keeps it: callers record it without another stat of the path.
    step = 'stat';
    const mtimeMs = (await file.handle.stat()).mtimeMs;
    step = 'close';
    file.closed = true;
    await file.handle.close();
    step = 'rename';
    await rename(tempPath, destPath);
    return mtimeMs;
  } catch (err) {
    throw toDiskError(err, step === 'rename' ? destPath : tempPath, step === 'rename' ? 'replace' : step);
  }
}

/** Waiting for files whose bytes are made on first need (ServedFile.ready / GdcFile.ready). */

interface MaybeLazy {
  ready?(): Promise<void>;
}

/** Resolves when every file in `files` knows its size (and md5); files without `ready` always do. */
export async function filesReady(files: Iterable<MaybeLazy>): Promise<void> {
  const waits: Promise<void>[] = [];
  for (const f of files) if (f.ready !== undefined) waits.push(f.ready());
  await Promise.all(waits);
}

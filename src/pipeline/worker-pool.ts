/**
 * A bounded worker pool over heterogeneous tasks. Besides the overall limit, each kind has its
 * own cap, taken from the politeness lane it waits on: otherwise eight workers could all sit in
 * the 1-request-per-second figshare queue while the DSA render lane idles. Tasks must not reject
 * (they report their own failures); the pool stops taking new tasks once `stop()` is true.
 */

export interface PoolTask {
  kind: string;
  run: () => Promise<void>;
}

export interface PoolOptions {
  concurrency: number;
  /** Most tasks of one kind at once; kinds not listed are limited only by `concurrency`. */
  caps?: Readonly<Record<string, number>>;
  stop?: () => boolean;
}

/** Runs tasks in order of the list (skipping over kinds at their cap); returns the ones never started. */
export function runPool(tasks: readonly PoolTask[], options: PoolOptions): Promise<PoolTask[]> {
  const concurrency = Math.max(1, Math.floor(options.concurrency));
  const caps = options.caps ?? {};
  const stop = options.stop ?? (() => false);
  const pending = [...tasks];
  const perKind = new Map<string, number>();
  let active = 0;
  return new Promise((resolve) => {
    let done = false;
    const finish = (): void => {
      if (!done) {
        done = true;
        resolve(pending);
      }
    };
    const pump = (): void => {
      if (done) return;
      if (!stop()) {
        while (active < concurrency) {
          const i = pending.findIndex((t) => (perKind.get(t.kind) ?? 0) < Math.max(1, caps[t.kind] ?? Infinity));
          if (i < 0) break;
          const [task] = pending.splice(i, 1) as [PoolTask];
          active++;
          perKind.set(task.kind, (perKind.get(task.kind) ?? 0) + 1);
          let p: Promise<void>;
          try {
            p = task.run();
          } catch (err) {
            p = Promise.reject(err instanceof Error ? err : new Error(String(err), { cause: err }));
          }
          p.catch(() => undefined).finally(() => {
            active--;
            perKind.set(task.kind, (perKind.get(task.kind) ?? 1) - 1);
            pump();
          });
        }
      }
      if (active === 0 && (pending.length === 0 || stop())) finish();
    };
    pump();
  });
}

/**
 * sharp (libvips), loaded on first use: loading it costs ~80 ms of main-thread time, which a run
 * should spend while its first requests are on the wire, not before sending them, and which a
 * run that converts no mask (a rerun, images only) should not spend at all.
 */
import type Sharp from 'sharp';

export type SharpModule = typeof Sharp;

let loading: Promise<SharpModule> | null = null;
const configure: Array<(sharp: SharpModule) => void> = [];

export function loadSharp(): Promise<SharpModule> {
  loading ??= import('sharp').then((m) => {
    for (const fn of configure.splice(0)) fn(m.default);
    return m.default;
  });
  return loading;
}

/** Runs `fn` on sharp once it is loaded (now, if it already is); e.g. the CLI turns its cache off. */
export function whenSharpLoads(fn: (sharp: SharpModule) => void): void {
  if (loading === null) configure.push(fn);
  else void loading.then(fn, () => undefined);
}

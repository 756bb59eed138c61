/**
 * Girder's dispatcher (CherryPy MethodDispatcher) drops empty path segments, so the BCSS script's
 * `/api/v1//item/<id>/tiles/region` works and a trailing `/` is harmless (docs/protocols.md#girder-transport).
 */
export function collapseSlashes(path: string): string {
  return path.replace(/\/{2,}/g, '/');
}

/** Non-empty segments of a path, percent-decoded like CherryPy does; null if undecodable. */
export function pathSegments(path: string): string[] | null {
  const out: string[] = [];
  for (const raw of path.split('/')) {
    if (raw === '') continue;
    try {
      out.push(decodeURIComponent(raw));
    } catch {
      return null;
    }
  }
  return out;
}

/**
 * The part of `path` under `base` (both slash-collapsed), or null when `path` is not under it.
 * `/api/v1` and `/api/v1/...` are under `/api/v1`; `/api/v10` is not.
 */
export function relativeTo(path: string, base: string): string | null {
  if (path === base) return '/';
  if (path.startsWith(base + '/')) return path.slice(base.length);
  return null;
}

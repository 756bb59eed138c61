import type { GirderHandler } from './girder-request.js';

export interface Route {
  method: string;
  /** Segments after the resource name; `:name` is a wildcard. */
  path: string[];
  handler: GirderHandler;
}

/**
 * Girder's `Resource._matchRoute`: same segment count, and literal segments win over wildcards
 * (routes are tried in order of their literal/wildcard pattern, literals first).
 */
export function matchRoute(
  routes: Route[],
  method: string,
  segments: string[],
): { route: Route; args: Record<string, string> } | null {
  const candidates = routes
    .filter((r) => r.method === method && r.path.length === segments.length)
    .sort((a, b) => {
      for (let i = 0; i < a.path.length; i++) {
        const wa = (a.path[i] as string).startsWith(':') ? 1 : 0;
        const wb = (b.path[i] as string).startsWith(':') ? 1 : 0;
        if (wa !== wb) return wa - wb;
      }
      return 0;
    });
  for (const route of candidates) {
    const args: Record<string, string> = {};
    let ok = true;
    route.path.forEach((part, i) => {
      const seg = segments[i] as string;
      if (part.startsWith(':')) args[part.slice(1)] = seg;
      else if (part !== seg) ok = false;
    });
    if (ok) return { route, args };
  }
  return null;
}

/**
 * A flat route table for the figshare and GDC services: the table is both what dispatch uses and
 * what tests enumerate, so a route cannot exist without being listed (and walked by the
 * private-mode test).
 */
export interface TableRoute<H> {
  /** Methods answered; HEAD is listed where GET's handler also answers HEAD. */
  methods: readonly string[];
  /** Segments; `:name` matches one segment, a final `*` any number (0 or more). */
  path: readonly string[];
  handler: H;
}

export interface RouteMatch<H> {
  route: TableRoute<H>;
  args: Record<string, string>;
  /** Segments matched by a trailing `*`. */
  rest: string[];
}

function matchPath(pattern: readonly string[], segments: string[]): { args: Record<string, string>; rest: string[] } | null {
  const args: Record<string, string> = {};
  for (let i = 0; i < pattern.length; i++) {
    const part = pattern[i] as string;
    if (part === '*' && i === pattern.length - 1) return { args, rest: segments.slice(i) };
    const seg = segments[i];
    if (seg === undefined) return null;
    if (part.startsWith(':')) args[part.slice(1)] = seg;
    else if (part !== seg) return null;
  }
  return segments.length === pattern.length ? { args, rest: [] } : null;
}

/** The first route whose path matches; `methodAllowed` false when the path matched under another method only. */
export function matchTable<H>(
  table: readonly TableRoute<H>[],
  method: string,
  segments: string[],
): { match: RouteMatch<H> | null; pathMatched: boolean } {
  let pathMatched = false;
  for (const route of table) {
    const m = matchPath(route.path, segments);
    if (m === null) continue;
    pathMatched = true;
    if (route.methods.includes(method)) return { match: { route, ...m }, pathMatched };
  }
  return { match: null, pathMatched };
}

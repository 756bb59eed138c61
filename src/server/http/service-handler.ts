import type { IncomingMessage, ServerResponse } from 'node:http';

/**
 * One protocol (Girder, figshare, GDC) mounted under a base path of the shared `bcss serve` server.
 * `path` is the request path relative to the service's base, repeated slashes collapsed;
 * `url` is the full request URL (query included); `body` is the request body already read.
 */
export type ServiceHandler = (
  req: IncomingMessage,
  res: ServerResponse,
  ctx: { path: string; url: URL; body: Buffer; log: (note: string) => void },
) => Promise<void>;

/** A service whose routes come from a table, listed for tests that must visit every route. */
export type TableServiceHandler = ServiceHandler & { routes: ReadonlyArray<{ methods: readonly string[]; path: readonly string[] }> };

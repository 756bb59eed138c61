import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { ServedDataset } from './dataset-types.js';
import { FaultInjector, type FaultKind, type FaultOptions, type ServiceName } from './faults.js';
import { createFigshareHandler } from './figshare/figshare-handler.js';
import { createGdcHandler } from './gdc/gdc-handler.js';
import { GirderAuth, type GirderUserSpec } from './girder/auth.js';
import { createGirderHandler } from './girder/girder-handler.js';
import { DEFAULT_REGION_LIMITS, RegionService, type RegionLimits } from './girder/region-service.js';
import { GirderStore } from './girder/store.js';
import { DEFAULT_RENDER_MEMORY_MB, RenderBudget } from './render-budget.js';
import { BodyTooLargeError, readBody } from './http/body.js';
import { girderJson } from './girder/girder-json.js';
import { challengePage, cherryPyErrorPage, maintenancePage, proxyErrorPage } from './http/html-pages.js';
import { collapseSlashes, relativeTo } from './http/paths.js';
import { shapeResponse, type BodyCut } from './http/response-shaper.js';
import type { ServiceHandler } from './http/service-handler.js';
import { realClock } from './http/token-bucket.js';
import { redactTarget, RequestLog, type RequestLogEntry } from './request-log.js';

export type { RequestLogEntry } from './request-log.js';

export interface ServerOptions {
  dataset: ServedDataset;
  /** Default 127.0.0.1. */
  host?: string;
  /** 0 (default) = an ephemeral port. */
  port?: number;
  /** When set, all data is private to the first user, who owns this API key: anonymous → 401. */
  apiKey?: string;
  /** Private mode: the `X-Auth-Token` every GDC route requires (default: the API key). */
  gdcToken?: string;
  /** Private mode: the `Authorization: token …` every figshare route requires (default: the API key). */
  figshareToken?: string;
  /**
   * Private mode only: services left public, as on the real BCSS hosts where only the DSA wants a
   * key. For programmatic use (tests of a Girder-only key); the CLI always guards all three.
   */
  openServices?: Array<'figshare' | 'gdc'>;
  /** Accounts for Basic login; default one user `demo` (password: see `password`). */
  users?: GirderUserSpec[];
  /**
   * Basic-login password of the default user `demo`. Public mode: default `demo`. Private mode: no
   * default, so Basic login answers 401 `Login failed.` and only the API key opens the data.
   */
  password?: string;
  faults?: FaultOptions;
  /** Region size limits (pixel cap, streaming threshold, strip size). */
  regionLimits?: Partial<RegionLimits>;
  /** Memory budget of tiles/region renders in MiB (default 768); more waits in a queue. */
  renderMemoryMb?: number;
  /** Open slide sources kept for reuse, least recently used closed first (default 8). */
  maxOpenSlides?: number;
  /**
   * Connections the kernel queues until the server accepts them (Node's default 511, capped by
   * net.core.somaxconn). Beyond it, connection attempts are dropped and retried by the client's
   * TCP, which can end in a reset on a loaded machine; raise it for bursts of more connections.
   */
  listenBacklog?: number;
  /** Largest accepted request body (default 8 MiB; larger → 413). */
  maxBodyBytes?: number;
  /** Clock for token expiry (ms since the epoch); default Date.now. */
  now?: () => number;
  /** Called with every finished log entry (the CLI prints them). */
  onRequest?: (entry: RequestLogEntry) => void;
}

export interface RunningServer {
  urls: {
    /** Girder API root, e.g. `http://127.0.0.1:P/api/v1`. */
    girder: string;
    /** figshare API base a client is given, e.g. `http://127.0.0.1:P/figshare/v2`. */
    figshare: string;
    /** GDC API root, e.g. `http://127.0.0.1:P/gdc`. */
    gdc: string;
  };
  port: number;
  /** Every request, in completion order (bounded to the last 100 000). */
  log: RequestLogEntry[];
  /** `requests`, `status.<code>`, `fault.<kind>`, `bytes`, `aborted`, each also per service (`girder.requests`…). */
  counters(): Record<string, number>;
  resetLog(): void;
  close(): Promise<void>;
}

const BASES: Array<{ service: ServiceName; base: string }> = [
  { service: 'girder', base: '/api/v1' },
  { service: 'figshare', base: '/figshare' },
  { service: 'gdc', base: '/gdc' },
];

const BODY_CUTS: Partial<Record<FaultKind, BodyCut>> = {
  resetMidBody: 'reset',
  truncateBody: 'truncate',
  stallBody: 'stall',
};

function sendText(res: ServerResponse, status: number, contentType: string, text: string, headers: Record<string, string> = {}): void {
  const body = Buffer.from(text, 'utf8');
  res.statusCode = status;
  for (const [k, v] of Object.entries(headers)) res.setHeader(k, v);
  res.setHeader('Content-Type', contentType);
  res.setHeader('Content-Length', body.length);
  res.end(body);
}

/** Answer with an injected status fault; false when `fault` is not one. */
function answerStatusFault(fault: FaultKind, service: ServiceName, res: ServerResponse, faults: FaultInjector): boolean {
  switch (fault) {
    case 'error500':
      if (service === 'girder') {
        const uid = randomUUID();
        sendText(res, 500, 'application/json', girderJson({ message: 'An unexpected error occurred on the server.', type: 'internal', uid }), {
          'Girder-Request-Uid': uid,
        });
      } else {
        sendText(res, 500, 'application/json', JSON.stringify({ message: 'Internal Server Error' }));
      }
      return true;
    case 'error502':
      sendText(res, 502, 'text/html', proxyErrorPage(502, 'Bad Gateway'));
      return true;
    case 'error503':
      sendText(res, 503, 'text/html', proxyErrorPage(503, 'Service Temporarily Unavailable'));
      return true;
    case 'error504':
      sendText(res, 504, 'text/html', proxyErrorPage(504, 'Gateway Time-out'));
      return true;
    case 'rateLimit429':
      sendText(res, 429, 'text/html', proxyErrorPage(429, 'Too Many Requests'), { 'Retry-After': faults.retryAfter(service, Date.now()) });
      return true;
    case 'htmlPage200':
      sendText(res, 200, 'text/html; charset=utf-8', maintenancePage());
      return true;
    case 'challenge202':
      sendText(res, 202, 'text/html; charset=utf-8', challengePage());
      return true;
    case 'expiredUrl403':
      sendText(
        res,
        403,
        'application/xml',
        '<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>AccessDenied</Code><Message>Request has expired</Message></Error>',
      );
      return true;
    case 'emptyBody200':
      res.statusCode = 200;
      res.setHeader('Content-Length', 0);
      res.end();
      return true;
    default:
      return false;
  }
}

/** What the request handler shares across requests of one server. */
interface ServeContext {
  readonly faults: FaultInjector;
  readonly log: RequestLog;
  /** The fault drawn for a request, for handlers that act on it mid-body (Girder's file reads). */
  readonly faultOfRequest: WeakMap<IncomingMessage, FaultKind>;
  readonly handlers: Map<ServiceName, ServiceHandler>;
  readonly maxBody: number;
  readonly onRequest: ((entry: RequestLogEntry) => void) | undefined;
  /** `http://host:port`, known once the server listens. */
  origin: string;
}

/** A log entry for the request, completed and recorded when the response closes. */
function trackRequest(sc: ServeContext, req: IncomingMessage, res: ServerResponse, rawTarget: string, service: ServiceName | 'none', started: number): RequestLogEntry {
  const entry: RequestLogEntry = {
    service,
    method: req.method ?? 'GET',
    path: redactTarget(rawTarget),
    status: 0,
    bytes: 0,
    ms: 0,
  };
  res.once('close', () => {
    entry.status = res.statusCode;
    entry.ms = Math.round((performance.now() - started) * 10) / 10;
    if (!res.writableFinished) entry.aborted = true;
    sc.log.add(entry);
    sc.onRequest?.(entry);
  });
  return entry;
}

/** One request: route to a service, draw its fault and latency, read the body, shape and answer. */
async function handleRequest(sc: ServeContext, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const started = performance.now();
  const rawTarget = req.url ?? '/';
  const q = rawTarget.indexOf('?');
  const rawPath = q < 0 ? rawTarget : rawTarget.slice(0, q);
  const path = collapseSlashes(rawPath);
  const matched = BASES.map((b) => ({ ...b, rel: relativeTo(path, b.base) })).find((b) => b.rel !== null);
  const entry = trackRequest(sc, req, res, rawTarget, matched?.service ?? 'none', started);
  const note = (text: string): void => {
    (entry.notes ??= []).push(text);
  };

  if (!matched) {
    shapeResponse(res, { onBytes: (n) => (entry.bytes += n) });
    sendText(res, 404, 'text/html;charset=utf-8', cherryPyErrorPage('404 Not Found', `The path '${rawPath}' was not found.`));
    return;
  }
  const { faults, maxBody } = sc;
  const service = matched.service;
  const rel = matched.rel as string;
  const fault = faults.decide(service, { path: rel, hasRange: req.headers.range !== undefined });
  if (fault) {
    entry.fault = fault;
    sc.faultOfRequest.set(req, fault);
  }
  // Drawn now, in arrival order like the fault, so that a seed gives every request the same
  // latency however long its body takes to arrive.
  const delay = faults.latency(service);
  if (delay > 0) entry.latencyMs = Math.round(delay * 10) / 10;

  let body: Buffer;
  try {
    body = await readBody(req, maxBody);
  } catch (err) {
    if (!(err instanceof BodyTooLargeError)) throw err;
    shapeResponse(res, { onBytes: (n) => (entry.bytes += n) });
    sendText(res, 413, 'text/plain', `Request body larger than ${maxBody} bytes.\n`, { Connection: 'close' });
    return;
  }
  if (delay > 0) await realClock.sleep(delay);
  if (res.destroyed) return;

  shapeResponse(res, {
    bucket: faults.bucket(service),
    cut: fault ? (BODY_CUTS[fault] ?? null) : null,
    onBytes: (n) => (entry.bytes += n),
  });
  if (fault && answerStatusFault(fault, service, res, faults)) return;
  if (fault === 'ignoreRange') delete req.headers.range;

  const url = new URL(path + (q < 0 ? '' : rawTarget.slice(q)), sc.origin);
  const handler = sc.handlers.get(service) as ServiceHandler;
  try {
    await handler(req, res, { path: rel, url, body, log: note });
  } catch (err) {
    // A handler that throws is a bug of the test server: answer 500 and keep it in the log.
    note(`handler error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    if (!res.headersSent) sendText(res, 500, 'text/plain', 'Internal Server Error\n');
    else res.destroy();
  }
}

/** The node HTTP server over `handleRequest`, tracking sockets so that close() can end them. */
function createHttpServer(sc: ServeContext, sockets: Set<Socket>): Server {
  const server = createServer({ keepAlive: true }, (req, res) => {
    handleRequest(sc, req, res).catch(() => {
      // Only reading the request body can fail here (client gone): nothing left to answer.
      res.destroy();
    });
  });
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  server.on('clientError', (_err, socket: Socket) => {
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n');
    else socket.destroy();
  });
  return server;
}

/** Listens and returns the bound port. */
async function listen(server: Server, port: number, host: string, backlog?: number): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ port, host, ...(backlog === undefined ? {} : { backlog }) }, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('bcss serve: no TCP address after listen');
  return address.port;
}

/** Adds the figshare and GDC handlers, which need the origin for the URLs they hand out. */
function addOriginBoundHandlers(sc: ServeContext, options: ServerOptions, privateMode: boolean): void {
  const origin = sc.origin;
  // Private mode guards all three services, each with a credential in its own form.
  const priv = privateMode ? (options.apiKey as string) : undefined;
  const open = new Set(options.openServices ?? []);
  const figshareToken = priv === undefined || open.has('figshare') ? undefined : options.figshareToken || priv;
  const gdcToken = priv === undefined || open.has('gdc') ? undefined : options.gdcToken || priv;
  sc.handlers.set('figshare', createFigshareHandler(options.dataset, { baseUrl: `${origin}/figshare`, privateToken: figshareToken }));
  sc.handlers.set('gdc', createGdcHandler(options.dataset, { baseUrl: `${origin}/gdc`, privateToken: gdcToken }));
}

/**
 * Start `bcss serve`: one HTTP server with the Girder/DSA API under `/api/v1`, figshare under
 * `/figshare` and GDC under `/gdc`, over one dataset, with seeded fault injection and a log.
 *
 * @example
 * ```ts
 * import { loadDemoDataset, startServer } from 'bcss/server';
 * const server = await startServer({ dataset: await loadDemoDataset({ cacheDir: '.demo' }), port: 0 });
 * console.log(server.urls.girder); // http://127.0.0.1:<port>/api/v1
 * await server.close();
 * ```
 */
export async function startServer(options: ServerOptions): Promise<RunningServer> {
  const host = options.host ?? '127.0.0.1';
  const faults = new FaultInjector(options.faults ?? {}, realClock);
  const store = new GirderStore(options.dataset, { maxOpenSlides: options.maxOpenSlides });
  const auth = new GirderAuth({ users: options.users, apiKey: options.apiKey, password: options.password, now: options.now });
  const budget = new RenderBudget({ capacityBytes: (options.renderMemoryMb ?? DEFAULT_RENDER_MEMORY_MB) * 1024 * 1024 });
  const regions = new RegionService(store, faults, { ...DEFAULT_REGION_LIMITS, ...options.regionLimits }, budget);
  const log = new RequestLog();
  const sc: ServeContext = {
    faults,
    log,
    faultOfRequest: new WeakMap<IncomingMessage, FaultKind>(),
    handlers: new Map<ServiceName, ServiceHandler>(),
    maxBody: options.maxBodyBytes ?? 8 * 1024 * 1024,
    onRequest: options.onRequest,
    origin: '',
  };
  const sockets = new Set<Socket>();

  const girder = createGirderHandler({ store, auth, faults, regions, faultOf: (req) => sc.faultOfRequest.get(req) ?? null });
  sc.handlers.set('girder', girder);

  const server = createHttpServer(sc, sockets);
  const port = await listen(server, options.port ?? 0, host, options.listenBacklog);
  const shownHost = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host.includes(':') ? `[${host}]` : host;
  const origin = `http://${shownHost}:${port}`;
  sc.origin = origin;
  addOriginBoundHandlers(sc, options, auth.privateMode);

  let closing: Promise<void> | null = null;
  return {
    urls: { girder: `${origin}/api/v1`, figshare: `${origin}/figshare/v2`, gdc: `${origin}/gdc` },
    port,
    log: log.entries,
    counters: () => log.counters(),
    resetLog: () => log.reset(),
    close: () => {
      closing ??= (async () => {
        const closed = new Promise<void>((resolve) => server.close(() => resolve()));
        for (const socket of sockets) socket.destroy();
        await closed;
        await store.close();
      })();
      return closing;
    },
  };
}

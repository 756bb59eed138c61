import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ServiceHandler } from '../http/service-handler.js';
import type { FaultInjector, FaultKind } from '../faults.js';
import { GirderError, internalError, restError } from './girder-errors.js';
import { girderResponseBody } from './girder-response.js';
import { setNoCache, setRequestUid } from '../http/headers.js';
import { cherryPyErrorPage } from '../http/html-pages.js';
import { girderParams } from '../http/params.js';
import { pathSegments } from '../http/paths.js';
import type { GirderAuth } from './auth.js';
import { girderFilesReady } from './files-ready-route.js';
import type { GirderRequest } from './girder-request.js';
import type { RegionService } from './region-service.js';
import { matchRoute, type Route } from './router.js';
import { annotationRoutes } from './routes-annotations.js';
import { authRoutes } from './routes-auth.js';
import { fileRoutes, itemDownloadRoutes } from './routes-files.js';
import { folderRoutes } from './routes-folders.js';
import { withGirderClientRoutes } from './routes-girder-client.js';
import { itemRoutes } from './routes-items.js';
import { tileRoutes } from './routes-tiles.js';
import type { GirderStore } from './store.js';

/** Every Girder route, by resource (exported so tests can walk them all). */
export const GIRDER_ROUTES: Record<string, Route[]> = withGirderClientRoutes({
  ...authRoutes,
  ...folderRoutes,
  item: [...itemRoutes, ...itemDownloadRoutes, ...tileRoutes],
  file: fileRoutes,
  annotation: annotationRoutes,
});

export interface GirderHandlerOptions {
  store: GirderStore;
  auth: GirderAuth;
  faults: FaultInjector;
  regions: RegionService;
  /** The fault drawn for a request by the server (for faults the Girder layer injects). */
  faultOf: (req: IncomingMessage) => FaultKind | null;
}

function sendHtml404(res: ServerResponse, rawPath: string): void {
  const body = Buffer.from(cherryPyErrorPage('404 Not Found', `The path '${rawPath}' was not found.`), 'utf8');
  res.statusCode = 404;
  res.setHeader('Content-Type', 'text/html;charset=utf-8');
  res.setHeader('Content-Length', body.length);
  res.end(body);
}

function sendError(req: IncomingMessage, res: ServerResponse, err: GirderError): void {
  for (const name of res.getHeaderNames()) if (name !== 'girder-request-uid') res.removeHeader(name);
  const { contentType, body } = girderResponseBody(err.body, req.headers.accept);
  setNoCache(res);
  res.statusCode = err.status;
  res.setHeader('Content-Type', contentType);
  res.setHeader('Content-Length', body.length);
  res.end(body);
}

/**
 * The Girder/DSA service under `/api/v1`: Girder's dispatch (resource, then route by segment
 * count with literals first), parameters from query and form body, Girder's error bodies.
 */
export function createGirderHandler(options: GirderHandlerOptions): ServiceHandler {
  return async (req, res, ctx) => {
    const uid = setRequestUid(res);
    try {
      let method = (req.method ?? 'GET').toUpperCase();
      if (method === 'HEAD') method = 'GET';
      if (method === 'POST') {
        const override = req.headers['x-http-method-override'] ?? req.headers['x-http-method'] ?? req.headers['x-method-override'];
        if (typeof override === 'string' && override !== '') method = override.toUpperCase();
      }
      const segments = pathSegments(ctx.path);
      const resource = segments?.[0];
      const routes = resource === undefined ? undefined : GIRDER_ROUTES[resource];
      if (segments === null || routes === undefined) {
        sendHtml404(res, ctx.url.pathname);
        return;
      }
      const params = girderParams(ctx.url, ctx.body, req.headers['content-type'], req.method ?? 'GET');
      const rest = segments.slice(1);
      const match = matchRoute(routes, method, rest);
      if (!match) throw restError(`No matching route for "${method} ${rest.join('/')}"`);
      const r: GirderRequest = {
        req,
        res,
        method,
        params,
        args: match.args,
        uid,
        store: options.store,
        auth: options.auth,
        faults: options.faults,
        regions: options.regions,
        fault: options.faultOf(req),
        log: ctx.log,
      };
      // Making slide files is work an anonymous caller must not trigger on a private server: the
      // handler's own access check answers them, and documents it may send carry no size yet.
      const cookie = true;
      if (!options.auth.privateMode || options.auth.caller(req, params, { cookie }).user !== null) {
        await girderFilesReady(options.store, resource as string, rest);
      }
      await match.route.handler(r);
    } catch (err) {
      if (res.headersSent) {
        // Mid-body: nothing to do but cut the connection, as a crashed upstream would.
        ctx.log(`error after headers: ${(err as Error).message}`);
        res.destroy();
        return;
      }
      if (err instanceof GirderError) {
        sendError(req, res, err);
        return;
      }
      ctx.log(`internal error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
      sendError(req, res, internalError(uid));
    }
  };
}

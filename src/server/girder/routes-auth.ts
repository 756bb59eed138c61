import { restError } from './girder-errors.js';
import { httpDate } from '../http/headers.js';
import { girderBool } from '../http/params.js';
import { USER_AUTH } from './auth.js';
import { apiKeyDoc, tokenDoc, userDoc } from './documents.js';
import { checkId, numberParam, requiredParam, sendJson, type GirderHandler, type GirderRequest } from './girder-request.js';
import type { Route } from './router.js';

/** `POST /api_key/token`: key (query or form) → token (docs/protocols.md#girder-authentication). */
const keyToToken: GirderHandler = async (r) => {
  const key = requiredParam(r, 'key');
  const duration = numberParam(r, 'duration');
  const { token, user } = r.auth.tokenForKey(key, duration);
  sendJson(r, { authToken: tokenDoc(token), user: { _id: user.id } });
};

/** `POST /api_key`: logged-in users only. */
const createKey: GirderHandler = async (r) => {
  const user = r.auth.requireUser(r.auth.caller(r.req, r.params, { scope: USER_AUTH }));
  let scope: string[] | null = null;
  if (r.params.scope !== undefined && r.params.scope !== '') {
    let parsed: unknown;
    try {
      parsed = JSON.parse(r.params.scope);
    } catch {
      throw restError('Parameter scope must be valid JSON.');
    }
    if (parsed !== null && !(Array.isArray(parsed) && parsed.every((s) => typeof s === 'string'))) {
      throw restError('Parameter scope must be a JSON list of strings.');
    }
    scope = parsed;
  }
  const tokenDuration = numberParam(r, 'tokenDuration');
  const active = r.params.active === undefined ? true : girderBool(r.params.active);
  const key = r.auth.addKey(user, { name: r.params.name ?? '', scope, tokenDuration, active });
  sendJson(r, apiKeyDoc(key));
};

/** `GET /user/authentication`: Basic login; a caller with a valid token gets it back. */
const login: GirderHandler = async (r) => {
  const current = r.auth.caller(r.req, r.params, { scope: USER_AUTH });
  let result;
  if (current.user && current.token) {
    result = { user: current.user, token: current.token };
  } else {
    const header = r.req.headers['girder-authorization'] ?? r.req.headers.authorization;
    result = r.auth.login(Array.isArray(header) ? header[0] : header);
  }
  r.res.setHeader(
    'Set-Cookie',
    `girderToken=${result.token.token}; expires=${httpDate(result.token.expiresMs)}; HttpOnly; Path=/`,
  );
  sendJson(r, { authToken: tokenDoc(result.token), message: 'Login succeeded.', user: userDoc(result.user, result.user) });
};

/** `DELETE /user/authentication`: log out (revoke the token, clear the cookie); `access.user` like Girder. */
const logout: GirderHandler = async (r) => {
  const current = r.auth.caller(r.req, r.params, { cookie: true, scope: USER_AUTH });
  r.auth.requireUser(current);
  if (current.token) r.auth.revoke(current.token);
  r.res.setHeader('Set-Cookie', 'girderToken=""; expires=Thu, 01 Jan 1970 00:00:00 GMT; Path=/');
  sendJson(r, { message: 'Logged out.' });
};

const me: GirderHandler = async (r) => {
  const { user } = r.auth.caller(r.req, r.params, { scope: USER_AUTH });
  sendJson(r, user ? userDoc(user, user) : null);
};

const getUser: GirderHandler = async (r: GirderRequest) => {
  const viewer = r.auth.caller(r.req, r.params, { scope: USER_AUTH }).user;
  const id = r.args.id as string;
  checkId(id);
  const user = r.auth.userById(id);
  if (!user) throw restError(`Invalid user id (${id}).`);
  r.auth.requireReadUser(user, viewer);
  sendJson(r, userDoc(user, viewer));
};

export const authRoutes: Record<string, Route[]> = {
  api_key: [
    { method: 'POST', path: ['token'], handler: keyToToken },
    { method: 'POST', path: [], handler: createKey },
  ],
  user: [
    { method: 'GET', path: ['authentication'], handler: login },
    { method: 'DELETE', path: ['authentication'], handler: logout },
    { method: 'GET', path: ['me'], handler: me },
    { method: 'GET', path: [':id'], handler: getUser },
  ],
};

import type { IncomingMessage } from 'node:http';
import type { ServedFolder } from '../dataset-types.js';
import { accessError, restError, validationError } from './girder-errors.js';
import { secretEquals } from '../secret-compare.js';
import { genToken, girderIso, objectIdAt } from './ids.js';

export interface GirderUserSpec {
  login: string;
  /** null: this user cannot log in with a password (API key only). */
  password: string | null;
  email?: string;
}

export interface GirderUser {
  id: string;
  login: string;
  email: string;
  password: string | null;
  created: string;
}

export interface GirderToken {
  token: string;
  userId: string;
  expiresMs: number;
  scope: string[];
}

export interface GirderApiKey {
  id: string;
  key: string;
  userId: string;
  name: string;
  scope: string[] | null;
  tokenDuration: number | null;
  active: boolean;
  created: string;
}

export const USER_AUTH = 'core.user_auth';
export const DATA_READ = 'core.data.read';

/** Girder's default `core.cookie_lifetime`: token lifetime in days. */
const COOKIE_LIFETIME_DAYS = 180;
const DAY_MS = 86_400_000;
/** 2018-10-10 12:00 UTC: creation time of the demo users. */
const USERS_CREATED_S = 1_539_172_800;

export const DEFAULT_USERS: GirderUserSpec[] = [{ login: 'demo', password: 'demo', email: 'demo@example.org' }];

/**
 * The accounts when none are given: the one user `demo`. Public mode keeps the well-known password
 * `demo` (the data is public anyway); private mode has no built-in password, so Basic login fails
 * unless the operator configured one (`password`), and the API key is the only way in.
 */
export function defaultUsers(privateMode: boolean, password: string | undefined): GirderUserSpec[] {
  return [{ login: 'demo', email: 'demo@example.org', password: password ?? (privateMode ? null : 'demo') }];
}

export interface Caller {
  user: GirderUser | null;
  token: GirderToken | null;
}

/**
 * Users, API keys and tokens of the Girder service (docs/protocols.md#girder-authentication), all in memory.
 * Private mode (an API key configured): every folder is private and readable only by the first
 * user, who owns that key; anonymous callers get 401, other users 403.
 */
export class GirderAuth {
  readonly users: GirderUser[];
  readonly privateMode: boolean;
  private readonly tokens = new Map<string, GirderToken>();
  private readonly keys = new Map<string, GirderApiKey>();

  constructor(options: { users?: GirderUserSpec[]; apiKey?: string; password?: string; now?: () => number }) {
    this.now = options.now ?? Date.now;
    const privateMode = options.apiKey !== undefined && options.apiKey !== '';
    const specs = options.users && options.users.length > 0 ? options.users : defaultUsers(privateMode, options.password);
    this.users = specs.map((u) => ({
      id: objectIdAt(USERS_CREATED_S, 'user', u.login.toLowerCase()),
      login: u.login.toLowerCase().trim(),
      email: (u.email ?? `${u.login}@example.org`).toLowerCase(),
      password: u.password,
      created: girderIso(USERS_CREATED_S * 1000),
    }));
    this.privateMode = privateMode;
    if (this.privateMode) {
      this.addKey(this.owner, { key: options.apiKey, name: 'bcss serve', scope: null, tokenDuration: null, active: true });
    }
  }

  readonly now: () => number;

  /** The user who owns all data (and the configured API key). */
  get owner(): GirderUser {
    return this.users[0] as GirderUser;
  }

  userById(id: string): GirderUser | undefined {
    return this.users.find((u) => u.id === id);
  }

  /**
   * Girder's `getCurrentToken`: the token SOURCE is chosen by presence, not by value — the
   * `token` parameter if present, else the `Girder-Token` header if present, else (where the
   * endpoint allows it) the `girderToken` cookie. An empty value from the chosen source is
   * anonymous and does not fall through to a later source; unknown or expired tokens are
   * anonymous too (girder/api/rest.py `getCurrentToken`; docs/protocols.md#girder-authentication).
   */
  caller(req: IncomingMessage, params: Record<string, string>, options: { cookie?: boolean; scope?: string } = {}): Caller {
    let text: string | undefined;
    const header = req.headers['girder-token'];
    if (Object.prototype.hasOwnProperty.call(params, 'token')) text = params.token;
    else if (header !== undefined) text = Array.isArray(header) ? header[0] : header;
    else if (options.cookie) text = readCookie(req.headers.cookie, 'girderToken');
    if (!text) return { user: null, token: null };
    const token = this.tokens.get(text);
    if (!token || token.expiresMs <= this.now()) return { user: null, token: null };
    const needed = options.scope ?? USER_AUTH;
    const allowed = token.scope.includes(USER_AUTH) || token.scope.includes(needed);
    const user = allowed ? (this.userById(token.userId) ?? null) : null;
    return { user, token };
  }

  /** `access.user` endpoints: 401 `You must be logged in.` */
  requireUser(caller: Caller): GirderUser {
    if (!caller.user) throw accessError('You must be logged in.', true);
    return caller.user;
  }

  folderPublic(folder: ServedFolder): boolean {
    return !this.privateMode && folder.public;
  }

  canRead(folder: ServedFolder, user: GirderUser | null): boolean {
    return this.folderPublic(folder) || (user !== null && user.id === this.owner.id);
  }

  /** -1 none, 0 read, 2 admin (the owner). */
  accessLevel(folder: ServedFolder, user: GirderUser | null): number {
    if (user !== null && user.id === this.owner.id) return 2;
    return this.canRead(folder, user) ? 0 : -1;
  }

  /** Girder's message names the folder for items and files too. */
  requireRead(folder: ServedFolder, user: GirderUser | null, model = 'folder', id = folder.id): void {
    if (!this.canRead(folder, user)) {
      throw accessError(`Read access denied for ${model} ${id} (user ${user ? user.id : 'None'}).`, user === null);
    }
  }

  /**
   * Who may read a user document: everyone in public mode (Girder's users are public by default);
   * in private mode only that user and the owner, so an anonymous caller learns no login name.
   */
  canReadUser(target: GirderUser, viewer: GirderUser | null): boolean {
    return !this.privateMode || (viewer !== null && (viewer.id === target.id || viewer.id === this.owner.id));
  }

  requireReadUser(target: GirderUser, viewer: GirderUser | null): void {
    if (!this.canReadUser(target, viewer)) {
      throw accessError(`Read access denied for user ${target.id} (user ${viewer ? viewer.id : 'None'}).`, viewer === null);
    }
  }

  createToken(user: GirderUser, scope: string[], days: number): GirderToken {
    const token: GirderToken = { token: genToken(64), userId: user.id, expiresMs: this.now() + days * DAY_MS, scope };
    this.tokens.set(token.token, token);
    return token;
  }

  revoke(token: GirderToken): void {
    this.tokens.delete(token.token);
  }

  /** `POST /api_key/token`: lifetime `min(duration or cap, cap)` days. */
  tokenForKey(key: string, durationDays: number | null): { token: GirderToken; user: GirderUser } {
    const apiKey = this.keys.get(key);
    const user = apiKey ? this.userById(apiKey.userId) : undefined;
    if (!apiKey || !apiKey.active || !user) throw validationError('Invalid API key.');
    const cap = apiKey.tokenDuration || COOKIE_LIFETIME_DAYS;
    const days = Math.min(durationDays || cap, cap);
    return { token: this.createToken(user, apiKey.scope ?? [USER_AUTH], days), user };
  }

  /** `GET /user/authentication` with Basic credentials. */
  login(authorization: string | undefined): { token: GirderToken; user: GirderUser } {
    if (!authorization || !/^basic\s/i.test(authorization)) throw restError('Use HTTP Basic Authentication', 401);
    const encoded = authorization.slice(6).trim();
    const decoded = /^[A-Za-z0-9+/]*={0,2}$/.test(encoded) ? Buffer.from(encoded, 'base64').toString('utf8') : '';
    const colon = decoded.indexOf(':');
    if (colon < 0) throw restError('Invalid HTTP Authorization header', 401);
    const login = decoded.slice(0, colon).toLowerCase().trim();
    const password = decoded.slice(colon + 1);
    const user = this.users.find((u) => (login.includes('@') ? u.email === login : u.login === login));
    // A user without a password (private mode's default) fails exactly like a wrong password.
    if (!user || user.password === null || !secretEquals(password, user.password)) throw accessError('Login failed.', true);
    return { token: this.createToken(user, [USER_AUTH], COOKIE_LIFETIME_DAYS), user };
  }

  addKey(
    user: GirderUser,
    spec: { key?: string; name: string; scope: string[] | null; tokenDuration: number | null; active: boolean },
  ): GirderApiKey {
    const created = this.now();
    const key = spec.key ?? genToken(40);
    const apiKey: GirderApiKey = {
      id: objectIdAt(created / 1000, 'api_key', key),
      key,
      userId: user.id,
      name: spec.name,
      scope: spec.scope,
      tokenDuration: spec.tokenDuration,
      active: spec.active,
      created: girderIso(created),
    };
    this.keys.set(key, apiKey);
    return apiKey;
  }

  cookieLifetimeDays(): number {
    return COOKIE_LIFETIME_DAYS;
  }
}

function readCookie(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim() || undefined;
  }
  return undefined;
}

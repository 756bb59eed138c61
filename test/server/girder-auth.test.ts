import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { RunningServer } from '../../src/server/start-server.js';
import { get, IDS, startFixtureServer } from './fixtures.js';

const KEY = 'k'.repeat(40);
const basic = (login: string, password: string): string => `Basic ${Buffer.from(`${login}:${password}`).toString('base64')}`;

describe('Girder auth in private mode (docs/protocols.md#girder-authentication)', () => {
  let server: RunningServer;
  let api: string;
  let now = Date.UTC(2020, 0, 1);
  before(async () => {
    server = await startFixtureServer({
      apiKey: KEY,
      users: [
        { login: 'owner', password: 'pw1' },
        { login: 'other', password: 'pw2', email: 'other@example.org' },
      ],
      now: () => now,
    });
    api = server.urls.girder;
  });
  after(() => server.close());

  const tokenFor = async (query = `key=${KEY}`): Promise<string> => {
    const r = await get(`${api}/api_key/token?${query}`, { method: 'POST' });
    assert.equal(r.status, 200, r.text);
    return JSON.parse(r.text).authToken.token as string;
  };
  const listing = (): string => `${api}/item?folderId=${IDS.publicFolder}`;

  test('API key → token, in the query or a form body; the answer has the documented shape', async () => {
    const q = await get(`${api}/api_key/token?key=${KEY}&duration=2`, { method: 'POST' });
    assert.equal(q.status, 200);
    const doc = JSON.parse(q.text);
    assert.deepEqual(Object.keys(doc), ['authToken', 'user']);
    assert.deepEqual(Object.keys(doc.authToken), ['expires', 'scope', 'token']);
    assert.match(doc.authToken.token, /^[A-Za-z0-9]{64}$/);
    assert.deepEqual(doc.authToken.scope, ['core.user_auth']);
    assert.equal(doc.authToken.expires, '2020-01-03T00:00:00+00:00', 'duration caps the lifetime (days)');
    assert.deepEqual(Object.keys(doc.user), ['_id']);
    assert.equal(q.headers.get('set-cookie'), null, 'no cookie for API-key tokens');
    const form = await get(`${api}/api_key/token`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: `key=${KEY}`,
    });
    assert.equal(form.status, 200);
    assert.equal(JSON.parse(form.text).authToken.expires, '2020-06-29T00:00:00+00:00', 'default lifetime: 180 days');
  });

  test('a bad key is a 400 validation error; a missing key a 400', async () => {
    const bad = await get(`${api}/api_key/token?key=nope`, { method: 'POST' });
    assert.equal(bad.status, 400);
    assert.equal(bad.text, '{"message": "Invalid API key.", "type": "validation"}');
    const missing = await get(`${api}/api_key/token`, { method: 'POST' });
    assert.equal(missing.status, 400);
    assert.equal(JSON.parse(missing.text).message, 'Parameter "key" is required.');
  });

  test('anonymous callers get 401 naming the folder and user None', async () => {
    const r = await get(listing());
    assert.equal(r.status, 401);
    assert.equal(r.text, `{"message": "Read access denied for folder ${IDS.publicFolder} (user None).", "type": "access"}`);
    const empty = await get(listing(), { headers: { 'Girder-Token': '' } });
    assert.equal(empty.status, 401, 'an empty Girder-Token header is anonymous');
    const unknown = await get(listing(), { headers: { 'Girder-Token': 'x'.repeat(64) } });
    assert.equal(unknown.status, 401, 'an unknown token is anonymous, not an error of its own');
  });

  test('the token works as a parameter and as a Girder-Token header', async () => {
    const token = await tokenFor();
    assert.equal((await get(`${listing()}&token=${token}`)).status, 200);
    const r = await get(listing(), { headers: { 'Girder-Token': token } });
    assert.equal(r.status, 200);
    assert.equal(JSON.parse(r.text).length, 2);
  });

  test('the girderToken cookie counts only where Girder allows it (downloads, tiles, annotations)', async () => {
    const token = await tokenFor();
    const cookie = { Cookie: `other=1; girderToken=${token}` };
    assert.equal((await get(listing(), { headers: cookie })).status, 401);
    const dl = await get(`${api}/file/${IDS.docFileA}/download`, { headers: cookie });
    assert.equal(dl.status, 200);
    assert.equal(dl.text, 'hello, world\n');
    assert.equal((await get(`${api}/annotation/item/${IDS.slideItem}`, { headers: cookie })).status, 200);
    assert.equal((await get(`${api}/file/${IDS.docFileA}/download`)).status, 401);
  });

  test('Basic login: token, cookie, full user; bad credentials 401', async () => {
    const ok = await get(`${api}/user/authentication`, { headers: { Authorization: basic('owner', 'pw1') } });
    assert.equal(ok.status, 200);
    const doc = JSON.parse(ok.text);
    assert.equal(doc.message, 'Login succeeded.');
    assert.equal(doc.user.login, 'owner');
    assert.equal(doc.user._modelType, 'user');
    assert.equal(doc.user._accessLevel, 2);
    assert.match(ok.headers.get('set-cookie') ?? '', new RegExp(`^girderToken=${doc.authToken.token}; expires=.+; HttpOnly; Path=/$`));
    const byEmail = await get(`${api}/user/authentication`, { headers: { Authorization: basic('OTHER@example.org', 'pw2') } });
    assert.equal(JSON.parse(byEmail.text).user.login, 'other');
    const bad = await get(`${api}/user/authentication`, { headers: { Authorization: basic('owner', 'wrong') } });
    assert.equal(bad.status, 401);
    assert.equal(bad.text, '{"message": "Login failed.", "type": "access"}');
    const none = await get(`${api}/user/authentication`);
    assert.equal(none.status, 401);
    assert.equal(JSON.parse(none.text).message, 'Use HTTP Basic Authentication');
    const garbled = await get(`${api}/user/authentication`, { headers: { Authorization: 'Basic !!!' } });
    assert.equal(JSON.parse(garbled.text).message, 'Invalid HTTP Authorization header');
  });

  test('another logged-in user gets 403, not 401', async () => {
    const login = JSON.parse((await get(`${api}/user/authentication`, { headers: { Authorization: basic('other', 'pw2') } })).text);
    const r = await get(listing(), { headers: { 'Girder-Token': login.authToken.token } });
    assert.equal(r.status, 403);
    assert.equal(JSON.parse(r.text).message, `Read access denied for folder ${IDS.publicFolder} (user ${login.user._id}).`);
    const item = await get(`${api}/item/${IDS.docItem}`, { headers: { 'Girder-Token': login.authToken.token } });
    assert.equal(item.status, 403);
    assert.match(JSON.parse(item.text).message, new RegExp(`^Read access denied for folder ${IDS.publicFolder} `));
  });

  test('/user/me; POST /api_key only when logged in; new keys work', async () => {
    assert.equal((await get(`${api}/user/me`)).text, 'null');
    const anon = await get(`${api}/api_key?name=x`, { method: 'POST' });
    assert.equal(anon.status, 401);
    assert.equal(anon.text, '{"message": "You must be logged in.", "type": "access"}');
    const token = await tokenFor();
    const me = JSON.parse((await get(`${api}/user/me`, { headers: { 'Girder-Token': token } })).text);
    assert.equal(me.login, 'owner');
    const created = await get(`${api}/api_key?name=ci&scope=${encodeURIComponent('["core.data.read"]')}`, {
      method: 'POST',
      headers: { 'Girder-Token': token },
    });
    assert.equal(created.status, 200);
    const key = JSON.parse(created.text);
    assert.equal(key._modelType, 'api_key');
    assert.match(key.key, /^[A-Za-z0-9]{40}$/);
    const scoped = JSON.parse((await get(`${api}/api_key/token?key=${key.key}`, { method: 'POST' })).text);
    assert.deepEqual(scoped.authToken.scope, ['core.data.read']);
    assert.equal((await get(listing(), { headers: { 'Girder-Token': scoped.authToken.token } })).status, 200, 'data.read suffices to read');
    const denied = await get(`${api}/api_key?name=y`, { method: 'POST', headers: { 'Girder-Token': scoped.authToken.token } });
    assert.equal(denied.status, 401, 'a data-only token is not a logged-in user');
  });

  test('expired tokens are anonymous', async () => {
    const token = await tokenFor('key=' + KEY + '&duration=1');
    assert.equal((await get(listing(), { headers: { 'Girder-Token': token } })).status, 200);
    now += 2 * 86_400_000;
    try {
      assert.equal((await get(listing(), { headers: { 'Girder-Token': token } })).status, 401);
    } finally {
      now -= 2 * 86_400_000;
    }
  });

  test('logout revokes the token', async () => {
    const token = await tokenFor();
    const out = await get(`${api}/user/authentication`, { method: 'DELETE', headers: { 'Girder-Token': token } });
    assert.equal(out.status, 200);
    assert.equal((await get(listing(), { headers: { 'Girder-Token': token } })).status, 401);
  });

  test('secrets never reach the request log', async () => {
    await tokenFor();
    for (const e of server.log) assert.ok(!e.path.includes(KEY), e.path);
    assert.ok(server.log.some((e) => e.path.endsWith('key=REDACTED')));
  });
});

describe('Girder auth in public mode', () => {
  let server: RunningServer;
  before(async () => {
    server = await startFixtureServer();
  });
  after(() => server.close());

  test('public folders are readable anonymously, private ones are not; no API key is valid', async () => {
    const api = server.urls.girder;
    assert.equal((await get(`${api}/item?folderId=${IDS.publicFolder}`)).status, 200);
    const priv = await get(`${api}/item/${IDS.privateItem}`);
    assert.equal(priv.status, 401);
    const token = JSON.parse((await get(`${api}/user/authentication`, { headers: { Authorization: basic('demo', 'demo') } })).text).authToken.token;
    assert.equal((await get(`${api}/item/${IDS.privateItem}`, { headers: { 'Girder-Token': token } })).status, 200, 'the owner reads it');
    assert.equal((await get(`${api}/api_key/token?key=${KEY}`, { method: 'POST' })).status, 400);
  });
});

/**
 * Private mode on EVERY route of all three services (issue 9, items 1–2): the routes are taken from
 * the routers themselves, and each must have a sample request here, so a new route cannot be
 * added without being walked. Each sample is sent anonymously, with a wrong credential and with
 * the right one, in that service's own form.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createFigshareHandler } from '../../src/server/figshare/figshare-handler.js';
import { createGdcHandler } from '../../src/server/gdc/gdc-handler.js';
import { GIRDER_ROUTES } from '../../src/server/girder/girder-handler.js';
import { startServer, type RunningServer } from '../../src/server/start-server.js';
import { syntheticDataset } from './figshare-test-server.js';
import { fixture, get, IDS } from './fixtures.js';

const KEY = 'K'.repeat(40);
const PASSWORD = 'correct horse battery staple';
const GDC_TOKEN = 'gdc-token-' + 'g'.repeat(30);
const FIGSHARE_TOKEN = 'figshare-token-' + 'f'.repeat(30);
const basic = (login: string, password: string): string => `Basic ${Buffer.from(`${login}:${password}`).toString('base64')}`;

type Credential = 'anonymous' | 'wrong' | 'right';
interface Probe {
  method: string;
  /** Path and query under the service's base. */
  target: string;
  headers: Record<string, string>;
}
type Response = Awaited<ReturnType<typeof get>>;

const synthetic = syntheticDataset({ masks: 3, slides: 2, controlled: [1] });
const GDC_ID = synthetic.gdc.files[0]?.fileId as string;
const MASK_ID = synthetic.figshare.files[0]?.id as number;

/** Girder: a token in `Girder-Token` (routes that take another credential say so). */
function girderProbes(key: string, token: () => string): Record<string, (c: Credential) => Probe> {
  const header = (c: Credential): Record<string, string> =>
    c === 'anonymous' ? {} : { 'Girder-Token': c === 'right' ? token() : 'Z'.repeat(64) };
  const withToken = (method: string, target: string) => (c: Credential): Probe => ({ method, target, headers: header(c) });
  return {
    'POST api_key/token': (c) => ({ method: 'POST', target: c === 'anonymous' ? 'api_key/token' : `api_key/token?key=${c === 'right' ? key : 'w'.repeat(40)}`, headers: {} }),
    'POST api_key': withToken('POST', 'api_key?name=walk'),
    'GET user/authentication': (c) => ({
      method: 'GET',
      target: 'user/authentication',
      headers: c === 'anonymous' ? ({} as Record<string, string>) : { Authorization: basic('demo', c === 'right' ? PASSWORD : 'demo') },
    }),
    'DELETE user/authentication': withToken('DELETE', 'user/authentication'),
    'GET user/me': withToken('GET', 'user/me'),
    'GET user/:id': withToken('GET', 'user/OWNER'),
    'GET folder': withToken('GET', `folder?parentType=collection&parentId=${IDS.collection}`),
    'GET folder/:id': withToken('GET', `folder/${IDS.publicFolder}`),
    'GET collection': withToken('GET', 'collection'),
    'GET collection/:id': withToken('GET', `collection/${IDS.collection}`),
    'GET resource/:id/path': withToken('GET', `resource/${IDS.publicFolder}/path?type=folder`),
    'GET item': withToken('GET', `item?folderId=${IDS.publicFolder}`),
    'GET item/:id': withToken('GET', `item/${IDS.docItem}`),
    'GET item/:id/files': withToken('GET', `item/${IDS.docItem}/files`),
    'GET item/:id/rootpath': withToken('GET', `item/${IDS.docItem}/rootpath`),
    'GET item/:id/download': withToken('GET', `item/${IDS.docItem}/download`),
    'GET item/:id/tiles': withToken('GET', `item/${IDS.slideItem}/tiles`),
    'GET item/:id/tiles/region': withToken('GET', `item/${IDS.slideItem}/tiles/region?left=0&top=0&right=64&bottom=64`),
    'GET file/:id': withToken('GET', `file/${IDS.docFileA}`),
    'GET file/:id/download': withToken('GET', `file/${IDS.docFileA}/download`),
    'GET file/:id/download/:name': withToken('GET', `file/${IDS.docFileA}/download/a.txt`),
    'GET annotation': withToken('GET', `annotation?itemId=${IDS.slideItem}`),
    'GET annotation/:id': withToken('GET', `annotation/${IDS.annotationA}`),
    'GET annotation/item/:id': withToken('GET', `annotation/item/${IDS.slideItem}`),
    'GET system/version': withToken('GET', 'system/version'),
    'GET system/check': withToken('GET', 'system/check'),
    'GET describe': withToken('GET', 'describe'),
    'GET resource/lookup': withToken('GET', `resource/lookup?path=${encodeURIComponent('/collection/BCSS test/slides')}`),
    'GET folder/:id/details': withToken('GET', `folder/${IDS.publicFolder}/details`),
    'GET item/:id/tiles/zxy/:z/:x/:y': withToken('GET', `item/${IDS.slideItem}/tiles/zxy/0/0/0`),
    'GET item/:id/tiles/fzxy/:frame/:z/:x/:y': withToken('GET', `item/${IDS.slideItem}/tiles/fzxy/0/0/0/0`),
    'GET item/:id/tiles/thumbnail': withToken('GET', `item/${IDS.slideItem}/tiles/thumbnail`),
  };
}

/** What an anonymous or wrong Girder credential gets: refusals, or Girder's answer that shows nothing. */
const GIRDER_NOTHING: Record<string, { status: number; body?: string }> = {
  'POST api_key/token': { status: 400 },
  'GET user/me': { status: 200, body: 'null' },
  'GET collection': { status: 200, body: '[]' },
  // Public in Girder too, and they describe the server, not its data.
  'GET system/version': { status: 200 },
  'GET system/check': { status: 200 },
  'GET describe': { status: 200 },
  // Girder hides what a caller may not read behind the same answer as a path that does not exist.
  'GET resource/lookup': { status: 400, body: '{"message": "Path not found: collection/BCSS test/slides", "type": "validation"}' },
};

function gdcProbe(method: string, path: readonly string[], c: Credential): Probe {
  const target = path.map((p) => (p === ':id' ? GDC_ID : p)).join('/');
  const headers: Record<string, string> = c === 'anonymous' ? {} : { 'X-Auth-Token': c === 'right' ? GDC_TOKEN : 'nope' };
  if (method === 'POST') return { method, target, headers: { ...headers, 'Content-Type': 'application/json' } };
  return { method, target, headers };
}

function figshareProbe(method: string, path: readonly string[], c: Credential): Probe {
  const target = path
    .map((p) => (p === ':id' ? String(synthetic.figshare.articleId) : p === ':fileId' ? String(MASK_ID) : p === ':version' ? '1' : p === '*' ? 'files/1' : p))
    .join('/');
  // figshare also refuses a token under another scheme.
  const headers: Record<string, string> = c === 'anonymous' ? {} : { Authorization: c === 'right' ? `token ${FIGSHARE_TOKEN}` : `Bearer ${FIGSHARE_TOKEN}` };
  return { method, target, headers };
}

describe('private mode: every route of every service wants its own credential', () => {
  let server: RunningServer;
  let ownerId = '';
  let token = '';
  before(async () => {
    const fx = await fixture();
    server = await startServer({
      dataset: { ...fx.dataset, figshare: synthetic.figshare, gdc: synthetic.gdc },
      apiKey: KEY,
      password: PASSWORD,
      gdcToken: GDC_TOKEN,
      figshareToken: FIGSHARE_TOKEN,
    });
  });
  after(() => server.close());

  const send = (base: string, p: Probe): Promise<Response> => get(`${base}/${p.target}`, { method: p.method, headers: p.headers, body: p.method === 'POST' && p.headers['Content-Type'] ? '{}' : undefined });
  const freshToken = async (): Promise<string> => {
    const r = await get(`${server.urls.girder}/api_key/token?key=${KEY}`, { method: 'POST' });
    assert.equal(r.status, 200, r.text);
    const doc = JSON.parse(r.text) as { authToken: { token: string }; user: { _id: string } };
    ownerId = doc.user._id;
    return doc.authToken.token;
  };

  test('Girder: every route of the router, anonymous / wrong credential → refused, right one → served', async () => {
    token = await freshToken();
    const probes = girderProbes(KEY, () => token);
    const routes = Object.entries(GIRDER_ROUTES).flatMap(([resource, list]) => list.map((r) => `${r.method} ${[resource, ...r.path].join('/')}`));
    assert.deepEqual(Object.keys(probes).sort(), [...routes].sort(), 'one probe per Girder route, no more, no less');
    for (const route of routes) {
      const probe = (c: Credential): Probe => {
        const p = (probes[route] as (c: Credential) => Probe)(c);
        return { ...p, target: p.target.replace('OWNER', ownerId) };
      };
      for (const c of ['anonymous', 'wrong'] as const) {
        const r = await send(server.urls.girder, probe(c));
        const nothing = GIRDER_NOTHING[route];
        if (nothing) {
          assert.equal(r.status, nothing.status, `${route} ${c}: ${r.text}`);
          if (nothing.body !== undefined) assert.equal(r.text, nothing.body, `${route} ${c}`);
        } else {
          assert.equal(r.status, 401, `${route} ${c}: ${r.status} ${r.text}`);
          // `access` (Girder's AccessException), or `rest` for the login route's "Use HTTP Basic Authentication".
          assert.ok(['access', 'rest'].includes(JSON.parse(r.text).type as string), `${route} ${c}: ${r.text}`);
        }
      }
      const ok = await send(server.urls.girder, probe('right'));
      assert.ok(ok.status >= 200 && ok.status < 300, `${route} right: ${ok.status} ${ok.text.slice(0, 200)}`);
      assert.notEqual(ok.text, 'null', route);
      if (route === 'DELETE user/authentication') token = await freshToken(); // that one revoked it
    }
  });

  test('GDC: every route (and its /v0 alias, every method) wants X-Auth-Token; 403 JSON like GDC without it', async () => {
    const routes = createGdcHandler(synthetic, { baseUrl: 'http://x/gdc' }).routes;
    assert.ok(routes.length >= 6);
    for (const route of routes) {
      for (const method of route.methods) {
        const name = `${method} ${route.path.join('/')}`;
        for (const c of ['anonymous', 'wrong'] as const) {
          const r = await send(server.urls.gdc, gdcProbe(method, route.path, c));
          assert.equal(r.status, 403, `${name} ${c}`);
          if (method !== 'HEAD') {
            assert.match(r.headers.get('content-type') ?? '', /^application\/json/);
            assert.deepEqual(Object.keys(JSON.parse(r.text)), ['message'], name);
            assert.ok(!r.text.includes(GDC_ID) && !r.text.includes('TCGA'), `${name}: a refusal reveals nothing`);
          }
        }
        const ok = await send(server.urls.gdc, gdcProbe(method, route.path, 'right'));
        assert.equal(ok.status, 200, `${name} right: ${ok.text.slice(0, 200)}`);
      }
    }
    const controlled = synthetic.gdc.files[1]?.fileId as string;
    const data = await get(`${server.urls.gdc}/data/${controlled}`, { headers: { 'X-Auth-Token': GDC_TOKEN } });
    assert.equal(data.status, 200, 'the private token also opens controlled files');
    const other = await get(`${server.urls.gdc}/nope`, {});
    assert.equal(other.status, 403, 'unknown paths too: no 404 tells an anonymous caller what exists');
  });

  test('figshare: every route wants "Authorization: token …" (403 {message, code}); the signed blob URL is its own credential', async () => {
    const routes = createFigshareHandler(synthetic, { baseUrl: 'http://x/figshare' }).routes;
    const base = server.urls.figshare.replace(/\/v2$/, '');
    let signed = '';
    for (const route of routes) {
      for (const method of route.methods) {
        const name = `${method} ${route.path.join('/')}`;
        if (route.path[0] === 'blob') continue; // below: its credential is the signature
        for (const c of ['anonymous', 'wrong'] as const) {
          const r = await send(base, figshareProbe(method, route.path, c));
          assert.equal(r.status, 403, `${name} ${c}`);
          if (method !== 'HEAD') {
            const body = JSON.parse(r.text) as Record<string, unknown>;
            assert.equal(typeof body.message, 'string');
            assert.equal(body.code, 'Forbidden');
          }
        }
        const ok = await get(`${base}/${figshareProbe(method, route.path, 'right').target}`, {
          method,
          headers: figshareProbe(method, route.path, 'right').headers,
          redirect: 'manual',
        });
        assert.ok([200, 202, 302].includes(ok.status), `${name} right: ${ok.status} ${ok.text.slice(0, 200)}`);
        // The last single-file redirect's signed URL (the article ZIP's key is not a file id).
        if (ok.status === 302 && !route.path.includes('articles')) signed = ok.headers.get('location') ?? '';
      }
    }
    assert.ok(routes.some((r) => r.path[0] === 'blob'), 'the blob route is in the table');
    assert.match(signed, /\/blob\/\d+\?expires=\d+&sig=[0-9a-f]{64}$/);
    const unsigned = await get(signed.replace(/\?.*$/, ''));
    assert.equal(unsigned.status, 403, 'blob without a signature');
    const forged = await get(signed.replace(/sig=[0-9a-f]/, (m) => (m.endsWith('0') ? m.slice(0, -1) + '1' : m.slice(0, -1) + '0')));
    assert.equal(forged.status, 403, 'blob with a wrong signature');
    assert.match(forged.text, /SignatureDoesNotMatch/);
    const served = await get(signed);
    assert.equal(served.status, 200, 'the signed URL, issued only to a caller with the token, serves the file');
    assert.ok(served.bytes.equals(await (synthetic.figshare.files[0] as { read: () => Promise<Buffer> }).read()));
  });

  test('without a configured password, Basic login fails exactly like a wrong password in Girder', async () => {
    const fx = await fixture();
    const plain = await startServer({ dataset: fx.dataset, apiKey: KEY });
    try {
      for (const password of ['demo', '', PASSWORD]) {
        const r = await get(`${plain.urls.girder}/user/authentication`, { headers: { Authorization: basic('demo', password) } });
        assert.equal(r.status, 401, password);
        assert.equal(r.text, '{"message": "Login failed.", "type": "access"}');
      }
      const byEmail = await get(`${plain.urls.girder}/user/authentication`, { headers: { Authorization: basic('demo@example.org', 'demo') } });
      assert.equal(byEmail.status, 401);
      const listing = await get(`${plain.urls.girder}/item?folderId=${IDS.publicFolder}`);
      assert.equal(listing.status, 401, 'and the data stays closed');
      const tok = await get(`${plain.urls.girder}/api_key/token?key=${KEY}`, { method: 'POST' });
      assert.equal(tok.status, 200, 'the API key still opens it');
    } finally {
      await plain.close();
    }
    const pub = await startServer({ dataset: fx.dataset });
    try {
      const r = await get(`${pub.urls.girder}/user/authentication`, { headers: { Authorization: basic('demo', 'demo') } });
      assert.equal(r.status, 200, 'public mode keeps demo / demo');
    } finally {
      await pub.close();
    }
  });

  test('openServices (programmatic only) leaves named services public, as on the real BCSS hosts; the others stay guarded', async () => {
    const fx = await fixture();
    const mixed = await startServer({ dataset: { ...fx.dataset, figshare: synthetic.figshare, gdc: synthetic.gdc }, apiKey: KEY, openServices: ['figshare'] });
    try {
      assert.equal((await get(`${mixed.urls.figshare}/articles/${synthetic.figshare.articleId}/files`)).status, 200);
      assert.equal((await get(`${mixed.urls.gdc}/files`)).status, 403);
      assert.equal((await get(`${mixed.urls.gdc}/files`, { headers: { 'X-Auth-Token': KEY } })).status, 200, 'the GDC token defaults to the key');
      assert.equal((await get(`${mixed.urls.girder}/item?folderId=${IDS.publicFolder}`)).status, 401);
    } finally {
      await mixed.close();
    }
  });
});

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { AuthError } from '../../src/errors.js';
import { formatMm, mmPerPixel } from '../../src/geometry/naming.js';
import { GIRDER_PAGE_SIZE, GirderClient, GirderNotFoundError, tilesToGeometry } from '../../src/remote/girder-client.js';
import { quickTransfer, sendJson, tinyServer } from './tiny-server.js';

const FOLDER = '5bbdeba3e629140048d017bb';
const ITEM = '5bbdeed1e629140048d01bcb';
const KEY = 'K'.repeat(40);
const TOKEN = 'T'.repeat(64);

function items(n: number): Array<{ _id: string; name: string; folderId: string }> {
  return Array.from({ length: n }, (_, i) => ({
    _id: (0x5bbdeed1e6291400n * 0x100000000n + BigInt(i)).toString(16).padStart(24, '0').slice(-24),
    name: `TCGA-A1-${String(i).padStart(4, '0')}-01Z-00-DX1.X.svs`,
    folderId: FOLDER,
  }));
}

describe('GirderClient.authenticate', () => {
  test('sends the API key in a form body, never the URL, then uses the token only in Girder-Token', async () => {
    const server = await tinyServer((req, res) => {
      if (req.url.startsWith('/api/v1/api_key/token')) {
        const form = new URLSearchParams(req.body);
        if (form.get('key') === KEY) sendJson(res, 200, { authToken: { token: TOKEN, expires: 'x', scope: ['core.user_auth'] }, user: { _id: ITEM } });
        else sendJson(res, 400, { message: 'Invalid API key.', type: 'validation' });
      } else sendJson(res, 200, { _id: ITEM, name: 'x.svs', folderId: FOLDER, size: 1 });
    });
    const secrets: string[] = [];
    try {
      const client = new GirderClient({ transfer: quickTransfer(secrets), apiUrl: `${server.base}/api/v1/`, onSecret: (s) => secrets.push(s) });
      await client.authenticate({ kind: 'api-key', apiKey: KEY });
      await client.getItem(ITEM);
      const [auth, get] = server.seen;
      assert.equal(auth?.method, 'POST');
      assert.equal(auth?.url, '/api/v1/api_key/token');
      assert.ok(!auth.url.includes(KEY));
      assert.match(String(auth.headers['content-type']), /application\/x-www-form-urlencoded/);
      assert.equal(get?.headers['girder-token'], TOKEN);
      assert.ok(!get.url.includes(TOKEN));
      assert.ok(secrets.includes(KEY) && secrets.includes(TOKEN), 'key and token are registered for redaction');
    } finally {
      await server.close();
    }
  });

  test('a rejected key is an AuthError whose message does not contain the key', async () => {
    const server = await tinyServer((_req, res) => sendJson(res, 400, { message: 'Invalid API key.', type: 'validation' }));
    try {
      const client = new GirderClient({ transfer: quickTransfer([KEY]), apiUrl: `${server.base}/api/v1` });
      await assert.rejects(client.authenticate({ kind: 'api-key', apiKey: KEY }), (err: unknown) => {
        assert.ok(err instanceof AuthError);
        assert.ok(!err.message.includes(KEY));
        assert.match(err.message, /Invalid API key/);
        return true;
      });
    } finally {
      await server.close();
    }
  });

  test('login uses Basic auth once and a bad password is an AuthError', async () => {
    const server = await tinyServer((req, res) => {
      const expected = `Basic ${Buffer.from('ann:pw!').toString('base64')}`;
      if (req.headers.authorization === expected) sendJson(res, 200, { authToken: { token: TOKEN }, message: 'Login succeeded.', user: {} });
      else sendJson(res, 401, { message: 'Login failed.', type: 'access' });
    });
    try {
      const ok = new GirderClient({ transfer: quickTransfer(), apiUrl: `${server.base}/api/v1` });
      await ok.authenticate({ kind: 'login', username: 'ann', password: 'pw!' });
      assert.deepEqual(ok.authHeaders(), { headers: { 'Girder-Token': TOKEN }, secretHeaders: ['Girder-Token'] });
      const bad = new GirderClient({ transfer: quickTransfer(), apiUrl: `${server.base}/api/v1` });
      await assert.rejects(bad.authenticate({ kind: 'login', username: 'ann', password: 'nope' }), AuthError);
      assert.equal(server.seen[0]?.url, '/api/v1/user/authentication');
    } finally {
      await server.close();
    }
  });

  test('anonymous sends nothing and adds no header', async () => {
    const client = new GirderClient({ transfer: quickTransfer(), apiUrl: 'http://127.0.0.1:9/api/v1' });
    await client.authenticate({ kind: 'anonymous' });
    assert.deepEqual(client.authHeaders(), {});
  });
});

describe('GirderClient.listFolderItems', () => {
  /** A folder of `total` items; the server caps pages at `cap` items when given. */
  async function listWith(
    total: number,
    withCountHeader: boolean,
    pageSize?: number,
    cap = Infinity,
  ): Promise<{ got: number; offsets: string[]; limits: string[] }> {
    const all = items(total);
    const server = await tinyServer((req, res) => {
      const u = new URL(req.url, 'http://x');
      const limit = Math.min(cap, Number(u.searchParams.get('limit')));
      const offset = Number(u.searchParams.get('offset'));
      sendJson(res, 200, all.slice(offset, offset + limit), withCountHeader ? { 'Girder-Total-Count': String(total) } : {});
    });
    try {
      const client = new GirderClient({ transfer: quickTransfer(), apiUrl: `${server.base}/api/v1` });
      const got = await client.listFolderItems(FOLDER, pageSize);
      assert.deepEqual(
        got.map((g) => g.id),
        all.map((a) => a._id),
        'every item, once, in order',
      );
      const param = (name: string): string[] => server.seen.map((r) => new URL(r.url, 'http://x').searchParams.get(name) ?? '');
      return { got: got.length, offsets: param('offset'), limits: [...new Set(param('limit'))] };
    } finally {
      await server.close();
    }
  }

  test('one request of limit=1000 lists the whole 151-item BCSS folder', async () => {
    assert.equal(GIRDER_PAGE_SIZE, 1000);
    assert.deepEqual(await listWith(151, true), { got: 151, offsets: ['0'], limits: ['1000'] });
    assert.deepEqual(await listWith(151, false), { got: 151, offsets: ['0'], limits: ['1000'] });
  });

  test('pages with the given limit until a short page', async () => {
    assert.deepEqual(await listWith(120, false, 50), { got: 120, offsets: ['0', '50', '100'], limits: ['50'] });
  });

  test('a full last page needs one more (empty) page without a total, none with Girder-Total-Count', async () => {
    assert.deepEqual(await listWith(100, false, 50), { got: 100, offsets: ['0', '50', '100'], limits: ['50'] });
    assert.deepEqual(await listWith(100, true, 50), { got: 100, offsets: ['0', '50'], limits: ['50'] });
  });

  test('a server that caps pages below the limit still yields every item when it sends Girder-Total-Count', async () => {
    assert.deepEqual(await listWith(151, true, 1000, 60), { got: 151, offsets: ['0', '60', '120'], limits: ['1000'] });
  });

  test('a page size below 1 is refused', async () => {
    const client = new GirderClient({ transfer: quickTransfer(), apiUrl: 'http://127.0.0.1:9/api/v1' });
    await assert.rejects(client.listFolderItems(FOLDER, 0), /page size/);
  });

  test('a server that ignores offset is refused instead of looping forever', async () => {
    const page = items(50);
    const server = await tinyServer((_req, res) => sendJson(res, 200, page));
    try {
      const client = new GirderClient({ transfer: quickTransfer(), apiUrl: `${server.base}/api/v1` });
      await assert.rejects(client.listFolderItems(FOLDER, 50), /came back twice/);
      assert.equal(server.seen.length, 2);
    } finally {
      await server.close();
    }
  });
});

describe('GirderClient errors and metadata', () => {
  test('"400 Invalid item id" is a not-found error with an explanation; 401 is an AuthError', async () => {
    const server = await tinyServer((req, res) => {
      if (req.url.includes('/tiles')) sendJson(res, 401, { message: 'Read access denied for folder x (user None).', type: 'access' });
      else sendJson(res, 400, { message: `Invalid item id (${ITEM}).`, type: 'rest' });
    });
    try {
      const client = new GirderClient({ transfer: quickTransfer(), apiUrl: `${server.base}/api/v1` });
      await assert.rejects(client.getItem(ITEM), (err: unknown) => {
        assert.ok(err instanceof GirderNotFoundError);
        assert.match(err.message, /not found/);
        assert.match(err.hint ?? '', /400/);
        return true;
      });
      await assert.rejects(client.getTilesInfo(ITEM), (err: unknown) => err instanceof AuthError && (err.hint ?? '').includes('BCSS_API_KEY'));
    } finally {
      await server.close();
    }
  });

  test('getTilesInfo reads sizes and null mm/magnification into a SlideGeometry', async () => {
    const server = await tinyServer((_req, res) =>
      sendJson(res, 200, { levels: 9, magnification: null, mm_x: null, mm_y: null, sizeX: 50000, sizeY: 40000, tileHeight: 240, tileWidth: 240 }),
    );
    try {
      const client = new GirderClient({ transfer: quickTransfer(), apiUrl: `${server.base}/api/v1` });
      const info = await client.getTilesInfo(ITEM);
      assert.deepEqual(tilesToGeometry(info), { sizeX: 50000, sizeY: 40000, levels: 9, magnification: null, mmX: null, mmY: null });
      assert.equal(server.seen[0]?.url, `/api/v1/item/${ITEM}/tiles`);
    } finally {
      await server.close();
    }
  });
});

describe('GirderClient.regionUrl', () => {
  const client = new GirderClient({ transfer: quickTransfer(), apiUrl: 'https://dsa.example/api/v1/' });
  const bounds = { left: 45749, top: 25055, right: 49789, bottom: 27991 };
  const params = (url: string): URLSearchParams => new URL(url).searchParams;

  test('0.25 µm/px is sent as mm_x=mm_y=0.00025 exactly (not %.4f 0.0003), PNG by default', () => {
    const url = client.regionUrl(ITEM, bounds, { kind: 'mpp', mpp: 0.25 });
    assert.ok(url.startsWith(`https://dsa.example/api/v1/item/${ITEM}/tiles/region?`));
    const p = params(url);
    assert.equal(p.get('mm_x'), '0.00025');
    assert.equal(p.get('mm_y'), '0.00025');
    assert.equal(Number(p.get('mm_x')), mmPerPixel(0.25), 'the sent text parses back to the exact double');
    assert.equal(p.get('mm_x'), formatMm(mmPerPixel(0.25)));
    assert.deepEqual([p.get('left'), p.get('top'), p.get('right'), p.get('bottom')], ['45749', '25055', '49789', '27991']);
    assert.equal(p.get('encoding'), 'PNG');
    assert.equal(p.get('magnification'), null);
  });

  test('an awkward mpp round-trips', () => {
    const p = params(client.regionUrl(ITEM, bounds, { kind: 'mpp', mpp: 0.23 }));
    assert.equal(Number(p.get('mm_x')), 0.23 / 1000);
  });

  test('magnification, base and JPEG', () => {
    const mag = params(client.regionUrl(ITEM, bounds, { kind: 'mag', magnification: 20 }, 'jpeg'));
    assert.equal(mag.get('magnification'), '20');
    assert.equal(mag.get('mm_x'), null);
    assert.equal(mag.get('encoding'), 'JPEG');
    const base = params(client.regionUrl(ITEM, bounds, { kind: 'base' }));
    assert.deepEqual([...base.keys()], ['left', 'top', 'right', 'bottom', 'encoding']);
  });

  test('bad ids and bounds are refused', () => {
    assert.throws(() => client.regionUrl('../etc', bounds, { kind: 'base' }), /24-hex/);
    assert.throws(() => client.regionUrl(ITEM, { ...bounds, left: -1 }, { kind: 'base' }), /non-negative/);
    assert.equal(client.annotationsUrl(ITEM), `https://dsa.example/api/v1/annotation/item/${ITEM}`);
  });
});

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { checkFigshareFiles, checkGdcAnswer, checkItem, checkItems, checkLoginToken, checkTiles } from '../../src/remote/json-checks.js';

const ITEM = { _id: '5bbdeed1e629140048d01bcb', name: 'TCGA-A1-A0SK-01Z-00-DX1.svs', folderId: '5bbdeba3e629140048d017bb', size: 2200, largeImage: { fileId: 'x' }, extra: 1 };
const TILES = { sizeX: 100, sizeY: 50, levels: 3, magnification: 40, mm_x: 0.00025, mm_y: 0.00025, tileWidth: 256, tileHeight: 256 };
const FILE = { id: 1, name: 'a.png', size: 10, download_url: 'https://x/1', computed_md5: 'A'.repeat(32), supplied_md5: '', is_link_only: false, mimetype: 'image/png' };

describe('remote JSON checks', () => {
  test('valid answers pass with the fields bcss uses; optional ones may be absent or null', () => {
    assert.deepEqual(checkItem(ITEM), { ok: true, value: { _id: ITEM._id, name: ITEM.name, folderId: ITEM.folderId, size: 2200, largeImage: { fileId: 'x' } } });
    assert.deepEqual(checkItem({ _id: ITEM._id, name: 'n', size: null }), { ok: true, value: { _id: ITEM._id, name: 'n', size: null } });
    assert.equal(checkItems([ITEM, ITEM]).ok, true);
    assert.deepEqual(checkTiles({ ...TILES, magnification: null, mm_x: undefined, mm_y: null }), {
      ok: true,
      value: { ...TILES, magnification: null, mm_x: null, mm_y: null },
    });
    assert.deepEqual(checkFigshareFiles([{ ...FILE, supplied_md5: null, is_link_only: undefined, mimetype: undefined }]), {
      ok: true,
      value: [{ ...FILE, supplied_md5: null, is_link_only: null, mimetype: null }],
    });
  });

  test('a wrong field is named, with its position in a list', () => {
    const issue = (r: { ok: boolean; issue?: string }): string => (r.ok ? 'ok' : (r.issue ?? ''));
    assert.match(issue(checkItem({ ...ITEM, _id: 'nope' })), /^_id: expected a 24-hex id, got "nope"/);
    assert.match(issue(checkItem({ ...ITEM, size: '12' })), /^size: expected a number or null/);
    assert.match(issue(checkItems([ITEM, { ...ITEM, name: 3 }])), /^1\.name: expected a string, got 3/);
    assert.match(issue(checkItems({ items: [] })), /expected an array/);
    assert.match(issue(checkItems([ITEM, null])), /^1\.: expected an object/);
    assert.match(issue(checkTiles({ ...TILES, sizeX: 0 })), /^sizeX: expected a positive integer, got 0/);
    assert.match(issue(checkTiles({ ...TILES, levels: 2.5 })), /^levels: expected a positive integer/);
    assert.match(issue(checkTiles({ ...TILES, mm_x: -1 })), /^mm_x: expected a positive number or null/);
    assert.match(issue(checkTiles({ ...TILES, tileHeight: undefined })), /^tileHeight: expected a positive integer, got nothing/);
    assert.match(issue(checkTiles('<html>')), /expected an object/);
    assert.match(issue(checkFigshareFiles([FILE, { ...FILE, computed_md5: 'xyz' }])), /^1\.computed_md5: expected 32 hex digits/);
    assert.match(issue(checkFigshareFiles([{ ...FILE, size: -1 }])), /^0\.size: expected a non-negative integer/);
    assert.match(issue(checkFigshareFiles([{ ...FILE, download_url: '' }])), /^0\.download_url: expected a URL/);
  });

  test('the login token and the GDC envelope: the value bcss uses, or the field that is wrong', () => {
    const issue = (r: { ok: boolean; issue?: string }): string => (r.ok ? 'ok' : (r.issue ?? ''));
    assert.deepEqual(checkLoginToken({ authToken: { token: 'abc', expires: 'x' }, user: {} }), { ok: true, value: 'abc' });
    assert.match(issue(checkLoginToken({ authToken: { token: '' } })), /^authToken\.token: expected a non-empty string/);
    assert.match(issue(checkLoginToken({ token: 'abc' })), /^authToken: expected an object/);
    assert.match(issue(checkLoginToken(null)), /expected an object/);
    const hits = [{ file_id: 'x' }];
    assert.deepEqual(checkGdcAnswer({ data: { hits, pagination: { total: 1, count: 1 } }, warnings: {} }), { ok: true, value: { hits, total: 1 } });
    assert.match(issue(checkGdcAnswer({ data: { hits: {}, pagination: { total: 1 } } })), /^data\.hits: expected an array/);
    assert.match(issue(checkGdcAnswer({ data: { hits: [], pagination: { total: -1 } } })), /^data\.pagination\.total: expected a non-negative integer/);
    assert.match(issue(checkGdcAnswer({ data: { hits: [] } })), /^data\.pagination: expected an object/);
    assert.match(issue(checkGdcAnswer([])), /expected an object/);
  });
});

/**
 * Issue 9 item 8: a lying `Girder-Total-Count` or a server that invents items forever cannot keep
 * the client paging: a short or empty page ends the listing, and paging past the catalog's count
 * plus a margin is a clear error.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { DEFAULT_MAX_LISTED_ITEMS, GirderClient } from '../../src/remote/girder-client.js';
import { quickTransfer, sendJson, tinyServer } from '../remote/tiny-server.js';

const FOLDER = '5bbdeba3e629140048d017bb';
const itemAt = (n: number): { _id: string; name: string; folderId: string } => ({ _id: n.toString(16).padStart(24, '0'), name: `slide-${n}.svs`, folderId: FOLDER });

describe('a lying folder listing', () => {
  test('Girder-Total-Count 1e9 with one new item per page: the first short page ends the listing', async () => {
    const server = await tinyServer((req, res) => {
      const offset = Number(new URL(req.url, 'http://x').searchParams.get('offset'));
      sendJson(res, 200, [itemAt(offset + 1)], { 'Girder-Total-Count': '1000000000' });
    });
    try {
      const client = new GirderClient({ transfer: quickTransfer(), apiUrl: `${server.base}/api/v1` });
      const got = await client.listFolderItems(FOLDER);
      assert.equal(got.length, 1);
      assert.equal(server.seen.length, 1);
    } finally {
      await server.close();
    }
  });

  test('full pages of new items forever: a clear error at the limit, after a bounded number of requests', async () => {
    const server = await tinyServer((req, res) => {
      const u = new URL(req.url, 'http://x');
      const offset = Number(u.searchParams.get('offset'));
      const limit = Number(u.searchParams.get('limit'));
      sendJson(res, 200, Array.from({ length: limit }, (_, i) => itemAt(offset + i + 1)), { 'Girder-Total-Count': '1000000000' });
    });
    try {
      const client = new GirderClient({ transfer: quickTransfer(), apiUrl: `${server.base}/api/v1` });
      await assert.rejects(client.listFolderItems(FOLDER), new RegExp(`more than ${DEFAULT_MAX_LISTED_ITEMS} items .*refusing to page further`));
      assert.ok(server.seen.length <= Math.ceil(DEFAULT_MAX_LISTED_ITEMS / 1000) + 1, `${server.seen.length} requests`);
    } finally {
      await server.close();
    }
  });

  test('a cap that shrinks page by page is not followed', async () => {
    const server = await tinyServer((req, res) => {
      const offset = Number(new URL(req.url, 'http://x').searchParams.get('offset'));
      const size = offset === 0 ? 60 : 59;
      sendJson(res, 200, Array.from({ length: size }, (_, i) => itemAt(offset + i + 1)), { 'Girder-Total-Count': '1000000000' });
    });
    try {
      const client = new GirderClient({ transfer: quickTransfer(), apiUrl: `${server.base}/api/v1` });
      assert.equal((await client.listFolderItems(FOLDER)).length, 119);
      assert.equal(server.seen.length, 2);
    } finally {
      await server.close();
    }
  });
});

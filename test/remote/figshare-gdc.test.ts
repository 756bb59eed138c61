import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { listArticleFiles } from '../../src/remote/figshare-client.js';
import { GDC_FIELDS, queryGdcFiles } from '../../src/remote/gdc-client.js';
import { quickTransfer, sendJson, tinyServer } from './tiny-server.js';

function publicFile(id: number): Record<string, unknown> {
  return {
    id,
    name: `mask-${id}.png`,
    size: 100 + id,
    download_url: `https://ndownloader.figshare.com/files/${id}`,
    computed_md5: id.toString(16).padStart(32, '0'),
    supplied_md5: '',
    is_link_only: false,
    mimetype: 'image/png',
  };
}

describe('listArticleFiles', () => {
  test('uses the paged files endpoint with page_size=1000 and stops at the short page', async () => {
    const all = Array.from({ length: 1151 }, (_, i) => publicFile(13243676 + i));
    const server = await tinyServer((req, res) => {
      const u = new URL(req.url, 'http://x');
      const page = Number(u.searchParams.get('page'));
      const size = Number(u.searchParams.get('page_size'));
      sendJson(res, 200, all.slice((page - 1) * size, page * size));
    });
    try {
      const files = await listArticleFiles({ transfer: quickTransfer(), baseUrl: `${server.base}/v2/`, articleId: 7193138 });
      assert.equal(files.length, 1151);
      assert.deepEqual(
        server.seen.map((r) => r.url),
        ['/v2/articles/7193138/files?page=1&page_size=1000', '/v2/articles/7193138/files?page=2&page_size=1000'],
      );
      assert.equal(files[5]?.downloadUrl, 'https://ndownloader.figshare.com/files/13243681');
      assert.equal(files[5]?.computedMd5, (13243681).toString(16).padStart(32, '0'));
    } finally {
      await server.close();
    }
  });

  test('151 files come in one request', async () => {
    const all = Array.from({ length: 151 }, (_, i) => publicFile(1 + i));
    const server = await tinyServer((_req, res) => sendJson(res, 200, all));
    try {
      const files = await listArticleFiles({ transfer: quickTransfer(), baseUrl: `${server.base}/v2`, articleId: 7193138 });
      assert.equal(files.length, 151);
      assert.equal(server.seen.length, 1);
    } finally {
      await server.close();
    }
  });

  test('a file without computed_md5 is refused with the field named', async () => {
    const server = await tinyServer((_req, res) => sendJson(res, 200, [{ ...publicFile(1), computed_md5: '' }]));
    try {
      await assert.rejects(listArticleFiles({ transfer: quickTransfer(), baseUrl: server.base, articleId: 1 }), /computed_md5/);
    } finally {
      await server.close();
    }
  });
});

describe('queryGdcFiles', () => {
  const hit = (name: string, n: number): Record<string, unknown> => ({
    id: `00000000-0000-0000-0000-${String(n).padStart(12, '0')}`,
    file_id: `00000000-0000-0000-0000-${String(n).padStart(12, '0')}`,
    file_name: name,
    md5sum: 'A'.repeat(32),
    file_size: 1000 + n,
    access: 'open',
    state: 'released',
    data_format: 'SVS',
  });

  test('one POST with an `in` filter, size = number of names; one hit per name', async () => {
    const names = ['TCGA-A1-A0SK-01Z-00-DX1.A.svs', 'TCGA-A1-A0SP-01Z-00-DX1.B.svs', 'TCGA-A2-A04P-01Z-00-DX1.C.svs', 'TCGA-ZZ-ZZZZ-01Z-00-DX1.D.svs'];
    const server = await tinyServer((req, res) => {
      const body = JSON.parse(req.body) as { filters: { content: { value: string[] } } };
      const asked = body.filters.content.value;
      const hits = [hit(asked[0] ?? '', 1), hit(asked[1] ?? '', 2), hit(asked[2] ?? '', 3), hit(asked[2] ?? '', 4)];
      sendJson(res, 200, { data: { hits, pagination: { count: 4, total: 4, size: 4, from: 0 } }, warnings: {} });
    });
    try {
      const lookup = await queryGdcFiles({ transfer: quickTransfer(), baseUrl: server.base, fileNames: names });
      assert.equal(server.seen.length, 1);
      const req = server.seen[0];
      assert.equal(req?.method, 'POST');
      assert.equal(req?.url, '/files');
      const body = JSON.parse(req?.body ?? '{}') as Record<string, unknown>;
      assert.deepEqual(body.filters, { op: 'in', content: { field: 'files.file_name', value: names } });
      assert.equal(body.size, '4');
      assert.equal(body.fields, GDC_FIELDS);
      assert.deepEqual([...lookup.files.keys()], names.slice(0, 2));
      assert.equal(lookup.files.get(names[0] ?? '')?.md5sum, 'a'.repeat(32));
      assert.deepEqual(lookup.ambiguous, [names[2]]);
      assert.deepEqual(lookup.missing, [names[3]]);
    } finally {
      await server.close();
    }
  });

  test('a truncated answer (total > hits) is an error, not a silent short manifest', async () => {
    const server = await tinyServer((_req, res) => sendJson(res, 200, { data: { hits: [hit('a.svs', 1)], pagination: { total: 2 } } }));
    try {
      await assert.rejects(queryGdcFiles({ transfer: quickTransfer(), baseUrl: server.base, fileNames: ['a.svs', 'b.svs'] }), /only 1 were returned/);
    } finally {
      await server.close();
    }
  });
});

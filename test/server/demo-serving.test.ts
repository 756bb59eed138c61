import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { builtinRois, builtinSlides, FIGSHARE_ARTICLE_ID } from '../../src/catalog/index.js';
import { loadDemoDataset } from '../../src/server/demo/demo-dataset.js';
import { createFigshareHandler } from '../../src/server/figshare/figshare-handler.js';
import { createGdcHandler } from '../../src/server/gdc/gdc-handler.js';
import { md5, mountHandler } from './figshare-test-server.js';

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/** The demo dataset behind the figshare and GDC protocols, as a downloader sees it. */
describe('demo dataset over figshare and GDC', () => {
  let cacheDir = '';
  let figshare: Awaited<ReturnType<typeof mountHandler>>;
  let gdc: Awaited<ReturnType<typeof mountHandler>>;

  before(async () => {
    cacheDir = await mkdtemp(join(tmpdir(), 'bcss-demo-serve-'));
    // The .svs files as stand-in bytes: this file is about ids, names and md5s over the two
    // protocols; demo-slide-serving.test.ts opens generated TIFFs fetched the same way.
    const dataset = await loadDemoDataset({ scale: 0.02, cacheDir, slideFiles: 'stand-in' });
    figshare = await mountHandler('/figshare', (baseUrl) => createFigshareHandler(dataset, { baseUrl }));
    gdc = await mountHandler('/gdc', (baseUrl) => createGdcHandler(dataset, { baseUrl }));
  });
  after(async () => {
    await Promise.all([figshare.close(), gdc.close()]);
    await rm(cacheDir, { recursive: true, force: true });
  });

  test('one listing call returns all 151 masks under their real ids; downloads match computed_md5', async () => {
    const res = await fetch(`${figshare.baseUrl}/v2/articles/${FIGSHARE_ARTICLE_ID}/files?page=1&page_size=1000`);
    const files = (await res.json()) as { id: number; name: string; size: number; computed_md5: string; download_url: string }[];
    assert.equal(files.length, 151);
    assert.deepEqual(
      files.map((f) => f.id).sort(),
      builtinRois().map((r) => r.maskFileId).sort(),
    );
    for (const f of files.filter((_, k) => k % 50 === 0)) {
      const body = Buffer.from(await (await fetch(f.download_url)).arrayBuffer());
      assert.deepEqual(body.subarray(0, 8), PNG_SIGNATURE);
      assert.equal(body.length, f.size);
      assert.equal(md5(body), f.computed_md5);
    }
  });

  test('one GDC query with size=200 maps all 151 slide names; /data bytes match md5sum', async () => {
    const names = builtinSlides().map((s) => s.fileName);
    const res = await fetch(`${gdc.baseUrl}/v0/files`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({
        filters: JSON.stringify({ op: 'in', content: { field: 'files.file_name', value: names } }),
        fields: 'file_id,file_name,md5sum,file_size,access,state,data_format',
        format: 'JSON',
        size: '200',
      }),
    });
    const env = (await res.json()) as { data: { hits: { file_id: string; file_name: string; md5sum: string; file_size: number; data_format: string }[]; pagination: { total: number } } };
    assert.equal(env.data.pagination.total, 151);
    assert.deepEqual(env.data.hits.map((h) => h.file_name).sort(), [...names].sort());
    const hit = env.data.hits[17];
    assert.ok(hit !== undefined);
    assert.equal(hit.data_format, 'SVS');
    const data = await fetch(`${gdc.baseUrl}/data/${hit.file_id}`);
    const body = Buffer.from(await data.arrayBuffer());
    assert.equal(body.length, hit.file_size);
    assert.equal(md5(body), hit.md5sum);
    assert.equal(data.headers.get('content-md5'), hit.md5sum);
    assert.equal(data.headers.get('content-disposition'), `attachment; filename=${hit.file_name}`);
  });
});

import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { loadDemoDataset } from '../../src/server/demo/demo-dataset.js';
import type { ServedDataset } from '../../src/server/dataset-types.js';
import { startServer, type RunningServer } from '../../src/server/start-server.js';
import { openSlide } from '../../src/slides/open-slide.js';
import { md5 } from './figshare-test-server.js';

const SLIDES = ['A1-A0SK', 'A2-A04P'];

/** The demo's slide files as GDC and Girder clients fetch them (download_wsis.sh uses Girder). */
describe('demo slide files over GDC and Girder', () => {
  let cacheDir = '';
  let dataset: ServedDataset;
  let server: RunningServer;
  const generated: string[] = [];

  before(async () => {
    cacheDir = await mkdtemp(join(tmpdir(), 'bcss-demo-slides-'));
    dataset = await loadDemoDataset({ scale: 0.05, cacheDir, slides: SLIDES, onSlideGenerate: (n) => generated.push(n) });
    server = await startServer({ dataset, port: 0 });
  });
  after(async () => {
    await server.close();
    await rm(cacheDir, { recursive: true, force: true });
  });

  test('nothing is generated before a request needs it; GDC records carry the true size and md5', async () => {
    assert.deepEqual(generated, []);
    // Tile metadata and regions render from the pixels and never need the file.
    const item = dataset.items[0];
    assert.equal((await fetch(`${server.urls.girder}/item/${item?.id}/tiles`)).status, 200);
    assert.equal((await fetch(`${server.urls.girder}/item/${item?.id}/tiles/region?right=100&bottom=100`)).status, 200);
    assert.equal((await fetch(`${server.urls.girder}/system/version`)).status, 200);
    assert.deepEqual(generated, []);
    const res = await fetch(`${server.urls.gdc}/files`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ fields: 'file_id,file_name,md5sum,file_size', size: 10 }),
    });
    const hits = ((await res.json()) as { data: { hits: { file_id: string; file_name: string; md5sum: string; file_size: number }[] } }).data.hits;
    assert.equal(hits.length, 2);
    assert.deepEqual([...generated].sort(), hits.map((h) => h.file_name).sort());
    for (const hit of hits) {
      const data = await fetch(`${server.urls.gdc}/data/${hit.file_id}`);
      const body = Buffer.from(await data.arrayBuffer());
      assert.equal(body.length, hit.file_size);
      assert.equal(md5(body), hit.md5sum);
      assert.equal(data.headers.get('content-md5'), hit.md5sum);
      // A real slide: the slides reader opens the downloaded bytes as an Aperio SVS.
      const path = join(cacheDir, `downloaded-${hit.file_name}`);
      await writeFile(path, body);
      const slide = await openSlide(path);
      const item = dataset.items.find((i) => i.name === hit.file_name);
      assert.ok(slide.isAperio);
      assert.deepEqual([slide.width, slide.height, slide.mmX], [item?.slide?.geometry.sizeX, item?.slide?.geometry.sizeY, item?.slide?.geometry.mmX]);
      await slide.close();
    }
  });

  test('Girder serves the same bytes, with Range, and reports the same size', async () => {
    const gdcFile = dataset.gdc.files[1];
    assert.ok(gdcFile !== undefined);
    const item = dataset.items.find((i) => i.name === gdcFile.fileName);
    assert.ok(item !== undefined);
    const files = (await (await fetch(`${server.urls.girder}/item/${item.id}/files`)).json()) as { _id: string; size: number }[];
    assert.equal(files[0]?.size, gdcFile.size);
    const whole = Buffer.from(await (await fetch(`${server.urls.girder}/item/${item.id}/download`)).arrayBuffer());
    assert.equal(md5(whole), gdcFile.md5);
    const part = await fetch(`${server.urls.girder}/file/${files[0]?._id}/download`, { headers: { Range: 'bytes=1000-1999' } });
    assert.equal(part.status, 206);
    assert.deepEqual(Buffer.from(await part.arrayBuffer()), whole.subarray(1000, 2000));
    const gdcPart = await fetch(`${server.urls.gdc}/data/${gdcFile.fileId}`, { headers: { Range: `bytes=${whole.length - 10}-` } });
    assert.equal(gdcPart.status, 206);
    assert.deepEqual(Buffer.from(await gdcPart.arrayBuffer()), whole.subarray(whole.length - 10));
    const listing = (await (await fetch(`${server.urls.girder}/item?folderId=${item.folderId}&limit=0`)).json()) as { name: string; size: number }[];
    assert.equal(listing.find((i) => i.name === item.name)?.size, gdcFile.size);
    assert.equal(generated.length, 2, 'each slide was made once');
  });

  test('over the pixel budget the demo keeps its stand-in bytes (the whole demo at scale 1 would be ~100 GB)', async () => {
    const big = await loadDemoDataset({ cacheDir: join(cacheDir, 'full') });
    const file = big.gdc.files[0];
    assert.ok(file !== undefined && file.ready === undefined);
    assert.ok(file.size < 10_000);
    const forced = await loadDemoDataset({ cacheDir: join(cacheDir, 'forced'), slides: ['A1-A0SK'], scale: 0.05, slideFiles: 'stand-in' });
    assert.equal(forced.gdc.files[0]?.ready, undefined);
    // The budget line: the whole demo at 0.05 (1.0 Gpx) is real, at 0.1 (4.1 Gpx) it is not.
    assert.notEqual((await loadDemoDataset({ cacheDir: join(cacheDir, 'a'), scale: 0.05 })).gdc.files[0]?.ready, undefined);
    assert.equal((await loadDemoDataset({ cacheDir: join(cacheDir, 'b'), scale: 0.1 })).gdc.files[0]?.ready, undefined);
    const one = await loadDemoDataset({ cacheDir: join(cacheDir, 'c'), slides: ['D8-A142'], slideFiles: 'tiff' });
    assert.notEqual(one.gdc.files[0]?.ready, undefined, 'forced real files at scale 1 (not made here: 1.3 GB)');
  });
});

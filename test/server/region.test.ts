import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import sharp from 'sharp';
import { planRegion } from '../../src/geometry/region-size.js';
import type { RunningServer } from '../../src/server/start-server.js';
import { openSlide } from '../../src/slides/open-slide.js';
import { A12_SLIDES, get, IDS, itemIdByName, SLIDE_PATH, startFixtureServer, type Fixture } from './fixtures.js';

async function decode(bytes: Buffer): Promise<{ width: number; height: number; channels: number; data: Buffer }> {
  const { data, info } = await sharp(bytes).raw().toBuffer({ resolveWithObject: true });
  return { width: info.width, height: info.height, channels: info.channels, data };
}

/** The closed form of docs/imaging.md#region-size for mm requests: floor(rw / scale), scale = 2^-r4(log2(MX / mm)). */
function mmSize(rw: number, rh: number, slideMm: number, mm: number): [number, number] {
  const ratio = Number((Math.log(slideMm / mm) / Math.log(2)).toFixed(4));
  const scale = 2 ** -ratio;
  return [Math.floor(rw / scale), Math.floor(rh / scale)];
}

describe('tiles and tiles/region on a real slide (docs/protocols.md#tiles-metadata, #tiles-region)', () => {
  let server: RunningServer & { fx: Fixture };
  let region: string;
  before(async () => {
    server = await startFixtureServer();
    region = `${server.urls.girder}/item/${IDS.slideItem}/tiles/region`;
  });
  after(() => server.close());

  test('/tiles reports the 10 keys, levels from the tile size, floats as floats', async () => {
    const r = await get(`${server.urls.girder}/item/${IDS.slideItem}/tiles`);
    assert.equal(
      r.text,
      '{"bandCount": 4, "dtype": "uint8", "levels": 5, "magnification": 20.0, "mm_x": 0.000499, "mm_y": 0.000499, ' +
        '"sizeX": 2220, "sizeY": 2967, "tileHeight": 240, "tileWidth": 240}',
    );
    const bare = JSON.parse((await get(`${server.urls.girder}/item/${itemIdByName(server.fx, A12_SLIDES.bare)}/tiles`)).text);
    assert.deepEqual([bare.magnification, bare.mm_x, bare.mm_y, bare.levels], [null, null, null, 10]);
    const none = await get(`${server.urls.girder}/item/${IDS.docItem}/tiles`);
    assert.equal(none.status, 400);
    assert.equal(none.text, '{"message": "No large image file in this item.", "type": "rest"}');
  });

  test('base resolution PNG is RGB and pixel-identical to the slide', async () => {
    const r = await get(`${region}?left=100&top=200&right=612&bottom=456&encoding=PNG`);
    assert.equal(r.status, 200);
    assert.equal(r.headers.get('content-type'), 'image/png');
    assert.equal(r.bytes[25], 2, 'IHDR colour type 2 (RGB): not resampled');
    const img = await decode(r.bytes);
    const slide = await openSlide(SLIDE_PATH);
    const ref = await slide.readRaw(0, { left: 100, top: 200, width: 512, height: 256 });
    await slide.close();
    assert.deepEqual([img.width, img.height, img.channels], [512, 256, 3]);
    assert.ok(img.data.equals(ref.data));
  });

  test('mm and magnification requests: sizes of docs/imaging.md#region-size, PNG RGBA when resampled', async () => {
    const g = server.fx.slideGeometry;
    for (const [query, rw, rh] of [
      ['mm_x=0.00025&mm_y=0.00025', 1000, 800],
      ['mm_x=0.0003&mm_y=0.0003', 1001, 799],
      ['magnification=10', 1000, 800],
      ['magnification=40', 301, 203],
    ] as const) {
      const r = await get(`${region}?left=10&top=20&right=${10 + rw}&bottom=${20 + rh}&${query}&encoding=PNG`);
      assert.equal(r.status, 200, query);
      const img = await decode(r.bytes);
      const req = Object.fromEntries(new URLSearchParams(query));
      const plan = planRegion(g, {
        left: 10,
        top: 20,
        right: 10 + rw,
        bottom: 20 + rh,
        mmX: req.mm_x ? Number(req.mm_x) : undefined,
        mmY: req.mm_y ? Number(req.mm_y) : undefined,
        magnification: req.magnification ? Number(req.magnification) : undefined,
      });
      assert.ok(!plan.empty);
      assert.deepEqual([img.width, img.height], [plan.width, plan.height], query);
      if (req.mm_x) assert.deepEqual([img.width, img.height], mmSize(rw, rh, 0.000499, Number(req.mm_x)), query);
      if (req.magnification) {
        const f = Number(req.magnification) / 20;
        assert.deepEqual([img.width, img.height], [Math.floor(rw * f), Math.floor(rh * f)], query);
      }
      assert.equal(r.bytes[25], 6, `${query}: resampled regions are RGBA`);
      assert.equal(img.channels, 4);
      for (let i = 3; i < img.data.length; i += 4 * 997) assert.equal(img.data[i], 255);
    }
  });

  test('JPEG by default (quality 95, 4:4:4); jpegQuality and jpegSubsampling are honoured', async () => {
    const q = 'left=0&top=0&right=480&bottom=360';
    const dflt = await get(`${region}?${q}`);
    assert.equal(dflt.headers.get('content-type'), 'image/jpeg');
    const meta = await sharp(dflt.bytes).metadata();
    assert.deepEqual([meta.format, meta.width, meta.height, meta.chromaSubsampling], ['jpeg', 480, 360, '4:4:4']);
    const explicit = await get(`${region}?${q}&encoding=JPEG&jpegQuality=95&jpegSubsampling=0`);
    assert.ok(explicit.bytes.equals(dflt.bytes), 'the defaults are quality 95 and 4:4:4');
    const low = await get(`${region}?${q}&jpegQuality=40&jpegSubsampling=2`);
    assert.ok(low.bytes.length < dflt.bytes.length);
    assert.equal((await sharp(low.bytes).metadata()).chromaSubsampling, '4:2:0');
    const tiff = await get(`${region}?${q}&encoding=TIFF`);
    assert.equal(tiff.headers.get('content-type'), 'image/tiff');
    assert.equal((await sharp(tiff.bytes).metadata()).width, 480);
  });

  test('width/height fit the region; fill letterboxes to exactly width x height; units', async () => {
    const fit = await decode((await get(`${region}?left=0&top=0&right=1000&bottom=500&width=300&height=300&encoding=PNG`)).bytes);
    assert.deepEqual([fit.width, fit.height], [300, 150]);
    const boxed = await get(`${region}?left=0&top=0&right=1000&bottom=500&width=300&height=300&fill=%23ff0000&encoding=PNG`);
    const img = await decode(boxed.bytes);
    assert.deepEqual([img.width, img.height], [300, 300]);
    assert.deepEqual([...img.data.subarray(0, 3)], [255, 0, 0], 'the padding has the fill colour');
    const frac = await decode((await get(`${region}?left=0&top=0&right=0.5&bottom=0.25&units=fraction&encoding=PNG`)).bytes);
    assert.deepEqual([frac.width, frac.height], [1110, Math.round(2967 * 0.25)]);
    const um = await decode((await get(`${region}?left=0&top=0&regionWidth=249.5&regionHeight=99.8&units=um&encoding=PNG`)).bytes);
    assert.deepEqual([um.width, um.height], [500, 200]);
  });

  test('empty plans answer 200 with a zero-length body and the normal Content-Type', async () => {
    for (const q of ['left=10&right=10&top=0&bottom=100', 'left=0&top=0&right=100&bottom=100&mm_x=0.00025&mm_y=0.00025&exact=true']) {
      const r = await get(`${region}?${q}`);
      assert.equal(r.status, 200, q);
      assert.equal(r.bytes.length, 0, q);
      assert.equal(r.headers.get('content-type'), 'image/jpeg', q);
    }
    const pngEmpty = await get(`${region}?left=5&right=5&encoding=PNG`);
    assert.equal(pngEmpty.headers.get('content-type'), 'image/png');
    assert.equal(pngEmpty.bytes.length, 0);
  });

  test('quoted ETag, Cache-control, 304 on If-None-Match', async () => {
    const url = `${region}?left=0&top=0&right=64&bottom=64&encoding=PNG`;
    const r = await get(url);
    const etag = r.headers.get('etag') ?? '';
    assert.match(etag, /^"[0-9a-f]{32}"$/);
    assert.equal(r.headers.get('cache-control'), 'public, max-age=3600');
    const again = await get(url, { headers: { 'If-None-Match': etag } });
    assert.equal(again.status, 304);
    assert.equal(again.bytes.length, 0);
    const other = await get(`${region}?left=0&top=0&right=65&bottom=64&encoding=PNG`, { headers: { 'If-None-Match': etag } });
    assert.equal(other.status, 200, 'another request has another ETag');
  });

  test('bad parameters: incorrect types, bad encoding, bad values → 400; unknown ones ignored', async () => {
    const cases: Array<[string, string]> = [
      ['left=abc', '"left" parameter is an incorrect type.'],
      ['width=1.5', '"width" parameter is an incorrect type.'],
      ['mm_x=0x10', '"mm_x" parameter is an incorrect type.'],
      ['jpegQuality=high', '"jpegQuality" parameter is an incorrect type.'],
      ['encoding=BMP', 'Value Error: Invalid encoding "BMP"'],
      ['encoding=png', 'Value Error: Invalid encoding "png"'],
      ['units=parsecs&left=1', "Value Error: Invalid units 'parsecs'"],
    ];
    for (const [q, message] of cases) {
      const r = await get(`${region}?${q}`);
      assert.equal(r.status, 400, q);
      assert.equal(JSON.parse(r.text).message, message, q);
    }
    const negative = await get(`${region}?magnification=-2`);
    assert.equal(negative.status, 400);
    assert.match(JSON.parse(negative.text).message, /^Value Error: /);
    const nan = await get(`${region}?left=nan`);
    assert.equal(nan.status, 400);
    const ignored = await get(`${region}?left=0&top=0&right=16&bottom=16&frobnicate=yes&resample=true`);
    assert.equal(ignored.status, 200);
  });

  test('huge regions are refused with a clear 400, and the server keeps serving', async () => {
    const big = `${server.urls.girder}/item/${itemIdByName(server.fx, A12_SLIDES.svs40)}/tiles/region`;
    const r = await get(`${big}?encoding=PNG`);
    assert.equal(r.status, 400);
    assert.match(JSON.parse(r.text).message, /^Value Error: Requested region is too large: the output would be 120000 x 90000 = 10800000000 pixels/);
    const flat = `${server.urls.girder}/item/${itemIdByName(server.fx, A12_SLIDES.flat)}/tiles/region`;
    const read = await get(`${flat}?width=100&height=100`);
    assert.equal(read.status, 400, 'a tiny output that needs a 10-gigapixel read is refused too');
    assert.match(JSON.parse(read.text).message, /source pixels/);
    assert.equal((await get(`${region}?left=0&top=0&right=8&bottom=8`)).status, 200);
  });

  test('contentDisposition adds the large_image filename', async () => {
    const r = await get(`${region}?left=0&top=0&right=8&bottom=8&encoding=PNG&contentDisposition=attachment`);
    assert.equal(
      r.headers.get('content-disposition'),
      `attachment; filename="b'TCGA-A1-A0SK-01Z-00-DX1.test-region.png'"; filename*=UTF-8''TCGA-A1-A0SK-01Z-00-DX1.test-region.png`,
    );
  });
});

describe('docs/imaging.md#region-size-examples through the server', () => {
  let server: RunningServer & { fx: Fixture };
  before(async () => {
    // Keep these renders buffered (the streaming path has its own tests).
    server = await startFixtureServer({ regionLimits: { streamAbovePixels: 64 * 1024 * 1024 } });
  });
  after(() => server.close());

  const size = async (slide: string, query: string): Promise<[number, number] | 'empty'> => {
    const r = await get(`${server.urls.girder}/item/${itemIdByName(server.fx, slide)}/tiles/region?${query}`);
    assert.equal(r.status, 200, `${slide} ${query}: ${r.text.slice(0, 200)}`);
    if (r.bytes.length === 0) return 'empty';
    const meta = await sharp(r.bytes).metadata();
    return [meta.width as number, meta.height as number];
  };

  const roi = 'left=45749&top=25055&right=49789&bottom=27991';
  // docs/imaging.md#region-size-examples, first table: [#, slide, request, expected output].
  const table: Array<[number, string, string, [number, number] | 'empty']> = [
    [1, A12_SLIDES.svs40, '', [4040, 2936]],
    [2, A12_SLIDES.svs40, 'mm_x=0.00025&mm_y=0.00025', [4072, 2959]],
    [3, A12_SLIDES.svs40, 'mm_x=0.0003&mm_y=0.0003', [3393, 2466]],
    [4, A12_SLIDES.svs40, 'mm_x=0.000252&mm_y=0.000252', [4040, 2936]],
    [5, A12_SLIDES.svs40, 'mm_x=0.00025', [4072, 2959]],
    [6, A12_SLIDES.svs40, 'magnification=20', [2020, 1468]],
    [6, A12_SLIDES.full40, 'magnification=20', [2020, 1468]],
    [7, A12_SLIDES.svs40, 'magnification=10', [1010, 734]],
    [8, A12_SLIDES.svs40, 'magnification=40.5', [4090, 2972]],
    [9, A12_SLIDES.svs40, 'mm_x=0.0005&mm_y=0.0005', [2036, 1479]],
    [10, A12_SLIDES.svs40, 'magnification=20&exact=true', 'empty'],
    [10, A12_SLIDES.full40, 'magnification=20&exact=true', [2020, 1468]],
    [11, A12_SLIDES.svs40, 'mm_x=0.00025&mm_y=0.00025&exact=true', 'empty'],
    [11, A12_SLIDES.full40, 'mm_x=0.00025&mm_y=0.00025&exact=true', 'empty'],
    [12, A12_SLIDES.svs40, 'width=1000', [1000, 726]],
    [13, A12_SLIDES.svs40, 'width=1000&height=500', [688, 500]],
    [14, A12_SLIDES.bare, 'mm_x=0.00025&mm_y=0.00025', [4040, 2936]],
  ];
  for (const [n, slide, query, expected] of table) {
    test(`#${n} ${slide} ${query || '(no scale)'}`, async () => {
      assert.deepEqual(await size(slide, `${roi}${query ? '&' + query : ''}`), expected);
    });
  }
  test('#15 zero width and #16 the off-by-one region', async () => {
    assert.equal(await size(A12_SLIDES.svs40, 'left=100&right=100&top=0&bottom=50'), 'empty');
    assert.deepEqual(await size(A12_SLIDES.svs40, 'left=1000&top=1000&right=5999&bottom=5999&mm_x=0.00025&mm_y=0.00025'), [5039, 5039]);
  });

  // docs/imaging.md#region-size-examples, second table (20x slide).
  const roi20 = 'left=10000&top=20000&right=12000&bottom=21500';
  for (const [query, expected] of [
    ['', [2000, 1500]],
    ['mm_x=0.00025&mm_y=0.00025', [4032, 3024]],
    ['mm_x=0.0003&mm_y=0.0003', [3360, 2520]],
    ['magnification=40', [4000, 3000]],
  ] as const) {
    test(`20x slide ${query || '(no scale)'}`, async () => {
      assert.deepEqual(await size(A12_SLIDES.svs20, `${roi20}${query ? '&' + query : ''}`), expected);
    });
  }
  test('20x slide mm_x=mm_y=0.00025 as PNG is RGBA', async () => {
    const r = await get(`${server.urls.girder}/item/${itemIdByName(server.fx, A12_SLIDES.svs20)}/tiles/region?${roi20}&mm_x=0.00025&mm_y=0.00025&encoding=PNG`);
    assert.equal(r.bytes[25], 6);
    assert.deepEqual([r.bytes.readUInt32BE(16), r.bytes.readUInt32BE(20)], [4032, 3024]);
  });
});

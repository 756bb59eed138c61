import assert from 'node:assert/strict';
import type { IncomingMessage } from 'node:http';
import { Readable } from 'node:stream';
import { describe, test } from 'node:test';
import { inflateSync } from 'node:zlib';
import sharp from 'sharp';
import { compareCodePoints, girderJson, girderPrettyJson, pyFloat, pythonFloatRepr } from '../../src/server/girder/girder-json.js';
import { girderResponseBody, prefersHtml } from '../../src/server/girder/girder-response.js';
import { decideRange, downloadWindow, MalformedRangeError, parseRanges } from '../../src/server/http/range.js';
import { girderParams } from '../../src/server/http/params.js';
import { GirderError } from '../../src/server/girder/girder-errors.js';
import { collapseSlashes, pathSegments, relativeTo } from '../../src/server/http/paths.js';
import { girderContentDisposition, pythonQuote } from '../../src/server/http/headers.js';
import { TokenBucket, type Clock } from '../../src/server/http/token-bucket.js';
import { zipStream } from '../../src/server/http/zip-writer.js';
import { pngStream } from '../../src/image/png-stream-writer.js';
import { redactTarget } from '../../src/server/request-log.js';
import { BodyTooLargeError, readBody } from '../../src/server/http/body.js';
import { readZip } from './zip-reader.js';

describe('girderJson (Python json.dumps, sort_keys=True)', () => {
  test('matches CPython on nested objects, unicode and numbers', () => {
    // Expected text printed by CPython 3: json.dumps({...}, sort_keys=True) of the same value.
    const expected =
      '{"a": {"b": true, "x": false, "y": null}, "e": [], "o": {}, "u": "caf\\u00e9 \\u2603 \\ud83d\\ude00 \\"q\\" back\\\\slash\\ttab\\u007f", ' +
      '"z": [1, 2.5, -0.0, 1e-05, 1e+16, 123456789.125, 0.1]}';
    const value = {
      z: [1, 2.5, pyFloat(-0), 1e-5, pyFloat(1e16), 123456789.125, 0.1],
      a: { y: null, b: true, x: false },
      u: 'caf\u00e9 \u2603 \u{1F600} "q" back\\slash\ttab\x7f',
      e: [],
      o: {},
    };
    assert.equal(girderJson(value), expected);
    assert.deepEqual(JSON.parse(girderJson(value)).a, { b: true, x: false, y: null });
  });

  test('sorts keys by code point like Python (astral after U+FFFF)', () => {
    // CPython: json.dumps({'\U0001F600': 1, '\uffff': 2, 'a': 3, 'B': 4}, sort_keys=True)
    assert.equal(girderJson({ '\u{1F600}': 1, '\uffff': 2, a: 3, B: 4 }), '{"B": 4, "a": 3, "\\uffff": 2, "\\ud83d\\ude00": 1}');
    assert.ok(compareCodePoints('\u{1F600}', '\uffff') > 0);
    assert.ok('\u{1F600}' < '\uffff', 'JS UTF-16 order differs, which is why the comparator exists');
  });

  test('integers print as Python ints, PyFloat as Python floats', () => {
    assert.equal(girderJson([40, pyFloat(40), 2 ** 60, 0.000252, pyFloat(null)]), '[40, 40.0, 1152921504606846976, 0.000252, null]');
    assert.equal(pythonFloatRepr(1e-7), '1e-07');
    assert.equal(pythonFloatRepr(123456.789), '123456.789');
    assert.equal(pythonFloatRepr(1.5e300), '1.5e+300');
    assert.equal(pythonFloatRepr(0.0001), '0.0001');
    assert.equal(pythonFloatRepr(9999999999999998), '9999999999999998.0');
  });

  test('undefined values are left out; NaN is refused like allow_nan=False', () => {
    assert.equal(girderJson({ a: undefined, b: 1 }), '{"b": 1}');
    assert.throws(() => girderJson({ x: Number.NaN }), /not JSON compliant/);
  });
});

describe('Girder content negotiation (rest.py _createResponse, docs/protocols.md#girder-transport)', () => {
  test('girderPrettyJson is json.dumps(indent=4, sort_keys=True, separators=(",", ": "))', () => {
    // Python's documented indent layout: one member per line, empty containers stay `[]` / `{}`.
    const expected = '{\n    "a": {},\n    "b": [\n        1,\n        {\n            "c": [],\n            "d": 40.0\n        }\n    ],\n    "e": "\\u00e9"\n}';
    assert.equal(girderPrettyJson({ e: '\u00e9', b: [1, { d: pyFloat(40), c: [] }], a: {} }), expected);
    assert.deepEqual(JSON.parse(girderPrettyJson({ x: [1, 2] })), { x: [1, 2] });
    assert.equal(girderPrettyJson([]), '[]');
  });

  test('the first of application/json and text/html in CherryPy element order decides', () => {
    assert.equal(prefersHtml(undefined), false);
    assert.equal(prefersHtml('*/*'), false);
    assert.equal(prefersHtml('application/json'), false);
    assert.equal(prefersHtml('text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8'), true);
    assert.equal(prefersHtml('text/html;q=0.5, application/json'), false, 'quality first');
    assert.equal(prefersHtml('application/json;q=0.9, text/html;q=0.8'), false);
    // Equal qualities: reversed(sorted(...)) puts "text/html" before "application/json".
    assert.equal(prefersHtml('application/json, text/html'), true);
    assert.equal(prefersHtml('Text/HTML'), false, 'Girder compares the value exactly');
    assert.equal(prefersHtml('text/html;q=abc'), false, 'a malformed quality: JSON');
  });

  test('the HTML body is the escaped pretty JSON with &nbsp; and <br /> in a monospace div', () => {
    const html = girderResponseBody({ message: 'Invalid item id (<x>).', type: 'rest' }, 'text/html');
    assert.equal(html.contentType, 'text/html');
    assert.equal(
      html.body.toString(),
      '<div style="font-family:monospace;">{<br />&nbsp;&nbsp;&nbsp;&nbsp;&quot;message&quot;:&nbsp;&quot;Invalid&nbsp;item&nbsp;id&nbsp;(&lt;x&gt;).&quot;,' +
        '<br />&nbsp;&nbsp;&nbsp;&nbsp;&quot;type&quot;:&nbsp;&quot;rest&quot;<br />}</div>',
    );
    const json = girderResponseBody({ b: 1, a: [] }, '*/*');
    assert.equal(json.contentType, 'application/json');
    assert.equal(json.body.toString(), '{"a": [], "b": 1}');
  });
});

describe('Range header (CherryPy get_ranges + Girder download, docs/protocols.md#girder-file-download)', () => {
  const size = 100;
  test('parses single, open-ended, suffix and multiple ranges', () => {
    assert.deepEqual(parseRanges('bytes=10-19', size), [[10, 20]]);
    assert.deepEqual(parseRanges('bytes=90-', size), [[90, 100]]);
    assert.deepEqual(parseRanges('bytes=-5', size), [[95, 100]]);
    assert.deepEqual(parseRanges('bytes=-500', size), [[0, 100]]);
    assert.deepEqual(parseRanges('bytes=0-1,5-6', size), [
      [0, 2],
      [5, 7],
    ]);
    assert.deepEqual(parseRanges('bytes=200-300', size), []);
    assert.equal(parseRanges('bytes=20-10', size), null);
    assert.equal(parseRanges(undefined, size), null);
  });

  test('malformed headers throw (the real server answers 500)', () => {
    for (const h of ['bytes', 'bytes=5', 'bytes=a-b', 'bytes=1-x']) assert.throws(() => parseRanges(h, size), MalformedRangeError, h);
  });

  test('status and headers follow the table of docs/protocols.md#girder-file-download', () => {
    assert.deepEqual(downloadWindow(size, 0, null, undefined), { offset: 0, end: 100, status: 200, contentRange: null, contentLength: 100 });
    assert.equal(downloadWindow(size, 10, null, undefined).contentRange, 'bytes 10-99/100');
    assert.equal(downloadWindow(size, 0, 50, undefined).contentRange, 'bytes 0-49/100');
    assert.equal(downloadWindow(size, 0, 500, undefined).status, 200, 'endByte is clamped to the size');
    const invalid = downloadWindow(size, 0, null, 'bytes=20-10');
    assert.deepEqual([invalid.status, invalid.contentRange, invalid.contentLength], [206, 'bytes 0-99/100', 100]);
    const unsat = downloadWindow(size, 0, null, 'bytes=500-');
    assert.deepEqual([unsat.status, unsat.contentRange, unsat.contentLength], [206, 'bytes 0-99/100', 100]);
    const first = downloadWindow(size, 0, null, 'bytes=0-1,5-6');
    assert.deepEqual([first.offset, first.end, first.contentRange], [0, 2, 'bytes 0-1/100']);
    const ignored = downloadWindow(size, 0, null, 'bytes=5-9', false);
    assert.deepEqual([ignored.offset, ignored.status, ignored.contentRange], [0, 206, 'bytes 0-99/100']);
    assert.equal(downloadWindow(0, 0, null, 'bytes=0-').contentRange, null, 'no Content-Range for an empty file');
  });
});

describe('Range header of the RFC services (figshare blob store, GDC)', () => {
  test('one bytes= range: inclusive, clamped, open-ended, suffix; 416 past the end; malformed or several → full', () => {
    const cases: Array<[string | undefined, ReturnType<typeof decideRange>]> = [
      [undefined, { kind: 'full' }],
      ['bytes=2-4', { kind: 'partial', first: 2, last: 4 }],
      ['bytes=2-99', { kind: 'partial', first: 2, last: 9 }],
      ['bytes=7-', { kind: 'partial', first: 7, last: 9 }],
      ['bytes=-3', { kind: 'partial', first: 7, last: 9 }],
      ['bytes=-30', { kind: 'partial', first: 0, last: 9 }],
      ['bytes=10-', { kind: 'unsatisfiable' }],
      ['bytes=-0', { kind: 'unsatisfiable' }],
      // RFC 9110 §14.1.1: last < first makes the spec invalid, even when first is past the end.
      ['bytes=12-3', { kind: 'full' }],
      ['bytes=0-1,4-5', { kind: 'full' }],
      ['items=0-1', { kind: 'full' }],
      ['bytes=+1-3', { kind: 'full' }],
      ['bytes=-', { kind: 'full' }],
    ];
    for (const [header, expected] of cases) assert.deepEqual(decideRange(header, 10), expected, String(header));
    assert.deepEqual(decideRange('bytes=-5', 0), { kind: 'unsatisfiable' }, 'nothing to send from an empty body');
  });
});

describe('parameters and paths', () => {
  test('query and urlencoded body (POST/PUT/PATCH only, like CherryPy) are merged; a repeated parameter is a 400', () => {
    const url = new URL('http://x/api/v1/api_key/token?duration=2');
    const form = 'application/x-www-form-urlencoded; charset=utf-8';
    for (const method of ['POST', 'put', 'PATCH']) {
      assert.deepEqual({ ...girderParams(url, Buffer.from('key=abc+d%21'), form, method) }, { duration: '2', key: 'abc d!' }, method);
    }
    for (const method of ['GET', 'HEAD', 'DELETE', 'OPTIONS']) {
      assert.deepEqual({ ...girderParams(url, Buffer.from('key=abc'), form, method) }, { duration: '2' }, `${method}: body not processed`);
    }
    assert.deepEqual({ ...girderParams(url, Buffer.from('key=1'), 'application/json', 'POST') }, { duration: '2' });
    for (const [u, body] of [
      ['http://x/?a=1&a=2', ''],
      ['http://x/?a=1', 'a=2'],
    ] as const) {
      assert.throws(
        () => girderParams(new URL(u), Buffer.from(body), 'application/x-www-form-urlencoded', 'POST'),
        (err: unknown) => err instanceof GirderError && err.status === 400 && err.body.message === 'Parameter "a" must not be specified multiple times.',
      );
    }
  });

  test('slashes collapse; bases match whole segments', () => {
    assert.equal(collapseSlashes('/api/v1//item///x/'), '/api/v1/item/x/');
    assert.deepEqual(pathSegments('/item/a%20b/'), ['item', 'a b']);
    assert.equal(pathSegments('/item/%E0%A4%A'), null);
    assert.equal(relativeTo('/api/v1', '/api/v1'), '/');
    assert.equal(relativeTo('/api/v1/item', '/api/v1'), '/item');
    assert.equal(relativeTo('/api/v10/item', '/api/v1'), null);
  });

  test('Content-Disposition like Girder, quote like urllib', () => {
    assert.equal(girderContentDisposition('a.svs', 'attachment'), 'attachment; filename="a.svs"');
    assert.equal(girderContentDisposition('x "y" \\z.txt', 'inline'), 'inline; filename="x \\"y\\" \\\\z.txt"');
    assert.equal(girderContentDisposition('é☃.txt', 'attachment'), `attachment; filename="é.txt"; filename*=UTF-8''%C3%A9%E2%98%83.txt`);
    assert.equal(pythonQuote("a b/c~d'(e)"), 'a%20b/c~d%27%28e%29');
  });

  test('secrets in the query are redacted in the log', () => {
    assert.equal(redactTarget('/api/v1/api_key/token?key=SECRET&x=1'), '/api/v1/api_key/token?key=REDACTED&x=1');
    assert.equal(redactTarget('/a?token=t&Token=u&X-Amz-Signature=s'), '/a?token=REDACTED&Token=REDACTED&X-Amz-Signature=REDACTED');
    assert.equal(redactTarget('/a/b'), '/a/b');
  });
});

describe('TokenBucket', () => {
  test('throttles to the rate with a fake clock and serves takers in order', async () => {
    let now = 0;
    const sleeps: number[] = [];
    const clock: Clock = {
      now: () => now,
      sleep: async (ms) => {
        sleeps.push(ms);
        now += ms;
      },
    };
    const bucket = new TokenBucket(1000, clock, 100);
    const order: number[] = [];
    await Promise.all([1, 2, 3].map((i) => bucket.take(250).then(() => order.push(i))));
    assert.deepEqual(order, [1, 2, 3]);
    // 750 bytes at 1000 B/s with a 100-byte initial burst: 650 ms of waiting in total.
    assert.equal(now, 650);
    assert.ok(sleeps.every((ms) => ms <= 100));
    assert.throws(() => new TokenBucket(0), /positive/);
  });
});

describe('zipStream', () => {
  const files = [
    { name: 'item/a.txt', bytes: Buffer.from('hello') },
    { name: 'item/é.bin', bytes: Buffer.alloc(100_000, 9) },
    { name: 'item/empty', bytes: Buffer.alloc(0) },
  ];
  const entries = files.map((f) => ({ name: f.name, size: f.bytes.length, open: () => Readable.from([f.bytes]) }));
  const collect = async (gen: AsyncIterable<Buffer>): Promise<Buffer> => {
    const parts: Buffer[] = [];
    for await (const b of gen) parts.push(b);
    return Buffer.concat(parts);
  };

  for (const forceZip64 of [false, true]) {
    test(`stored entries round-trip${forceZip64 ? ' with ZIP64 records' : ''}`, async () => {
      const zip = await collect(zipStream(entries, { forceZip64 }));
      const read = readZip(zip);
      assert.deepEqual(
        read.map((e) => e.name),
        files.map((f) => f.name),
      );
      read.forEach((e, i) => {
        assert.ok(e.data.equals((files[i] as (typeof files)[number]).bytes), e.name);
        assert.ok(e.crcOk, `${e.name} CRC`);
      });
    });
  }

  test('a file shorter than declared fails the stream', async () => {
    const bad = [{ name: 'x', size: 10, open: () => Readable.from([Buffer.from('abc')]) }];
    await assert.rejects(collect(zipStream(bad)), /expected 10 bytes but read 3/);
  });
});

describe('pngStream', () => {
  const width = 37;
  const height = 23;
  const rgb = Buffer.alloc(width * height * 3);
  for (let i = 0; i < rgb.length; i++) rgb[i] = (i * 7 + (i % 5) * 31) & 0xff;
  const strips = async function* (rowsPer: number): AsyncGenerator<{ height: number; data: Buffer }> {
    for (let y = 0; y < height; y += rowsPer) {
      const h = Math.min(rowsPer, height - y);
      yield { height: h, data: rgb.subarray(y * width * 3, (y + h) * width * 3) };
    }
  };
  const encode = async (channels: 3 | 4, rowsPer: number): Promise<Buffer> => {
    const parts: Buffer[] = [];
    for await (const b of pngStream({ width, height, channels }, strips(rowsPer))) parts.push(b);
    return Buffer.concat(parts);
  };

  test('RGB and RGBA round-trip exactly through sharp, whatever the strip height', async () => {
    for (const rowsPer of [1, 5, 23]) {
      const png = await encode(3, rowsPer);
      assert.equal(png[25], 2, 'colour type RGB');
      const { data, info } = await sharp(png).raw().toBuffer({ resolveWithObject: true });
      assert.deepEqual([info.width, info.height, info.channels], [width, height, 3]);
      assert.ok(data.equals(rgb));
    }
    const rgba = await encode(4, 4);
    assert.equal(rgba[25], 6, 'colour type RGBA');
    const { data, info } = await sharp(rgba).raw().toBuffer({ resolveWithObject: true });
    assert.equal(info.channels, 4);
    for (let p = 0; p < width * height; p++) {
      assert.equal(data[p * 4 + 3], 255);
      assert.equal(data[p * 4], rgb[p * 3]);
      assert.equal(data[p * 4 + 1], rgb[p * 3 + 1]);
      assert.equal(data[p * 4 + 2], rgb[p * 3 + 2]);
    }
  });

  test('IDAT data is one zlib stream with Up-filtered rows; wrong row counts are refused', async () => {
    const png = await encode(3, 7);
    let p = 8;
    const idat: Buffer[] = [];
    while (p < png.length) {
      const len = png.readUInt32BE(p);
      const type = png.toString('latin1', p + 4, p + 8);
      if (type === 'IDAT') idat.push(png.subarray(p + 8, p + 8 + len));
      p += 12 + len;
    }
    const raw = inflateSync(Buffer.concat(idat));
    assert.equal(raw.length, height * (1 + width * 3));
    assert.equal(raw[0], 2);
    const oneStrip = async (): Promise<void> => {
      for await (const _ of pngStream({ width, height, channels: 3 }, strips(50))) void _;
    };
    const tooFew = async function* (): AsyncGenerator<{ height: number; data: Buffer }> {
      yield { height: 1, data: rgb.subarray(0, width * 3) };
    };
    await oneStrip();
    await assert.rejects(async () => {
      for await (const _ of pngStream({ width, height, channels: 3 }, tooFew())) void _;
    }, /expected 23 rows but received 1/);
  });
});

describe('readBody', () => {
  test('reads a body; an oversized one is drained and refused', async () => {
    const fake = (parts: Buffer[]): IncomingMessage => Readable.from(parts) as unknown as IncomingMessage;
    assert.equal((await readBody(fake([Buffer.from('ab'), Buffer.from('c')]), 3)).toString(), 'abc');
    const big = fake([Buffer.alloc(3), Buffer.alloc(3)]);
    await assert.rejects(readBody(big, 4), BodyTooLargeError);
    assert.equal((big as unknown as Readable).readableEnded, true, 'the rest was consumed, not left on the socket');
  });
});

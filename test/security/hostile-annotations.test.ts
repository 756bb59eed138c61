/**
 * Issue 9 item 6: an annotation answer is checked while it streams in, without holding it whole.
 * The streaming check must judge exactly as a whole-document parse would (here against
 * JSON.parse), whatever the chunking, and reject a hostile body from its first bytes. The memory
 * bound itself (≤ 300 MB RSS for a 500 MB document) is measured by bench/annotation-memory.ts.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { IntegrityError } from '../../src/errors.js';
import { AnnotationShapeCheck, checkAnnotationText } from '../../src/pipeline/annotation-shape.js';
import { makeTransfer, rejectionOf, startServer } from '../transfer/helpers.js';

const doc = (n: number, returned: unknown = n): Record<string, unknown> => ({
  _id: 'a'.repeat(24),
  annotation: { name: 'x', elements: Array.from({ length: n }, (_, i) => ({ type: 'polyline', points: [[i, i, 0], [i + 1, i, 0]], group: 'tumor' })) },
  _elementQuery: { count: n, returned },
});

/** Every case with the verdict a whole-document check gives (null = valid, else a message pattern). */
const CASES: Array<[name: string, text: string, verdict: RegExp | null]> = [
  ['empty array', '[]', null],
  ['two documents', JSON.stringify([doc(3), doc(0)]), null],
  ['no _elementQuery', JSON.stringify([{ annotation: { elements: [1, 2] } }]), null],
  ['nested arrays inside elements count once', JSON.stringify([{ annotation: { elements: [[1, [2]], { a: [3] }] }, _elementQuery: { returned: 2 } }]), null],
  ['whitespace and unicode', ` [ {"annotation":{"name":"é\\u00e9\\"]","elements":[]},"_elementQuery":{"returned":0}} ] \n`, null],
  ['count mismatch', JSON.stringify([doc(3, 4)]), /annotation 0 has 3 elements but _elementQuery.returned = 4/],
  ['second document mismatches', JSON.stringify([doc(1), doc(2, 1)]), /annotation 1 has 2 elements but _elementQuery.returned = 1/],
  ['returned without elements', JSON.stringify([{ annotation: {}, _elementQuery: { returned: 2 } }]), /annotation 0 has no element list/],
  ['elements not an array', JSON.stringify([{ annotation: { elements: { 0: 1 } }, _elementQuery: { returned: 1 } }]), /no element list/],
  ['an object, not an array', '{"message":"Access denied"}', /not a JSON array/],
  ['a document that is not an object', '[{"annotation":{}}, 5]', /annotation 1 is not an object/],
  ['doubled separator (docs/protocols.md, Annotations)', '[{"a": 1},\n,\n{"b": 2}]', /not valid JSON/],
  ['truncated', JSON.stringify([doc(3)]).slice(0, -10), /not valid JSON/],
  ['trailing garbage', '[] []', /not valid JSON/],
  ['empty body', '', /empty|not valid JSON/],
  ['HTML', '<html><body>502</body></html>', /not valid JSON|not a JSON array/],
];

describe('streaming annotation check', () => {
  test('the verdicts of a whole-document check, in one piece and byte by byte', () => {
    for (const [name, text, verdict] of CASES) {
      const whole = (): number => checkAnnotationText(text, 'x');
      const bytewise = (): number => {
        const check = new AnnotationShapeCheck('x');
        for (const b of Buffer.from(text, 'utf8')) check.write(Uint8Array.of(b));
        return check.end();
      };
      for (const run of [whole, bytewise]) {
        if (verdict === null) assert.equal(run(), (JSON.parse(text) as unknown[]).length, name);
        else assert.throws(run, (err: unknown) => err instanceof IntegrityError && verdict.test(err.message), name);
      }
    }
  });

  test('a hostile body is rejected at its first bytes, before the rest is read', () => {
    const check = new AnnotationShapeCheck('x');
    assert.throws(() => check.write(Buffer.from('{"message":')), /not a JSON array/);
  });

  test('the download rejects a lying document while it streams and leaves no file', async () => {
    // A body that never ends after a bad start: only the streaming check can stop it early.
    const server = await startServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write('[1,');
      const t = setInterval(() => (res.destroyed ? clearInterval(t) : res.write('2,'.repeat(1000))), 5);
      res.on('close', () => clearInterval(t));
    });
    const dir = await mkdtemp(join(tmpdir(), 'bcss-annot-'));
    try {
      const { transfer } = makeTransfer({ maxRetries: 0 });
      const err = await rejectionOf(
        transfer.download({ url: `${server.url}/annotation/item/x`, lane: 't', destPath: join(dir, 'a.json'), sniff: 'json', inspect: () => new AnnotationShapeCheck('TCGA-X annotations') }),
      );
      assert.ok(err instanceof IntegrityError);
      assert.match(err.message, /TCGA-X annotations: annotation 0 is not an object/);
      assert.deepEqual(await readdir(dir), []);
      assert.ok(transfer.stats.bytes < 1024 * 1024);
    } finally {
      await server.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});

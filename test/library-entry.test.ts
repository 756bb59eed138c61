import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath, pathToFileURL } from 'node:url';
import ts from 'typescript';
import * as bcss from '../src/index.js';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const pkg = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { exports: Record<string, unknown> };

test('the root export is a small curated surface and importing it does no work', () => {
  const runtime = Object.keys(bcss).sort();
  assert.ok(runtime.length >= 15 && runtime.length <= 25, `root exports ${runtime.length} runtime names: ${runtime.join(', ')}`);
  for (const internal of ['round4', 'roundHalfEven', 'mirrorIndex', 'findColumn', 'resizeKernelFor', 'planRegion']) {
    assert.ok(!runtime.includes(internal), `${internal} is a building block, not part of the root surface`);
  }
  for (const name of ['runDownload', 'runVerify', 'loadCatalog', 'startServer', 'roiFileName'] as const) {
    assert.equal(typeof bcss[name], 'function', name);
  }
  assert.ok(new bcss.UsageError('x') instanceof bcss.BcssError);
  assert.equal(bcss.roiFileName('TCGA-A1-A0SK-DX1', 45749, 25055, { kind: 'mpp', mpp: 0.25 }), 'TCGA-A1-A0SK-DX1_xmin45749_ymin25055_MPP-0.2500.png');
  assert.equal(bcss.loadCatalog().rois.length, 151);
});

test('every runtime name of the root export has a doc comment with an @example at its declaration', () => {
  const entry = join(repoRoot, 'src/index.ts');
  // Only declarations and their doc comments are read, never types: without the default libs
  // (lib.dom.d.ts alone is ~1 MB) and @types the program is a third of the parsing work.
  const program = ts.createProgram([entry], { module: ts.ModuleKind.NodeNext, moduleResolution: ts.ModuleResolutionKind.NodeNext, noEmit: true, noLib: true, types: [] });
  const checker = program.getTypeChecker();
  const moduleSymbol = checker.getSymbolAtLocation(program.getSourceFile(entry)!)!;
  const undocumented: string[] = [];
  for (const exported of checker.getExportsOfModule(moduleSymbol)) {
    const symbol = exported.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(exported) : exported;
    if (!(symbol.flags & (ts.SymbolFlags.Value))) continue; // types are documented where they are used
    const decl = symbol.valueDeclaration ?? symbol.declarations?.[0];
    const node = decl !== undefined && ts.isVariableDeclaration(decl) ? decl.parent.parent : decl;
    const tags = node === undefined ? [] : ts.getJSDocTags(node);
    const hasDoc = node !== undefined && ts.getJSDocCommentsAndTags(node).length > 0;
    if (!hasDoc || !tags.some((t) => t.tagName.text === 'example')) undocumented.push(exported.name);
  }
  assert.deepEqual(undocumented, []);
});

test('each subpath export maps to a module that exists and exposes its building blocks', async () => {
  const subpaths = Object.keys(pkg.exports).filter((k) => k !== '.' && k !== './package.json');
  assert.deepEqual(subpaths.sort(), ['./catalog', './geometry', './image', './prepare', './server', './slides']);
  for (const sub of subpaths) {
    const source = join(repoRoot, 'src', sub.slice(2), 'index.ts');
    assert.ok(existsSync(source), `${sub} has src/${sub.slice(2)}/index.ts`);
  }
  const geometry = await import('../src/geometry/index.js');
  assert.equal(typeof geometry.planRegion, 'function');
  const server = await import('../src/server/index.js');
  assert.equal(typeof server.loadDemoDataset, 'function');
  const prepare = await import('../src/prepare/index.js');
  assert.equal(typeof prepare.prepareTiles, 'function');
  const image = await import('../src/image/index.js');
  assert.equal(typeof image.readGreyPng, 'function');
});

test("the README's 'Use from code' example runs as written against the demo server", () => {
  const readme = readFileSync(join(repoRoot, 'README.md'), 'utf8');
  const block = /<!-- use-from-code:start -->\s*```ts\n([\s\S]*?)```\s*<!-- use-from-code:end -->/.exec(readme);
  assert.ok(block, 'README has the marked example');
  // The package name resolves to this checkout's sources, so the test needs no build.
  const code = block[1]!.replace(/from 'bcss(\/(\w+))?'/g, (_m, _s, sub: string | undefined) => {
    const file = join(repoRoot, 'src', sub ?? '', 'index.ts');
    return `from ${JSON.stringify(pathToFileURL(file).href)}`;
  });
  const dir = mkdtempSync(join(tmpdir(), 'bcss-readme-'));
  try {
    writeFileSync(join(dir, 'example.mts'), code);
    const tsx = import.meta.resolve('tsx');
    const r = spawnSync(process.execPath, ['--import', tsx, 'example.mts'], { cwd: dir, encoding: 'utf8', timeout: 120_000 });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /images: \{ done: 2/);
    assert.match(r.stdout, /masks: \{ done: 2/);
    assert.match(r.stdout, /^verified$/m);
    assert.ok(existsSync(join(dir, 'bcss-demo', 'bcss.lock.json')));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

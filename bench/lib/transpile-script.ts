import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import ts from 'typescript';

/**
 * Turns a self-contained TypeScript script into plain ESM JavaScript under
 * `node_modules/.cache/bcss-bench/` (so its imports still resolve from the repo's node_modules),
 * so a measured child runs without a TypeScript loader's start-up cost, like the built bcss.
 */
export async function transpileScript(repoRoot: string, sourcePath: string): Promise<string> {
  const source = await readFile(sourcePath, 'utf8');
  const out = ts.transpileModule(source, {
    compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022, verbatimModuleSyntax: false },
    fileName: sourcePath,
  });
  const dir = join(repoRoot, 'node_modules', '.cache', 'bcss-bench');
  await mkdir(dir, { recursive: true });
  const target = join(dir, basename(sourcePath).replace(/\.ts$/, '.mjs'));
  await writeFile(target, out.outputText);
  return target;
}

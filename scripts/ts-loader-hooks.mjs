// Module hooks of ./ts-loader.mjs (they run on Node's loader thread). Transformed files are cached
// in <tmpdir>/bcss-ts-loader-<uid>/, keyed by esbuild's version, the options, the path and the
// source, so an edit or an esbuild upgrade is never served stale; the folder can be deleted any time.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

let esbuild;
let tsxUrl;
let cacheDir;

export function initialize(data) {
  tsxUrl = data.tsx;
}

/** esbuild as tsx resolves it (a dependency of tsx, not of this package). */
function loadEsbuild() {
  esbuild ??= createRequire(tsxUrl)('esbuild');
  return esbuild;
}

const TRANSFORM = { loader: 'ts', format: 'esm', target: 'node20', sourcemap: 'inline', tsconfigRaw: { compilerOptions: { verbatimModuleSyntax: true } } };

function transform(source, file) {
  const { version } = esbuildPackage();
  const key = createHash('sha256').update(`${version}\0${JSON.stringify(TRANSFORM)}\0${file}\0`).update(source).digest('hex');
  cacheDir ??= join(tmpdir(), `bcss-ts-loader-${process.getuid?.() ?? 'user'}`);
  const cached = join(cacheDir, `${key}.mjs`);
  try {
    return readFileSync(cached, 'utf8');
  } catch {
    // not cached yet
  }
  const code = loadEsbuild().transformSync(source, { ...TRANSFORM, sourcefile: file }).code;
  try {
    mkdirSync(cacheDir, { recursive: true });
    const tmp = `${cached}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
    writeFileSync(tmp, code);
    renameSync(tmp, cached);
  } catch {
    // a cache that cannot be written only costs time
  }
  return code;
}

let esbuildPkg;
/** esbuild's package.json (its version keys the cache), read without loading esbuild: cache hits never do. */
function esbuildPackage() {
  esbuildPkg ??= JSON.parse(readFileSync(createRequire(tsxUrl).resolve('esbuild/package.json'), 'utf8'));
  return esbuildPkg;
}

export async function resolve(specifier, context, nextResolve) {
  const parent = context.parentURL;
  if (parent?.startsWith('file:') && parent.endsWith('.ts') && /^\.\.?\//.test(specifier) && specifier.endsWith('.js')) {
    const url = new URL(`${specifier.slice(0, -3)}.ts`, parent);
    if (existsSync(url)) return { url: url.href, format: 'module', shortCircuit: true };
  }
  return nextResolve(specifier, context);
}

export async function load(url, context, nextLoad) {
  if (url.startsWith('file:') && url.endsWith('.ts')) {
    const file = fileURLToPath(url);
    return { format: 'module', source: transform(readFileSync(file, 'utf8'), file), shortCircuit: true };
  }
  return nextLoad(url, context);
}

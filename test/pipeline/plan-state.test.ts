import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { builtinRois } from '../../src/catalog/index.js';
import { annotationFileName, buildArtifacts, canonicalJson, type Artifact } from '../../src/pipeline/artifacts.js';
import { sha256Hex } from '../../src/pipeline/hash-file.js';
import { decideLocalState } from '../../src/pipeline/local-state.js';
import type { LockEntry } from '../../src/pipeline/lock-file.js';
import type { DownloadOptions } from '../../src/pipeline/types.js';

const rois = builtinRois().slice(0, 2);

function options(over: Partial<DownloadOptions> = {}): DownloadOptions {
  return {
    outDir: '/nonexistent',
    components: ['images', 'masks', 'annotations', 'wsi-scripts'],
    resolution: { kind: 'mpp', mpp: 0.25 },
    encoding: 'png',
    maskAlign: 'resize',
    rois,
    customRois: false,
    apiUrl: 'http://127.0.0.1:1/api/v1',
    folderId: '5bbdeba3e629140048d017bb',
    figshareUrl: 'http://127.0.0.1:1/v2',
    figshareArticleId: 7193138,
    gdcUrl: 'http://127.0.0.1:1',
    credentials: { kind: 'anonymous' },
    lanes: {},
    concurrency: 2,
    maxRetries: 0,
    headersTimeoutMs: 1000,
    idleTimeoutMs: 1000,
    dryRun: false,
    failFast: false,
    wsiKeyEnvVar: 'BCSS_API_KEY',
    ...over,
  };
}

describe('buildArtifacts', () => {
  test('names follow the original script; one image, mask and annotation per ROI, then four script files', () => {
    const arts = buildArtifacts(options());
    const roi = rois[0]!;
    assert.deepEqual(
      arts.slice(0, 3).map((a) => [a.kind, a.path]),
      [
        ['images', `images/${roi.name}_xmin${roi.xmin}_ymin${roi.ymin}_MPP-0.2500.png`],
        ['masks', `masks/${roi.name}_xmin${roi.xmin}_ymin${roi.ymin}_MPP-0.2500.png`],
        ['annotations', 'annotations/TCGA-A1-A0SK-01Z-00-DX1.A44D70FA-4D96-43F4-9DD7-A61535786297.json'],
      ],
    );
    assert.deepEqual(
      arts.filter((a) => a.kind === 'wsi-scripts').map((a) => a.path),
      ['wsis/download_wsis.sh', 'wsis/download_wsis.bat', 'wsis/gdc_manifest.txt', 'wsis/download_wsis_gdc.sh'],
    );
    assert.equal(arts.length, 2 * 3 + 4);
    assert.equal(new Set(arts.map((a) => a.id)).size, arts.length, 'ids are unique');
  });

  test('--mag 20, --base and JPEG change names; masks stay PNG', () => {
    const mag = buildArtifacts(options({ resolution: { kind: 'mag', magnification: 20 }, components: ['images'] }));
    assert.match(mag[0]!.path!, /_MAG-20\.00\.png$/);
    const base = buildArtifacts(options({ resolution: { kind: 'base' }, components: ['masks'] }));
    assert.match(base[0]!.path!, /_MAG-0\.png$/);
    const jpeg = buildArtifacts(options({ encoding: 'jpeg', components: ['images', 'masks'] }));
    assert.match(jpeg[0]!.path!, /_MPP-0\.2500\.jpg$/);
    assert.match(jpeg[1]!.path!, /_MPP-0\.2500\.png$/);
  });

  test('annotation names: .svs → .json; unsafe names are refused', () => {
    assert.equal(annotationFileName('TCGA-A1-A0SK-01Z-00-DX1.ABC.svs'), 'TCGA-A1-A0SK-01Z-00-DX1.ABC.json');
    assert.throws(() => annotationFileName('../x.svs'), /cannot be used/);
  });

  test('params exclude service URLs for data artifacts but include them for scripts', () => {
    const a = buildArtifacts(options());
    const b = buildArtifacts(options({ apiUrl: 'http://127.0.0.1:2/api/v1', figshareUrl: 'http://127.0.0.1:2/v2' }));
    a.forEach((art, i) => {
      const same = canonicalJson(art.params) === canonicalJson(b[i]!.params);
      assert.equal(same, art.kind !== 'wsi-scripts' || art.script!.startsWith('gdc'), art.id);
    });
  });
});

describe('decideLocalState', () => {
  async function setup(content: string): Promise<{ dir: string; art: Artifact; entry: LockEntry; file: string }> {
    const dir = await mkdtemp(join(tmpdir(), 'bcss-plan-'));
    const art = buildArtifacts(options({ components: ['images'] }))[0]!;
    const file = join(dir, art.path!);
    await mkdir(join(dir, 'images'), { recursive: true });
    await writeFile(file, content);
    const info = await stat(file);
    const entry: LockEntry = {
      id: art.id,
      kind: 'images',
      path: art.path!,
      bytes: Buffer.byteLength(content),
      sha256: sha256Hex(content),
      mtimeMs: info.mtimeMs,
      source: { url: 'x', params: art.params },
      status: 'done',
      completed: 'x',
    };
    return { dir, art, entry, file };
  }

  test('a file matching the lock is skipped without hashing when size and mtime agree', async () => {
    const { dir, art, entry, file } = await setup('hello world');
    try {
      assert.deepEqual(await decideLocalState(dir, art, entry), { action: 'skip', entry, rehashed: false });
      // Same size, same mtime, different bytes: the stat heuristic trusts it (git/rsync do the same);
      // this is why `bcss verify` always hashes.
      await utimes(file, 1_600_000_000, 1_600_000_000);
      const pinned = { ...entry, mtimeMs: (await stat(file)).mtimeMs };
      await writeFile(file, 'HELLO WORLD');
      await utimes(file, 1_600_000_000, 1_600_000_000);
      assert.deepEqual(await decideLocalState(dir, art, pinned), { action: 'skip', entry: pinned, rehashed: false });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  test('a touched but unchanged file is re-hashed and kept, with its new mtime', async () => {
    const { dir, art, entry, file } = await setup('hello world');
    try {
      await utimes(file, new Date(2000, 1, 1), new Date(2000, 1, 1));
      const d = await decideLocalState(dir, art, entry);
      assert.equal(d.action, 'skip');
      assert.ok(d.action === 'skip' && d.rehashed && d.entry.mtimeMs === (await stat(file)).mtimeMs);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  test('missing, resized, edited, re-parameterised or unlocked files are fetched, each with a reason', async () => {
    const { dir, art, entry, file } = await setup('hello world');
    try {
      assert.deepEqual(await decideLocalState(dir, art, undefined), { action: 'fetch', reason: 'not in the lock file' });
      const changedParams = { ...entry, source: { ...entry.source, params: { ...art.params, encoding: 'jpeg' } } };
      const reparam = await decideLocalState(dir, art, changedParams);
      assert.ok(reparam.action === 'fetch' && /parameters changed/.test(reparam.reason));
      await writeFile(file, 'hello_world'); // same size, new mtime, other bytes
      await utimes(file, new Date(2001, 1, 1), new Date(2001, 1, 1));
      const edited = await decideLocalState(dir, art, entry);
      assert.ok(edited.action === 'fetch' && /SHA-256/.test(edited.reason));
      await writeFile(file, 'short');
      const resized = await decideLocalState(dir, art, entry);
      assert.ok(resized.action === 'fetch' && /size 5 differs/.test(resized.reason));
      await rm(file);
      assert.deepEqual(await decideLocalState(dir, art, entry), { action: 'fetch', reason: 'file missing' });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { openRunLog } from '../../src/pipeline/run-log.js';

test('the run log keeps every line in order through its buffering, redacted, and has it all on disk at close', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'bcss-runlog-'));
  try {
    let tick = 0;
    const now = (): Date => new Date(Date.UTC(2024, 0, 1) + tick++);
    const log = await openRunLog(dir, new Date(Date.UTC(2024, 0, 1)), (t) => t.replaceAll('s3cret', '***'), now);
    // Enough text to cross the 64 KiB flush threshold several times, plus a tail below it.
    const n = 3000;
    for (let i = 0; i < n; i++) {
      if (i % 2 === 0) log.line('debug', `line ${i} with s3cret\nand a second line`);
      else log.event({ type: 'artifact-done', id: `images/${i}.png`, kind: 'images', path: `images/${i}.png`, bytes: i, status: 'done' });
    }
    log.event({ type: 'bytes', bytes: 1 }); // not logged
    await log.close();
    log.line('info', 'after close: dropped');
    const lines = (await readFile(log.path, 'utf8')).split('\n');
    assert.equal(lines.pop(), '');
    assert.equal(lines.length, n);
    lines.forEach((l, i) => {
      assert.ok(l.startsWith(new Date(Date.UTC(2024, 0, 1) + i).toISOString()), `line ${i} in order: ${l}`);
      assert.ok(i % 2 === 0 ? l.endsWith(`debug line ${i} with *** and a second line`) : l.endsWith(`info  done images images/${i}.png (${i} bytes)`), l);
    });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

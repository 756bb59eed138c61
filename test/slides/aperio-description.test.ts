import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { aperioValue, aperioValues, parseAperioDescription } from '../../src/slides/aperio-description.js';
import { readTiffStructure } from '../../src/slides/tiff-structure.js';
import { CMU_SMALL } from './fixtures.js';

describe('parseAperioDescription', () => {
  test('parses the bundled slide: header, MPP, AppMag and every pair (docs/imaging.md#aperio-description)', async () => {
    const structure = await readTiffStructure(CMU_SMALL);
    const desc = parseAperioDescription(structure.ifds[0]?.description);
    assert.equal(desc.isAperio, true);
    if (!desc.isAperio) return;
    assert.equal(desc.header[0], 'Aperio Image Library v11.2.1');
    assert.match(desc.header[1] ?? '', /^46000x32914 \[42673,5576 2220x2967\] \(240x240\) JPEG\/RGB Q=30;/);
    assert.equal(desc.mpp, 0.499);
    assert.equal(desc.appMag, 20);
    assert.equal(aperioValue(desc, 'StripeWidth'), '2040');
    assert.equal(aperioValue(desc, 'ScanScope ID'), 'CPAPERIOCS');
    assert.equal(aperioValue(desc, 'Filename'), 'CMU-1');
    // Repeated keys are all kept, in file order; the accessor is last-wins.
    assert.deepEqual(aperioValues(desc, 'OriginalWidth'), ['46920', '46000']);
    assert.equal(aperioValue(desc, 'OriginalWidth'), '46000');
    // Case varies between repeats: exact by default, folded on request.
    assert.deepEqual(aperioValues(desc, 'OriginalHeight', { ignoreCase: true }), ['33014', '32914']);
    assert.equal(aperioValue(desc, 'Originalheight'), '33014');
    assert.equal(aperioValue(desc, 'Nonexistent'), undefined);
  });

  test('label and macro descriptions are Aperio headers without pairs', async () => {
    const structure = await readTiffStructure(CMU_SMALL);
    const label = parseAperioDescription(structure.label?.description);
    assert.equal(label.isAperio, true);
    if (!label.isAperio) return;
    assert.deepEqual(label.header, ['Aperio Image Library v11.2.1', 'label 387x463']);
    assert.deepEqual(label.pairs, []);
    assert.equal(label.mpp, null);
    assert.equal(label.appMag, null);
  });

  test('splits on the first " = " and trims; keeps CR LF headers apart', () => {
    const desc = parseAperioDescription(
      'Aperio Image Library vX \r\n100x200 (240x240) JPEG/RGB Q=70|  Title = a = b  |MPP = 0.2520|AppMag = 40|Flag=1|Empty = \0',
    );
    assert.equal(desc.isAperio, true);
    if (!desc.isAperio) return;
    assert.deepEqual(desc.header, ['Aperio Image Library vX', '100x200 (240x240) JPEG/RGB Q=70']);
    assert.deepEqual(desc.pairs, [
      ['Title', 'a = b'],
      ['MPP', '0.2520'],
      ['AppMag', '40'],
      ['Empty', ''],
    ]);
    assert.equal(desc.mpp, 0.252);
    assert.equal(desc.appMag, 40);
  });

  test('MPP and AppMag are optional numbers: absent, empty or non-numeric give null', () => {
    for (const text of ['Aperio X|AppMag = |MPP = n/a', 'Aperio X|MPP = 0|AppMag = -20', 'Aperio X|MPP = 1e', 'Aperio X']) {
      const desc = parseAperioDescription(text);
      assert.equal(desc.isAperio, true, text);
      if (!desc.isAperio) continue;
      assert.equal(desc.mpp, null, text);
      assert.equal(desc.appMag, null, text);
    }
  });

  test('non-Aperio descriptions are recognised as such', () => {
    for (const text of ['ImageJ=1.53\nimages=1', '', 'generic TIFF | MPP = 0.25', null, undefined]) {
      assert.deepEqual(parseAperioDescription(text), { isAperio: false });
    }
  });
});

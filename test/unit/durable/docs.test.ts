/** The durable-log examples in the docs are real records: their checksums match. */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { scanRecords } from '../../../lib/durable';

const DOCS = ['reliability.md', 'mqtt.md'].map((name) => [name, readFileSync(path.join(__dirname, '../../../docs', name), 'utf8')] as const);

describe('durable: the format examples in the docs', () => {
  for (const [name, text] of DOCS) {
    it(`docs/${name}: every example record line passes its checksum`, () => {
      const lines = text.split('\n').filter((l) => /^[0-9a-f]{8} \{"k":/.test(l));
      assert.ok(lines.length > 0, 'no example found');
      const scan = scanRecords(Buffer.from(`${lines.join('\n')}\n`));
      assert.deepEqual(scan.damaged, []);
      assert.equal(scan.records.length, lines.length);
    });
  }
});

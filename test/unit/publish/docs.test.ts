import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { assertReceiptMessage, RECEIPT_MESSAGE_SCHEMA } from '../../../lib/publish/schema';

const doc = readFileSync(path.join(__dirname, '../../../docs/mqtt.md'), 'utf8');

describe('publish: docs/mqtt.md', () => {
  it('documents exactly the receipt message schema the code validates with', () => {
    const block = /<!-- receipt-message-schema -->\s*```json\n([\s\S]*?)\n```/.exec(doc);
    assert.ok(block, 'the schema block is missing');
    assert.deepEqual(JSON.parse(block[1]), JSON.parse(JSON.stringify(RECEIPT_MESSAGE_SCHEMA)));
  });

  it('its example receipt message is valid', () => {
    const example = /## Receipt message\s*```json\n([\s\S]*?)\n```/.exec(doc);
    assert.ok(example, 'the example is missing');
    assert.doesNotThrow(() => assertReceiptMessage(JSON.parse(example[1])));
  });
});

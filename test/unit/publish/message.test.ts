import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import Ajv from 'ajv';
import { parsePacket } from '../../../lib/codec/xml';
import { JpayValidationError } from '../../../lib/errors';
import { buildReceiptMessage, receiptIdOf } from '../../../lib/publish/message';
import { assertReceiptMessage, RECEIPT_MESSAGE_SCHEMA } from '../../../lib/publish/schema';
import { parseResponse } from '../../../lib/protocol/responses';
import { Secret } from '../../../lib/protocol/secret';
import type { Receipt } from '../../../lib/protocol/types';

const FULL_PAN = '4000000000000002';
const EXAMPLE = path.join(__dirname, '../../fixtures/protocol-examples/transaction.response.xml');

/** The vendor example with a plain-text-pan added, as an encrypted session would carry it. */
function exampleResult(): ReturnType<typeof parseResponse<'transaction'>> {
  const xml = readFileSync(EXAMPLE, 'utf8').replace('<record>', `<plain-text-pan>${FULL_PAN}</plain-text-pan><record>`);
  return parseResponse('transaction', parsePacket(xml));
}

const base: Receipt = { header: [], footer: [], approved: true, tid: '1000000001', seq: '000009', datetime: '2018-03-28T12:01:33' };

describe('publish: receipt message', () => {
  it('receiptId is terminal + receipt number + date-time, the same every time', () => {
    assert.equal(receiptIdOf('T1', base), '1000000001-000009-20180328T120133');
    assert.equal(receiptIdOf('T1', { ...base, amountAuthorized: 5 }), receiptIdOf('T9', base));
    assert.equal(receiptIdOf('T 1', { ...base, tid: undefined }), 'T_1-000009-20180328T120133');
  });

  it('a receipt without number or date-time gets a content hash id, deterministic', () => {
    const r: Receipt = { header: ['A'], footer: [], approved: false, tid: '77' };
    const id = receiptIdOf('T1', r);
    assert.match(id, /^77-h[0-9a-f]{24}$/);
    assert.equal(receiptIdOf('T1', { footer: [], approved: false, tid: '77', header: ['A'] }), id);
    assert.notEqual(receiptIdOf('T1', { ...r, header: ['B'] }), id);
  });

  it('a parsed vendor receipt passes the published schema, with the PAN masked and no plain-text-pan', () => {
    const result = exampleResult();
    assert.ok(result.plainTextPan instanceof Secret);
    const receipt = { ...result.receipt, plainTextPan: result.plainTextPan, extra: { 'plain-text-pan': FULL_PAN, mifare: { block: '1' } } } as Receipt;
    const message = buildReceiptMessage('kiosk-1', receipt, { meta: { order: 'A-1', password: '97531864', token: 'F'.repeat(32), card: new Secret(FULL_PAN) } });
    const json = JSON.stringify(message);
    const validate = new Ajv({ strict: false }).compile(RECEIPT_MESSAGE_SCHEMA);
    assert.equal(validate(JSON.parse(json)), true, JSON.stringify(validate.errors));
    assert.equal(message.receiptId, '1000000001-000009-20180328T120133');
    assert.equal(message.receipt.pan, '************1234');
    assert.equal(message.receipt.amountAuthorized, 12300);
    assert.deepEqual(message.receipt.extra, { mifare: { block: '1' } });
    assert.deepEqual(message.meta, { order: 'A-1' });
    for (const leak of [FULL_PAN, 'plain-text-pan', 'plainTextPan', '97531864', 'F'.repeat(32), '[redacted]']) {
      assert.ok(!json.includes(leak), `payload contains ${leak}`);
    }
  });

  it('a full PAN in the pan field or in a footer line is masked before publishing', () => {
    const message = buildReceiptMessage('T1', { ...base, pan: FULL_PAN, footer: [`CARD ${FULL_PAN}`] });
    assert.equal(message.receipt.pan, '400000******0002');
    assert.deepEqual(message.receipt.footer, ['CARD 400000******0002']);
  });

  it('refuses a receipt the schema does not accept, naming the field', () => {
    assert.throws(
      () => buildReceiptMessage('T1', { ...base, amountAuthorized: 12.5 }),
      (e: unknown) => e instanceof JpayValidationError && e.field === 'receipt.amountAuthorized',
    );
    assert.throws(
      () => buildReceiptMessage('T1', { ...base, datetime: 'yesterday' }),
      (e: unknown) => e instanceof JpayValidationError && e.field === 'receipt.datetime',
    );
    assert.throws(() => buildReceiptMessage('a/b', base), (e: unknown) => e instanceof JpayValidationError && e.field === 'terminalId');
    assert.throws(() => buildReceiptMessage('T1', base, { receiptId: 'x y' }), (e: unknown) => e instanceof JpayValidationError && e.field === 'receiptId');
  });

  it('the schema itself refuses an unmasked PAN and unknown receipt fields', () => {
    const message = buildReceiptMessage('T1', base);
    assert.throws(
      () => assertReceiptMessage({ ...message, receipt: { ...message.receipt, pan: FULL_PAN } }),
      (e: unknown) => e instanceof JpayValidationError && e.field === 'receipt.pan' && !e.message.includes(FULL_PAN),
    );
    assert.throws(
      () => assertReceiptMessage({ ...message, receipt: { ...message.receipt, 'plain-text-pan': FULL_PAN } }),
      (e: unknown) => e instanceof JpayValidationError && e.field === 'receipt.plain-text-pan' && !e.message.includes(FULL_PAN),
    );
  });
});

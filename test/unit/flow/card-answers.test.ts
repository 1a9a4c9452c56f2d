import assert from 'node:assert/strict';
import { JpayValidationError } from '../../../lib/errors';
import {
  SAFE_CARD_ANSWER,
  blockData,
  cardRequestFromPayload,
  parseBlockList,
  receiptElement,
} from '../../../nodes/jpay-card/card-answers';

const BYTES = Buffer.from('00112233445566778899AABBCCDDEEFF', 'hex');

function refusal(fn: () => unknown): JpayValidationError {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof JpayValidationError, String(err));
    return err;
  }
  assert.fail('expected a JpayValidationError');
}

describe('flow/card-answers', () => {
  it('turns read, write and close answers into card requests', () => {
    assert.deepEqual(cardRequestFromPayload({ action: 'read', block: 4 }), { code: 'read', blockId: 4 });
    assert.deepEqual(cardRequestFromPayload({ action: 'read', block: '8' }), { code: 'read', blockId: 8 });
    assert.deepEqual(cardRequestFromPayload({ action: 'write', block: 5, data: BYTES }), {
      code: 'write',
      blockId: 5,
      data: BYTES,
    });
    assert.deepEqual(cardRequestFromPayload({ action: 'close' }), { code: 'close' });
    assert.deepEqual(cardRequestFromPayload({ action: 'close', receipt: { status: 'approved', amount: 5000 } }), {
      code: 'close',
      receipt: { status: 'approved', amount: '5000' },
    });
  });

  it('the safe default is close without a receipt', () => {
    assert.deepEqual(SAFE_CARD_ANSWER, { code: 'close' });
    assert.ok(Object.isFrozen(SAFE_CARD_ANSWER));
  });

  it('takes block data as Buffer, hex, base64, byte array or JSON-ed Buffer', () => {
    const hex = '00112233445566778899aabbccddeeff';
    assert.deepEqual(blockData(BYTES, 'd'), BYTES);
    assert.deepEqual(blockData(hex, 'd'), BYTES);
    assert.deepEqual(blockData('00:11:22:33:44:55:66:77 88:99:AA:BB:CC:DD:EE:FF', 'd'), BYTES);
    assert.deepEqual(blockData(BYTES.toString('base64'), 'd'), BYTES);
    assert.deepEqual(blockData([...BYTES], 'd'), BYTES);
    assert.deepEqual(blockData(JSON.parse(JSON.stringify(BYTES)), 'd'), BYTES);
    assert.deepEqual(blockData(new Uint8Array(BYTES), 'd'), BYTES);
    const copy = blockData(BYTES, 'd');
    copy[0] = 0xff;
    assert.equal(BYTES[0], 0x00, 'the flow keeps its own buffer');
  });

  it('refuses block data that is not exactly 16 bytes, naming the field', () => {
    assert.match(refusal(() => blockData(Buffer.alloc(15), 'msg.payload.data')).message, /^msg\.payload\.data: .*16 bytes, got 15/);
    assert.match(refusal(() => blockData('0011', 'msg.payload.data')).message, /32 hex digits, got 4/);
    assert.match(refusal(() => blockData(Buffer.alloc(17).toString('base64'), 'x')).message, /Base64 of exactly 16 bytes/);
    assert.match(refusal(() => blockData('not base64!', 'x')).message, /Base64/);
    assert.match(refusal(() => blockData([1, 2, 300], 'x')).message, /byte values/);
    assert.match(refusal(() => blockData(42, 'x')).message, /Buffer/);
    assert.equal(refusal(() => blockData(undefined, 'msg.payload.data')).field, 'msg.payload.data');
  });

  it('refuses bad answers with the field that is wrong', () => {
    assert.equal(refusal(() => cardRequestFromPayload('read')).field, 'msg.payload');
    assert.equal(refusal(() => cardRequestFromPayload(Buffer.from('{"action":"read"}'))).field, 'msg.payload');
    assert.equal(refusal(() => cardRequestFromPayload({ action: 'open' })).field, 'msg.payload.action');
    assert.equal(refusal(() => cardRequestFromPayload({})).field, 'msg.payload.action');
    assert.equal(refusal(() => cardRequestFromPayload({ action: 'read' })).field, 'msg.payload.block');
    assert.equal(refusal(() => cardRequestFromPayload({ action: 'read', block: 256 })).field, 'msg.payload.block');
    assert.equal(refusal(() => cardRequestFromPayload({ action: 'read', block: 1.5 })).field, 'msg.payload.block');
    assert.equal(refusal(() => cardRequestFromPayload({ action: 'write', block: 4 })).field, 'msg.payload.data');
    assert.equal(refusal(() => cardRequestFromPayload({ action: 'close', receipt: 'approved' })).field, 'msg.payload.receipt');
  });

  it('refuses to write block 0 and sector trailers unless trailer: true', () => {
    assert.match(refusal(() => cardRequestFromPayload({ action: 'write', block: 0, data: BYTES })).message, /manufacturer/);
    for (const block of [3, 7, 63, 143, 255]) {
      assert.match(refusal(() => cardRequestFromPayload({ action: 'write', block, data: BYTES })).message, /trailer/);
    }
    assert.deepEqual(cardRequestFromPayload({ action: 'write', block: 7, data: BYTES, trailer: true }), {
      code: 'write',
      blockId: 7,
      data: BYTES,
    });
    assert.equal(cardRequestFromPayload({ action: 'write', block: 142, data: BYTES }).code, 'write');
  });

  it('turns a receipt object into XML children', () => {
    const xml = receiptElement({
      status: 'approved',
      amount: 1250,
      loyalty: { points: 12, member: true, '@program': 'gold', note: null },
      line: ['Thanks', 'Bye'],
      uid: Buffer.from([0xde, 0xad]),
      skipped: undefined,
    });
    assert.deepEqual(xml, {
      status: 'approved',
      amount: '1250',
      loyalty: { points: '12', member: 'true', '@program': 'gold', note: '' },
      line: ['Thanks', 'Bye'],
      uid: 'DEAD',
    });
  });

  it('refuses receipts with no XML form', () => {
    assert.equal(refusal(() => receiptElement({ 'bad name': 1 })).field, 'msg.payload.receipt.bad name');
    assert.equal(refusal(() => receiptElement({ '1st': 1 })).field, 'msg.payload.receipt.1st');
    assert.equal(refusal(() => receiptElement({ xmlThing: 1 })).field, 'msg.payload.receipt.xmlThing');
    assert.equal(refusal(() => receiptElement({ a: { b: Number.NaN } })).field, 'msg.payload.receipt.a.b');
    assert.equal(refusal(() => receiptElement({ a: [[1]] })).field, 'msg.payload.receipt.a[0]');
    assert.equal(refusal(() => receiptElement({ '@a': { b: 1 } })).field, 'msg.payload.receipt.@a');
    assert.equal(refusal(() => receiptElement({ f: () => 1 })).field, 'msg.payload.receipt.f');
    let deep: Record<string, unknown> = { v: 1 };
    for (let i = 0; i < 12; i++) deep = { d: deep };
    assert.match(refusal(() => receiptElement(deep)).message, /deeper/);
  });

  it('parses the dialog list of blocks to read on open', () => {
    assert.deepEqual(parseBlockList(''), []);
    assert.deepEqual(parseBlockList(undefined), []);
    assert.deepEqual(parseBlockList('4, 5 8-10;12'), [4, 5, 8, 9, 10, 12]);
    assert.deepEqual(parseBlockList('4,4,5'), [4, 5]);
    assert.deepEqual(parseBlockList([1, '2']), [1, 2]);
    assert.match(refusal(() => parseBlockList('4, x')).message, /^readBlocks: "x"/);
    assert.match(refusal(() => parseBlockList('10-8')).message, /backwards/);
    assert.match(refusal(() => parseBlockList('300')).message, /0\.\.255/);
    assert.match(refusal(() => parseBlockList('0-40')).message, /at most 16/);
  });
});

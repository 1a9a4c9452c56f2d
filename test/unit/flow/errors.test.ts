import assert from 'node:assert/strict';
import {
  JpayConnectionError,
  JpayProtocolError,
  JpayStatusError,
  JpayTimeoutError,
  JpayValidationError,
  TransactionOutcomeUnknown,
} from '../../../lib/errors';
import { outcomeUnknownPayload } from '../../../lib/results/outcome-unknown';
import { ERROR_CODES, JpayFlowError, toFlowError } from '../../../nodes/shared/errors';

describe('flow/errors', () => {
  it('gives every library error an own code for msg.error.code', () => {
    const cases: [Error, string][] = [
      [new JpayValidationError('msg.payload.amount', 'bad'), ERROR_CODES.validation],
      [new JpayConnectionError('refused', '127.0.0.1', 4433), ERROR_CODES.connection],
      [new JpayTimeoutError('command', 1000), ERROR_CODES.timeout],
      [new JpayStatusError('report', 'notauthorized'), ERROR_CODES.status],
      [new JpayFlowError(ERROR_CODES.noTerminal, 'no terminal'), ERROR_CODES.noTerminal],
      [new Error('plain'), ERROR_CODES.other],
    ];
    for (const [err, code] of cases) {
      const out = toFlowError(err);
      assert.equal(out, err, 'the same error object');
      assert.ok(Object.hasOwn(out, 'code'));
      assert.equal(out.code, code);
    }
    const protocol = toFlowError(new JpayProtocolError('bad-xml', 'not XML'));
    assert.equal(protocol.code, ERROR_CODES.protocol);
    assert.equal(protocol.name, 'JpayProtocolError');
    assert.equal((protocol as unknown as { protocolCode: string }).protocolCode, 'bad-xml');
  });

  it('describes an unknown outcome with what is known', () => {
    const err = new TransactionOutcomeUnknown('awaiting-response', {
      type: 'purchase',
      amount: 15000,
      host: '127.0.0.1',
      port: 4433,
      sentAt: '2024-01-01T10:00:00.000Z',
      lastDisplayCode: 'D4',
    });
    assert.equal(toFlowError(err).code, 'JPAY_OUTCOME_UNKNOWN');
    const payload = outcomeUnknownPayload(err);
    assert.equal(payload.status, 'unknown');
    assert.equal(payload.approved, false);
    assert.equal(payload.transaction.amount, 15000);
    assert.equal(payload.transaction.lastDisplayCode, 'D4');
    assert.equal(payload.phase, 'awaiting-response');
    assert.equal(payload.unknownReason, 'connection-lost');
    const refused = new TransactionOutcomeUnknown('awaiting-response', err.transaction, { cause: new JpayProtocolError('replayed-packet', 'a copy') });
    assert.equal(outcomeUnknownPayload(refused).unknownReason, 'replayed-packet');
  });
});

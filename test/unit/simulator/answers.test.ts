// The simulator answers with typed responses written by the protocol's response writer.
// The @ts-expect-error lines are the test that matters: `npm run typecheck` fails if a
// mistyped status or a body field of another command compiles again.
import assert from 'node:assert/strict';
import { parsePacket, serializePacket } from '../../../lib/codec/xml';
import { parseResponse, responseToPacket } from '../../../lib/protocol/responses';
import type { Answer, Handler, StatusAnswer } from '../../../lib/simulator/context';
import { statusPacket } from '../../../lib/simulator/context';
import { mifareReceipt } from '../../../lib/simulator/mifare-session';

describe('simulator answers', () => {
  it('a status outside Appendix A, or a body field of another command, does not compile', async () => {
    // @ts-expect-error 'okay' is not a JPAY status code
    const mistyped: Answer<'logout'> = { status: 'okay' };
    // @ts-expect-error the document's `connectionerror` is not in Appendix A: the simulator sends communicationerror
    const outsideAppendixA: StatusAnswer = { status: 'connectionerror' };
    // @ts-expect-error a report answer has no receipt
    const misplaced: Answer<'report'> = { status: 'ok', receipt: { header: [], footer: [] } };
    // @ts-expect-error handlers answer with a status code
    const handler: Handler<'testconnection'> = async () => ({ status: 'OK' });
    const fine: Answer<'loadmasterkeys'> = { status: 'ok', receipt: { pinKcv: 'A1', macKcv: 'B2' } };
    assert.deepEqual([mistyped.status, outsideAppendixA.status, misplaced.status, fine.status], ['okay', 'connectionerror', 'ok', 'ok']);
    assert.equal(typeof handler, 'function');
  });

  it('a status-only answer to a root that is no command', () => {
    const p = statusPacket('error', { status: 'formaterror', errors: ['bad'] });
    assert.equal(serializePacket(p), '<error><status>formaterror</status><error-stack><error>626164</error></error-stack></error>');
  });

  it("a MIFARE payment's receipt is the client's receipt data, typed, marked iface mifare, without a plain-text-pan", () => {
    const client = { iface: 'sbp', status: 'approved', datetime: '2210111200', balance: '500', 'plain-text-pan': '4000000010000001' };
    const response = responseToPacket('transaction', { status: 'ok', receipt: mifareReceipt(client) });
    const xml = serializePacket(response);
    assert.equal(
      xml,
      '<transaction><status>ok</status><receipt><status>approved</status><datetime>221011120000</datetime><iface>mifare</iface>' +
        '<balance>500</balance></receipt></transaction>',
    );
    const parsed = parseResponse('transaction', parsePacket(xml));
    assert.equal(parsed.approved, true);
    assert.equal(parsed.plainTextPan, undefined);
    assert.deepEqual(parsed.receipt?.extra, { balance: '500' });
  });
});

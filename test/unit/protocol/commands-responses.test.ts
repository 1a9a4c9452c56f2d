import assert from 'node:assert/strict';
import { inspect } from 'node:util';
import { packet } from '../../../lib/codec/packet';
import { parsePacket, serializePacket } from '../../../lib/codec/xml';
import { JpayProtocolError } from '../../../lib/errors';
import { buildResponse, parseResponse } from '../../../lib/protocol/responses';
import { Secret } from '../../../lib/protocol/secret';
import type { CommandName } from '../../../lib/protocol/types';
import { canonical, example } from './commands-examples.helper';

const PAN = '4000000010000001';

describe('protocol commands: responses', () => {
  it('transaction.response.xml: approved card purchase', () => {
    const r = parseResponse('transaction', example('transaction.response.xml'));
    assert.equal(r.status, 'ok');
    assert.equal(r.ok, true);
    assert.deepEqual(r.errors, []);
    assert.equal(r.approved, true);
    assert.equal(r.plainTextPan, undefined);
    const receipt = r.receipt;
    assert.ok(receipt);
    assert.equal(receipt.approved, true);
    assert.equal(receipt.amountAuthorized, 12300);
    assert.equal(receipt.amountOther, 12300);
    assert.equal(receipt.seq, '000009');
    assert.equal(receipt.receiptNumber, 9);
    assert.equal(receipt.datetime, '2018-03-28T12:01:33');
    assert.equal(receipt.aid, 'A00000000031010');
    assert.deepEqual(receipt.header, ['Merchant Name', 'Merchant Address']);
    assert.deepEqual(receipt.footer, ['Byte']);
    assert.equal(receipt.applicationName, 'VISA Classic');
    assert.equal(receipt.declineReason, '');
    assert.equal(receipt.acquirerTag, 'abc');
    assert.equal(receipt.bankName, 'demo');
    assert.equal(receipt.record, 'A1234DF3');
    assert.equal(receipt.extra, undefined);
  });

  it('transaction.response-sbp.xml: SBP receipt approved by its status', () => {
    const r = parseResponse('transaction', example('transaction.response-sbp.xml'));
    assert.equal(r.approved, true);
    assert.equal(r.receipt?.iface, 'sbp');
    assert.equal(r.receipt?.tstatus, undefined);
    assert.equal(r.receipt?.paymentStatus, 'approved');
    assert.equal(r.receipt?.authNumber, 'AFK045');
  });

  it('approved follows tstatus, and needs a receipt', () => {
    const declined = packet('transaction', { status: 'ok', receipt: { tstatus: 'declined', status: 'approved' } });
    assert.equal(parseResponse('transaction', declined).approved, false);
    const none = parseResponse('transaction', packet('transaction', { status: 'cancelled' }));
    assert.equal(none.approved, false);
    assert.equal(none.ok, false);
    assert.equal(none.status, 'cancelled');
    assert.equal(none.receipt, undefined);
  });

  it('plain-text-pan ends up only in a Secret', () => {
    for (const where of ['receipt', 'body'] as const) {
      const receipt: Record<string, string> = { tstatus: 'approved', pan: '************0001' };
      const body: Record<string, unknown> = { status: 'ok', receipt };
      if (where === 'receipt') receipt['plain-text-pan'] = PAN;
      else body['plain-text-pan'] = PAN;
      const r = parseResponse('transaction', parsePacket(serializePacket(packet('transaction', body as never))));
      assert.ok(r.plainTextPan instanceof Secret);
      assert.equal(r.plainTextPan.reveal(), PAN);
      assert.ok(!JSON.stringify(r).includes(PAN), where);
      assert.ok(!inspect(r, { depth: 10 }).includes(PAN), where);
      assert.equal(r.receipt?.extra, undefined);
      assert.equal(r.receipt?.pan, '************0001');
    }
  });

  it('report.response.xml: totals, counts and one transaction', () => {
    const r = parseResponse('report', example('report.response.xml'));
    const report = r.report;
    assert.ok(report);
    assert.deepEqual(report.header, {
      mid: 'M123456789012345',
      tid: '1000000001',
      title: ['Header line 1'],
      currency: '643',
      time: '2018-12-29T12:00:02',
    });
    assert.equal(report.transactions.length, 1);
    assert.deepEqual(report.transactions[0], {
      status: 'approved',
      state: 'active',
      type: 'refund',
      seq: '000009',
      amount: 1000,
      amountOther: 100,
      rrn: '647394847384',
      time: '2018-03-22T12:14:08',
      authCode: 'AFJ879',
      respCode: '000',
      currency: '643',
      pan: '************1234',
      aed: '211231',
      aid: 'A0000000031010',
      tvr: '0000000000',
      tsi: '000000',
    });
    assert.equal(report.totals.length, 1);
    const visa = report.totals[0];
    assert.equal(visa.rid, 'A000000003');
    assert.equal(visa.name, 'VISA');
    assert.deepEqual(visa.purchase, { count: 100, sum: 10000 });
    assert.deepEqual(visa.refundReversal, { count: 2, sum: 10000 });
    assert.equal(visa.totalCount, 400);
    assert.equal(visa.totalSum, -10000);
    assert.equal(report.grandTotals?.totalSum, -10000);
    assert.equal(report.grandTotals?.totalCount, 400);
    assert.deepEqual(report.grandTotals?.purchaseWithCashback, { count: 100, sum: 10000 });
  });

  it('report: a malformed total is a bad packet', () => {
    const p = packet('report', {
      status: 'ok',
      xreport: { totals: { 'card-type': [{ rid: 'A', name: 'X', 'purchase-count': 'many' }] } },
    });
    assert.throws(() => parseResponse('report', p), (e: unknown) => e instanceof JpayProtocolError && e.code === 'bad-packet');
  });

  it('plain responses: logout, resetpassword…', () => {
    assert.deepEqual(parseResponse('logout', example('logout.response.xml')), { status: 'ok', ok: true, errors: [] });
    const statuses: CommandName[] = ['changepassword', 'updateconfiguration', 'testconnection', 'resetpassword', 'sethostkey', 'runreset'];
    for (const command of statuses) {
      assert.deepEqual(parseResponse(command, packet(command, { status: 'ok' })), { status: 'ok', ok: true, errors: [] });
    }
  });

  it('is tolerant of missing fields and never throws for a status', () => {
    assert.deepEqual(parseResponse('transaction', packet('transaction')), {
      status: '',
      ok: false,
      errors: [],
      approved: false,
    });
    assert.equal(parseResponse('report', packet('report', { status: 'notauthorized' })).report, undefined);
  });

  it('throws unexpected-packet when the root is not the command', () => {
    assert.throws(
      () => parseResponse('transaction', example('keepalive.message.xml')),
      (e: unknown) => e instanceof JpayProtocolError && e.code === 'unexpected-packet',
    );
  });

  // Writing every response (responseToPacket) and reading it back: round-trip.test.ts.
  describe('terminal side', () => {
    it('buildResponse: status first, body, error-stack as hex', () => {
      const p = buildResponse('loadmasterkeys', 'connectionerror', {}, ['Host name is not found.']);
      assert.equal(canonical(p), canonical(example('loadmasterkeys.response-error-stack.xml')));
      const q = buildResponse('login', 'ok', { token: 'AB', status: 'ignored' }, [], { 'server-handshake': 'QQ' });
      assert.equal(canonical(q), '<login server-handshake="QQ"><status>ok</status><token>AB</token></login>');
      assert.equal(canonical(buildResponse('logout', 'ok')), '<logout><status>ok</status></logout>');
    });
  });
});

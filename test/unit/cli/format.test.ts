import assert from 'node:assert/strict';
import type { Invocation } from '../../../lib/cli/jpay/commands';
import { formatError, formatResponse, money } from '../../../lib/cli/jpay/format';
import { Secret } from '../../../lib/protocol/secret';
import type { ResponseTypes, SReport, XReport } from '../../../lib/protocol/types';
import { TransactionOutcomeUnknown } from '../../../lib/errors';

const purchase: Invocation = { command: 'transaction', params: { type: 'purchase', amount: 12345 } };

function approved(): ResponseTypes['transaction'] {
  return {
    status: 'ok',
    ok: true,
    errors: [],
    approved: true,
    plainTextPan: new Secret('4111111111111111'),
    receipt: {
      header: ['SHOP'],
      footer: [],
      seq: '000009',
      type: 'purchase',
      tstatus: 'approved',
      approved: true,
      amountAuthorized: 12345,
      currency: '643',
      pan: '************1111',
      applicationName: 'VISA CREDIT',
      rrn: '812345678901',
      authNumber: 'A1B2C3',
      datetime: '2018-03-28T12:01:33',
      tid: '00000001',
      mid: '000000000000001',
    },
  };
}

describe('cli human summaries', () => {
  it('formats money with the currency name', () => {
    assert.equal(money(12345, '643'), '123.45 RUB');
    assert.equal(money(5, '999'), '0.05 999');
    assert.equal(money(100), '1.00');
    assert.equal(money(undefined, '643'), undefined);
  });

  it('an approved purchase shows the verdict and the receipt facts, never plain-text-pan', () => {
    const text = formatResponse('purchase', purchase, approved());
    assert.match(text, /^APPROVED {2}purchase 123\.45/);
    assert.match(text, /receipt +000009/);
    assert.match(text, /amount +123\.45 RUB/);
    assert.match(text, /card +\*{12}1111 {2}VISA CREDIT/);
    assert.match(text, /rrn +812345678901/);
    assert.match(text, /auth code +A1B2C3/);
    assert.match(text, /date +2018-03-28 12:01:33/);
    assert.ok(!text.includes('4111111111111111'));
  });

  it('a declined or cancelled transaction says DECLINED with the reason', () => {
    const r = approved();
    r.approved = false;
    r.receipt = { ...r.receipt!, tstatus: 'declined', approved: false, declineReason: 'onlinedeclined', respCode: '051', respCodeDescription: 'Insufficient funds' };
    const text = formatResponse('purchase', purchase, r);
    assert.match(text, /^DECLINED/);
    assert.match(text, /decline reason +onlinedeclined/);
    assert.match(text, /response +051 Insufficient funds/);
    const cancelled = formatResponse('purchase', purchase, { status: 'cancelled', ok: false, errors: ['Cancelled by the client'], approved: false } as ResponseTypes['transaction']);
    assert.match(cancelled, /^DECLINED/);
    assert.match(cancelled, /terminal status +cancelled \(Operation cancelled\)/);
    assert.match(cancelled, /error: Cancelled by the client/);
  });

  it('a full card number in a receipt is masked anyway', () => {
    const r = approved();
    r.receipt!.pan = '4111111111111111';
    const text = formatResponse('purchase', purchase, r);
    assert.ok(!text.includes('4111111111111111'));
    assert.match(text, /411111\*{6}1111/);
  });

  it('a manual transaction shows the masked PAN of the request', () => {
    const inv: Invocation = {
      command: 'transaction',
      params: { type: 'purchase', amount: 100, manual: { pan: '4000000000000002', expiry: '2712' } },
    };
    const text = formatResponse('manual', inv, { status: 'ok', ok: true, errors: [], approved: false } as ResponseTypes['transaction']);
    assert.match(text, /card 400000\*{6}0002/);
    assert.ok(!text.includes('4000000000000002'));
  });

  it('an SBP receipt shows the SBP references', () => {
    const r = approved();
    r.receipt = { header: [], footer: [], approved: true, iface: 'sbp', paymentStatus: 'approved', rrn: 'AS1000670LSS', cft: { qrcId: 'AD10006M8KH', localQrcId: 'AS1000670LSS' } };
    const text = formatResponse('purchase', { command: 'transaction', params: { type: 'purchase', amount: 100, sbp: true } }, r);
    assert.match(text, /payment +SBP/);
    assert.match(text, /sbp localQrcId +AS1000670LSS/);
  });

  it('a non-ok admin status names the status and its description', () => {
    const text = formatResponse('testconnection', { command: 'testconnection' }, { status: 'communicationerror', ok: false, errors: ['Host name is not found.'] });
    assert.match(text, /testconnection: FAILED, terminal status communicationerror \(Communication error/);
    assert.match(text, /error: Host name is not found\./);
  });

  it('admin results', () => {
    assert.equal(formatResponse('login', { command: 'login' }, { status: 'ok', ok: true, errors: [] }), 'logged in (the session token is not shown)');
    const params = formatResponse('getparameters', { command: 'getparameters' }, { status: 'ok', ok: true, errors: [], parameters: { sn: 'SN1', tid: '00000001' } } as ResponseTypes['getparameters']);
    assert.match(params, /sn +SN1/);
    assert.match(params, /tid +00000001/);
    const keys = formatResponse('loadmasterkeys', { command: 'loadmasterkeys' }, { status: 'ok', ok: true, errors: [], receipt: { pinKcv: 'ABC123', macKcv: 'DEF456' } } as ResponseTypes['loadmasterkeys']);
    assert.match(keys, /PIN key KCV +ABC123/);
  });

  it('an X-report with totals and, when full, the transactions', () => {
    const totals = {
      purchase: { count: 2, sum: 30000 },
      refund: { count: 1, sum: 5000 },
      purchaseWithCashback: { count: 0, sum: 0 },
      purchaseReversal: { count: 0, sum: 0 },
      refundReversal: { count: 0, sum: 0 },
      totalCount: 3,
      totalSum: 25000,
    };
    const report: XReport = {
      header: { tid: '00000001', mid: 'M1', title: ['X-REPORT'], currency: '643', time: '2024-01-02T03:04:05' },
      transactions: [{ seq: '000001', type: 'purchase', amount: 15000, status: 'approved', rrn: '400000000001', pan: '************1111' }],
      totals: [{ rid: 'A000000003', name: 'VISA', ...totals }],
      grandTotals: totals,
    };
    const brief = formatResponse('report', { command: 'report', params: { reportType: 'brief' } }, { status: 'ok', ok: true, errors: [], report } as ResponseTypes['report']);
    assert.match(brief, /VISA \(A000000003\): total 3 \/ 250\.00 RUB \(purchase 2 \/ 300\.00 RUB, refund 1 \/ 50\.00 RUB\)/);
    assert.doesNotMatch(brief, /Transactions:/);
    const full = formatResponse('report', { command: 'report', params: { reportType: 'full' } }, { status: 'ok', ok: true, errors: [], report } as ResponseTypes['report']);
    assert.match(full, /000001 {2}purchase {2}150\.00 RUB {2}approved/);
  });

  it('a settlement report with signed totals', () => {
    const report: SReport = { terminalTotal: -500, hostTotal: -500, transactionCount: 2, currency: '643', settlementResult: 'passed', passed: true };
    const text = formatResponse('settlement', { command: 'settlement' }, { status: 'ok', ok: true, errors: [], report } as ResponseTypes['settlement']);
    assert.match(text, /^SETTLEMENT: PASSED/);
    assert.match(text, /terminal total +-5\.00 RUB/);
    assert.match(text, /transactions +2/);
  });

  it('an unknown outcome tells how to check, on stdout', () => {
    const error = new TransactionOutcomeUnknown('awaiting-response', { type: 'purchase', amount: 12345, host: 'h', port: 1, sentAt: '2024-01-01T00:00:00Z' });
    const r = formatError('purchase', purchase, error, 'unknown', (s) => s);
    assert.match(r.stdout ?? '', /^OUTCOME UNKNOWN {2}purchase 123\.45/);
    assert.match(r.stdout ?? '', /jpay report --full/);
    assert.match(r.stdout ?? '', /jpay void --number last/);
    assert.match(r.stderr, /outcome UNKNOWN/);
  });

  it('errors are passed through the redactor', () => {
    const r = formatError('report', { command: 'report', params: { reportType: 'brief' } }, new Error('bad 12345678'), 'error', (s) => s.replace('12345678', '[redacted]'));
    assert.equal(r.stderr, 'jpay report: bad [redacted]');
    assert.equal(r.stdout, undefined);
    const usage = formatError(undefined, undefined, new Error('no command given'), 'usage', (s) => s);
    assert.equal(usage.stderr, 'jpay: no command given\nSee: jpay --help');
  });
});

import assert from 'node:assert/strict';
import type { Invocation } from '../../../lib/cli/jpay/commands';
import { errorJson, responseJson } from '../../../lib/cli/jpay/json';
import { errorVerdict, responseVerdict } from '../../../lib/cli/jpay/outcome';
import { makeRedactor } from '../../../lib/cli/jpay/redact';
import { UsageError } from '../../../lib/cli/jpay/usage-error';
import {
  JpayConnectionError,
  JpayProtocolError,
  JpayStatusError,
  JpayTimeoutError,
  JpayValidationError,
  TransactionOutcomeUnknown,
} from '../../../lib/errors';
import { Secret } from '../../../lib/protocol/secret';
import type { ResponseTypes } from '../../../lib/protocol/types';

const manual: Invocation = {
  command: 'transaction',
  params: { type: 'purchase', amount: 100, manual: { pan: '4000000000000002', expiry: '2712' } },
};
const report: Invocation = { command: 'report', params: { reportType: 'brief' } };
const redact = makeRedactor({ hidden: ['12345678'], pans: ['4000000000000002'] }, true);

describe('cli verdicts and --json output', () => {
  it('transaction verdicts use the nodes\' outcome words: approved 0; declined, cancelled, failed 1', () => {
    const base = { status: 'ok', ok: true, errors: [] };
    assert.deepEqual(responseVerdict(manual, { ...base, approved: true } as ResponseTypes['transaction']), { kind: 'approved', exitCode: 0 });
    assert.deepEqual(responseVerdict(manual, { ...base, approved: false } as ResponseTypes['transaction']), { kind: 'declined', exitCode: 1 });
    assert.deepEqual(responseVerdict(manual, { status: 'notapproved', ok: false, errors: [], approved: false } as ResponseTypes['transaction']), { kind: 'declined', exitCode: 1 });
    assert.deepEqual(responseVerdict(manual, { status: 'cancelled', ok: false, errors: [], approved: false } as ResponseTypes['transaction']), { kind: 'cancelled', exitCode: 1 });
    assert.deepEqual(responseVerdict(manual, { status: 'readererror', ok: false, errors: [], approved: false } as ResponseTypes['transaction']), { kind: 'failed', exitCode: 1 });
  });

  it('command verdicts: ok 0, non-ok status 1, failed settlement 1', () => {
    assert.deepEqual(responseVerdict(report, { status: 'ok', ok: true, errors: [] }), { kind: 'ok', exitCode: 0 });
    assert.deepEqual(responseVerdict(report, { status: 'notauthorized', ok: false, errors: [] }), { kind: 'failed', exitCode: 1 });
    const failed = { status: 'ok', ok: true, errors: [], report: { passed: false, settlementResult: 'failed' } };
    assert.deepEqual(responseVerdict({ command: 'settlement' }, failed), { kind: 'failed', exitCode: 1 });
  });

  it('error verdicts', () => {
    const unknown = new TransactionOutcomeUnknown('awaiting-response', { type: 'purchase', host: 'h', port: 1, sentAt: 'x' });
    assert.deepEqual(errorVerdict(undefined, new UsageError('x')), { kind: 'usage', exitCode: 2 });
    assert.deepEqual(errorVerdict(manual, new JpayValidationError('amount', 'too big')), { kind: 'usage', exitCode: 2 });
    assert.deepEqual(errorVerdict(manual, unknown), { kind: 'unknown', exitCode: 3 });
    assert.deepEqual(errorVerdict(report, new JpayStatusError('login', 'notauthorized')), { kind: 'failed', exitCode: 1 });
    assert.deepEqual(errorVerdict(report, new JpayConnectionError('refused', 'h', 1)), { kind: 'error', exitCode: 3 });
    assert.deepEqual(errorVerdict(report, new JpayTimeoutError('command', 5)), { kind: 'error', exitCode: 3 });
    assert.deepEqual(errorVerdict(manual, new JpayConnectionError('refused', 'h', 1)), { kind: 'error', exitCode: 3 });
    assert.deepEqual(errorVerdict(manual, new JpayTimeoutError('connect', 5)), { kind: 'error', exitCode: 3 });
    // Anything else after a transaction may have been sent: unknown.
    assert.deepEqual(errorVerdict(manual, new JpayProtocolError('bad-xml', 'x')), { kind: 'unknown', exitCode: 3 });
    assert.deepEqual(errorVerdict(manual, new Error('bug')), { kind: 'unknown', exitCode: 3 });
  });

  it('a response: one object with the verdict, the masked request, no plain-text-pan or token', () => {
    const response: ResponseTypes['transaction'] = {
      status: 'ok',
      ok: true,
      errors: [],
      approved: true,
      plainTextPan: new Secret('4000000000000002'),
      receipt: { header: [], footer: [], approved: true, amountAuthorized: 100, pan: '************0002' },
    };
    const out = responseJson('manual', manual, response, responseVerdict(manual, response));
    const text = JSON.stringify(out);
    assert.ok(!text.includes('4000000000000002'));
    assert.ok(!text.includes('plainTextPan'));
    assert.equal(out.ok, true);
    assert.equal(out.outcome, 'approved');
    assert.equal(out.approved, true);
    assert.deepEqual(out.request, { type: 'purchase', amount: 100, manual: { pan: '400000******0002', expiry: '2712' } });
    assert.equal((out.result?.receipt as { amountAuthorized: number }).amountAuthorized, 100);
    const login = responseJson('login', { command: 'login' }, { status: 'ok', ok: true, errors: [], token: 'ab'.repeat(16) } as ResponseTypes['login'], { kind: 'ok', exitCode: 0 });
    assert.ok(!JSON.stringify(login).includes('abab'));
  });

  it('an error: typed facts, secrets redacted, check commands when unknown', () => {
    const unknown = new TransactionOutcomeUnknown('awaiting-response', { type: 'purchase', amount: 100, host: 'h', port: 1, sentAt: 'x' }, { cause: new Error('peer 12345678 gone 4000000000000002') });
    const out = errorJson('manual', manual, unknown, errorVerdict(manual, unknown), redact);
    const text = JSON.stringify(out);
    assert.ok(!text.includes('12345678'));
    assert.ok(!text.includes('4000000000000002'));
    assert.equal(out.outcome, 'unknown');
    assert.equal(out.exitCode, 3);
    assert.deepEqual(out.check, ['jpay report --full', 'jpay void --number last']);
    assert.equal(out.error?.type, 'TransactionOutcomeUnknown');
    assert.equal(out.error?.phase, 'awaiting-response');
    const status = new JpayStatusError('login', 'notauthorized', ['Wrong password']);
    const s = errorJson('report', report, status, errorVerdict(report, status), redact);
    assert.deepEqual([s.error?.status, s.error?.errors, s.exitCode, s.check], ['notauthorized', ['Wrong password'], 1, undefined]);
  });
});

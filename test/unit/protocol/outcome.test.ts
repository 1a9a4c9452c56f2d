import assert from 'node:assert/strict';
import { describeDecline, outcomeText, transactionOutcome } from '../../../lib/protocol/outcome';
import type { Receipt } from '../../../lib/protocol/types';

const declined: Receipt = { header: [], footer: [], approved: false, tstatus: 'declined', declineReason: 'onlinedeclined', respCode: '051', respCodeDescription: 'Insufficient funds' };

describe('protocol: a transaction outcome in one word', () => {
  it('approved, declined, cancelled, failed', () => {
    assert.equal(transactionOutcome({ approved: true, status: 'ok', receipt: { ...declined, approved: true } }), 'approved');
    assert.equal(transactionOutcome({ approved: false, status: 'ok', receipt: declined }), 'declined');
    assert.equal(transactionOutcome({ approved: false, status: 'notapproved' }), 'declined');
    assert.equal(transactionOutcome({ approved: false, status: 'cancelled' }), 'cancelled');
    assert.equal(transactionOutcome({ approved: false, status: 'readererror' }), 'failed');
    // A declined receipt with a non-ok status is still a decline: the card said no.
    assert.equal(transactionOutcome({ approved: false, status: 'failed', receipt: declined }), 'declined');
  });

  it('a decline in words: the reason, then the response code text and code', () => {
    assert.equal(describeDecline(declined, 'en'), 'Declined by the bank: Insufficient funds (051)');
    assert.equal(describeDecline(declined, 'ru'), 'Отклонено банком: Insufficient funds (051)');
    assert.equal(describeDecline({ declineReason: 'offlinedeclined' }, 'en'), 'Declined offline by the card');
    assert.equal(describeDecline({ declineReason: 'something-new', respCode: '096' }, 'en'), 'Declined: 096');
    assert.equal(describeDecline(undefined, 'en'), 'Declined');
  });

  it('statusText: the decline for a decline, the status otherwise', () => {
    assert.equal(outcomeText({ approved: false, status: 'ok', receipt: declined }, 'en'), 'Declined by the bank: Insufficient funds (051)');
    assert.equal(outcomeText({ approved: false, status: 'cancelled' }, 'en'), 'Operation cancelled');
    assert.equal(outcomeText({ approved: false, status: 'weird' }, 'en'), 'Unknown status');
  });
});

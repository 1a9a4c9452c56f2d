import assert from 'node:assert/strict';
import { answerRef, deadlineMs, effectiveDeadline, settledStatus } from '../../../nodes/shared/flow-msg';

describe('flow/flow-msg', () => {
  it('finds where an answer belongs: its _jpay id, else the node terminal', () => {
    assert.deepEqual(answerRef({ _jpay: { id: 'abc', terminal: 't2' } }, 't1'), { id: 'abc', terminal: 't2' });
    assert.deepEqual(answerRef({ _jpay: { id: 'abc' } }, 't1'), { id: 'abc', terminal: 't1' });
    assert.deepEqual(answerRef({ _jpay: { id: '' } }, 't1'), { terminal: 't1' });
    assert.deepEqual(answerRef({ _jpay: 'junk' }, 't1'), { terminal: 't1' });
    assert.deepEqual(answerRef({ payload: 1 }, 't1'), { terminal: 't1' });
  });

  it('reads the deadline from the dialog within 50 ms .. 60 s', () => {
    assert.equal(deadlineMs('1500', 1000), 1500);
    assert.equal(deadlineMs(250.4, 1000), 250);
    assert.equal(deadlineMs('', 1000), 1000);
    assert.equal(deadlineMs(undefined, 1000), 1000);
    assert.equal(deadlineMs('abc', 1000), 1000);
    assert.equal(deadlineMs(1, 1000), 50);
    assert.equal(deadlineMs(1e9, 1000), 60_000);
  });

  it('keeps the node deadline inside the client handler deadline', () => {
    assert.equal(effectiveDeadline(1500, 2000), 1500);
    assert.equal(effectiveDeadline(5000, 2000), 1950);
    assert.equal(effectiveDeadline(1500, undefined), 1500);
    assert.equal(effectiveDeadline(1500, 60), 1500);
  });

  it('maps how a question settled to the node status', () => {
    assert.deepEqual(settledStatus('flow', 'read'), { kind: 'ok', key: 'read' });
    assert.deepEqual(settledStatus('deadline'), { kind: 'error', key: 'deadline' });
    assert.deepEqual(settledStatus('invalid'), { kind: 'error', key: 'invalid' });
    assert.equal(settledStatus('aborted').kind, 'idle');
    assert.equal(settledStatus('closed').key, 'closed');
  });
});

import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { JpayClient, type TransactionHooks } from '../../../lib/client';
import { JpayValidationError, TransactionOutcomeUnknown } from '../../../lib/errors';
import { RecoveryPendingError, TransactionJournal, TransactionRecovery, terminalKey, type TransactionRecoveryOptions } from '../../../lib/recovery';
import type { SimulatorHandle } from '../../../lib/simulator';
import { startTestSimulator } from '../../helpers/sim-fixtures';

const PASSWORD = '12345678';

describe('recovery: the recovery procedure against the simulator', function () {
  this.timeout(10000);
  let sim: SimulatorHandle;
  let dir: string;
  const clients: JpayClient[] = [];
  const recoveries: TransactionRecovery[] = [];

  beforeEach(async () => {
    sim = await startTestSimulator();
    dir = await mkdtemp(path.join(os.tmpdir(), 'jpay-recover-'));
  });

  afterEach(async () => {
    for (const c of clients.splice(0)) await c.close();
    for (const r of recoveries.splice(0)) await r.close();
    await sim.close();
    await rm(dir, { recursive: true, force: true });
  });

  const journalFile = (): string => path.join(dir, 'journal.jsonl');

  async function open(options: TransactionRecoveryOptions = {}): Promise<TransactionRecovery> {
    const r = await TransactionRecovery.open(journalFile(), { settleMs: 0, ...options });
    recoveries.push(r);
    return r;
  }

  function client(hooks?: TransactionHooks, withPassword = true): JpayClient {
    const c = new JpayClient({ host: '127.0.0.1', port: sim.port, ...(withPassword ? { password: PASSWORD } : {}), ...(hooks ? { transactionHooks: hooks } : {}) });
    clients.push(c);
    return c;
  }

  function reversals(): number {
    return sim.log().filter((r) => r.operation === 'purchase-reversal').length;
  }

  it('finds an approved payment whose answer was lost (recorded, then dropped)', async () => {
    const recovery = await open();
    const c = client(recovery.hooks);
    await c.transaction({ type: 'purchase', amount: 1000 });
    await assert.rejects(c.transaction({ type: 'purchase', amount: 77781 }), TransactionOutcomeUnknown);
    assert.equal(recovery.unresolved(c).length, 1);
    const [result] = await recovery.recover(c);
    const record = sim.log().find((r) => r.amount === 77781);
    assert.equal(result.outcome, 'approved');
    assert.equal(result.reason, 'receipt-found');
    assert.equal(Number(result.receipt?.seq), record?.seq);
    assert.equal(result.receipt?.rrn, record?.rrn);
    assert.equal(result.reversal, undefined, 'not asked to reverse');
    assert.equal(recovery.unresolved(c).length, 0);
    assert.equal(recovery.journal.anchor(terminalKey('127.0.0.1', sim.port))?.seq, '000002');
    assert.equal(sim.log().length, 2, 'recovery sent no payment');
  });

  it('says declined-or-not-recorded when the terminal dropped before recording, or declined', async () => {
    const recovery = await open();
    const c = client(recovery.hooks);
    await assert.rejects(c.transaction({ type: 'purchase', amount: 77780 }), TransactionOutcomeUnknown);
    const [nothing] = await recovery.recover(c);
    assert.equal(nothing.outcome, 'declined-or-not-recorded');
    assert.equal(nothing.receipt, undefined);
    assert.equal(nothing.reason, 'no-matching-receipt');

    sim.queueOutcome({ declineReason: 'onlinedeclined', fault: 'drop-after-record' });
    await assert.rejects(c.transaction({ type: 'purchase', amount: 1300 }), TransactionOutcomeUnknown);
    const [declined] = await recovery.recover(c);
    assert.equal(declined.outcome, 'declined-or-not-recorded');
    assert.equal(declined.receipt?.approved, false);
    assert.equal(Number(declined.receipt?.seq), sim.log()[0].seq);
  });

  it('vending: reverses an approved unknown payment with void last when it is the last one, once', async () => {
    const recovery = await open();
    const c = client(recovery.hooks);
    sim.queueOutcome({ fault: 'drop-after-record' });
    await assert.rejects(c.transaction({ type: 'purchase', amount: 1200 }, { annotations: { reverse: true } }), TransactionOutcomeUnknown);
    const [result] = await recovery.recover(c);
    assert.equal(result.outcome, 'approved');
    assert.equal(result.reversal?.state, 'done');
    assert.equal(result.reversal?.attempted, true);
    assert.equal(result.reversal?.receipt?.type, 'purchasereversal');
    const [purchase, reversal] = sim.log();
    assert.equal(purchase.reversedAmount, 1200);
    assert.equal(reversal.operation, 'purchase-reversal');
    assert.equal(reversal.originalSeq, purchase.seq);
    const voidEntry = recovery.journal.get(result.reversal?.entryId ?? '');
    assert.equal(voidEntry?.state, 'answered', 'the void is journaled like any transaction');
    assert.equal(voidEntry?.annotations.reversalOf, result.id);
    assert.deepEqual(await recovery.recover(c), [], 'nothing left: nothing more is sent');
    assert.equal(reversals(), 1);
  });

  it('vending: never voids something else — a payment that is not the last stays charged and is reported', async () => {
    const recovery = await open({ policy: 'warn', reverse: 'void-last' });
    const c = client(recovery.hooks);
    sim.queueOutcome({ fault: 'drop-after-record' });
    await assert.rejects(c.transaction({ type: 'purchase', amount: 1400 }), TransactionOutcomeUnknown);
    await c.transaction({ type: 'purchase', amount: 1500 }); // policy warn: the next sale went on
    const [result] = await recovery.recover(c);
    assert.equal(result.outcome, 'approved');
    assert.deepEqual(result.reversal, { attempted: false, state: 'skipped', reason: 'not-last-in-log' });
    assert.ok(sim.log().every((r) => r.operation === 'purchase' && r.reversedAmount === 0));
  });

  it('a void whose own answer is lost is recovered in turn; the payment is never voided twice', async () => {
    const recovery = await open();
    const c = client(recovery.hooks);
    sim.queueOutcome([{ fault: 'drop-after-record' }, { fault: 'drop-after-record' }]);
    await assert.rejects(c.transaction({ type: 'purchase', amount: 1600 }, { annotations: { reverse: true } }), TransactionOutcomeUnknown);
    const [first] = await recovery.recover(c);
    assert.equal(first.outcome, 'approved');
    assert.equal(first.reversal?.state, 'unknown');
    await assert.rejects(c.transaction({ type: 'purchase', amount: 1 }), RecoveryPendingError, 'the lost void blocks new sales');
    const [voidResult] = await recovery.recover(c);
    assert.equal(voidResult.id, first.reversal?.entryId);
    assert.equal(voidResult.outcome, 'approved');
    assert.equal(voidResult.receipt?.type, 'purchasereversal');
    assert.equal(reversals(), 1);
    assert.equal(sim.log().length, 2);
  });

  it('after a crash between the void and its record, the journaled void is found and no second void is sent', async () => {
    const recovery = await open();
    const c = client(recovery.hooks);
    sim.queueOutcome({ fault: 'drop-after-record' });
    await assert.rejects(c.transaction({ type: 'purchase', amount: 1700 }, { annotations: { reverse: true } }), TransactionOutcomeUnknown);
    const [payment] = recovery.unresolved(c);
    // The void was begun (journaled) and answered, then the process died before the payment's decision.
    const v = await recovery.journal.begin({
      request: { type: 'void', number: 'last', amount: 1700 },
      host: '127.0.0.1',
      port: sim.port,
      encrypted: false,
      annotations: { recovery: 'reversal', reversalOf: payment.id },
    });
    await recovery.journal.answered(v, { status: 'ok', ok: true, errors: [], approved: true, receipt: { header: [], footer: [], approved: true, seq: '000099', rrn: 'X', type: 'purchasereversal' } });
    const [result] = await recovery.recover(c);
    assert.equal(result.outcome, 'approved');
    assert.deepEqual({ attempted: result.reversal?.attempted, state: result.reversal?.state, entryId: result.reversal?.entryId }, { attempted: true, state: 'done', entryId: v });
    assert.equal(reversals(), 0, 'no void was sent');
    assert.equal(sim.log()[0].reversedAmount, 0);
  });

  it('resolves on restart what a crashed process left in flight', async () => {
    const first = await open();
    const crashing: TransactionHooks = { beforeSend: first.hooks.beforeSend }; // settled never runs: the process "dies"
    const c1 = client(crashing);
    const answered = await c1.transaction({ type: 'purchase', amount: 1800 });
    assert.equal(answered.approved, true);
    await first.close();
    recoveries.splice(recoveries.indexOf(first), 1);

    const second = await open();
    const c2 = client(second.hooks);
    assert.deepEqual(second.unresolved(c2).map((e) => e.state), ['in-flight']);
    await assert.rejects(c2.transaction({ type: 'purchase', amount: 10 }), RecoveryPendingError, 'no new sale before it is resolved');
    const results = await second.beforeSale(c2);
    assert.equal(results[0].outcome, 'approved');
    assert.equal(results[0].receipt?.seq, answered.receipt?.seq);
    const next = await c2.transaction({ type: 'purchase', amount: 10 });
    assert.equal(next.approved, true);
  });

  it('is honest: an identical purchase by another client in the window makes it ambiguous', async () => {
    const recovery = await open();
    const c = client(recovery.hooks);
    const other = client();
    sim.queueOutcome({ fault: 'drop-after-record' });
    await assert.rejects(c.transaction({ type: 'purchase', amount: 1900 }), TransactionOutcomeUnknown);
    await other.transaction({ type: 'purchase', amount: 1900 });
    const [result] = await recovery.recover(c);
    assert.equal(result.outcome, 'ambiguous');
    assert.equal(result.reason, 'several-candidates');
    assert.equal(result.receipt, undefined);
    assert.equal(recovery.needsReview(c).length, 1, 'a person must look');
    assert.equal(recovery.unresolved(c).length, 0, 'it does not block new sales');
  });

  it('calls a different terminal at the same address ambiguous', async () => {
    const file = journalFile();
    const at = new Date().toISOString();
    const terminal = terminalKey('127.0.0.1', sim.port);
    await writeFile(
      file,
      `${JSON.stringify({ v: 1, op: 'begin', id: 'old', at, terminal, request: { type: 'purchase', amount: 5 }, annotations: {}, tid: '99999999' })}\n` +
        `${JSON.stringify({ v: 1, op: 'unknown', id: 'old', at, phase: 'awaiting-response' })}\n`,
    );
    const recovery = await open();
    const [result] = await recovery.recover(client(recovery.hooks));
    assert.deepEqual([result.outcome, result.reason], ['ambiguous', 'terminal-changed']);
  });

  it('waits the settle time before reading the report, and stops waiting when aborted', async () => {
    const recovery = await open({ settleMs: 60_000 });
    const c = client(recovery.hooks);
    await assert.rejects(c.transaction({ type: 'purchase', amount: 77780 }), TransactionOutcomeUnknown);
    const stop = new AbortController();
    const pending = recovery.recover(c, { signal: stop.signal });
    stop.abort();
    await assert.rejects(pending, /recovery aborted/);
    assert.equal(sim.events().filter((e) => e.type === 'command' && e.command === 'report').length, 0, 'no report was read');
    assert.equal(recovery.unresolved(c).length, 1);
  });

  it('beforeSale: block refuses the sale when recovery cannot run (no password); warn lets it go', async () => {
    const blocking = await open();
    const c = client(blocking.hooks, false);
    await assert.rejects(c.transaction({ type: 'purchase', amount: 77780 }), TransactionOutcomeUnknown);
    await assert.rejects(blocking.beforeSale(c), (e: unknown) => {
      assert.ok(e instanceof RecoveryPendingError);
      assert.ok(e.cause instanceof JpayValidationError, 'the report needs the password');
      assert.match(e.message, /recovery failed: password/);
      return true;
    });
    await blocking.close();
    recoveries.splice(0);

    const warnings: string[] = [];
    const warning = await open({ policy: 'warn', logger: { warn: (m) => warnings.push(m) } });
    const c2 = client(warning.hooks, false);
    assert.deepEqual(await warning.beforeSale(c2), []);
    assert.equal(warnings.length, 1);
    const sale = await c2.transaction({ type: 'purchase', amount: 20 });
    assert.equal(sale.approved, true);
    assert.equal(warnings.length, 2, 'the hooks warn too');
  });

  it('recovers only the entries of the client’s own terminal', async () => {
    const journal = await TransactionJournal.open(path.join(dir, 'shared.jsonl'));
    try {
      const id = await journal.begin({ request: { type: 'purchase', amount: 5 }, host: '10.9.9.9', port: 4433, encrypted: false, annotations: {} });
      await journal.unknown(id, new TransactionOutcomeUnknown('sending', { type: 'purchase', host: '10.9.9.9', port: 4433, sentAt: new Date().toISOString() }));
      const recovery = new TransactionRecovery(journal, { settleMs: 0 });
      assert.deepEqual(await recovery.recover(client(recovery.hooks)), []);
      assert.equal(sim.events().filter((e) => e.type === 'command').length, 0, 'nothing to do: nothing sent');
    } finally {
      await journal.close();
    }
  });
});

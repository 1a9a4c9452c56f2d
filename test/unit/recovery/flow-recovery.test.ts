import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { JpayClient } from '../../../lib/client';
import { JpayValidationError, TransactionOutcomeUnknown } from '../../../lib/errors';
import { parseRecoveryConfig } from '../../../nodes/jpay-terminal/recovery-config';
import { deliveryPayload, describeOutcome, recoveryPayload, unsettledPayload } from '../../../nodes/shared/recovery-payload';
import { JournalError, TransactionRecovery, type Delivery, type RecoveryResult } from '../../../lib/recovery';
import type { SimulatorHandle } from '../../../lib/simulator';
import { startTestSimulator } from '../../helpers/sim-fixtures';

function result(fields: Partial<RecoveryResult> = {}): RecoveryResult {
  return {
    id: 'j1',
    terminal: 'h:1',
    request: { type: 'purchase', amount: 100 },
    annotations: { node: 'n1' },
    begunAt: '2026-01-01T00:00:00.000Z',
    outcome: 'approved',
    candidates: 1,
    resolvedAt: '2026-01-01T00:01:00.000Z',
    receipt: { seq: '000003', approved: true, amount: 100 },
    ...fields,
  };
}

const lost = new TransactionOutcomeUnknown('in-dialogue', { type: 'purchase', amount: 100, host: 'h', port: 1, sentAt: '2026-01-01T00:00:00.000Z', lastDisplayCode: 'D4' });

describe('flow/recovery: config, payloads and the recovery a config node runs', () => {
  describe('parseRecoveryConfig', () => {
    it('is off for a config node saved before recovery existed', () => {
      assert.equal(parseRecoveryConfig({}, { nodeId: 'a' }), undefined);
      assert.equal(parseRecoveryConfig({ recovery: 'off' }, { nodeId: 'a' }), undefined);
    });

    it('gives the defaults: automatic, 45 s, the journal under the user dir', () => {
      assert.deepEqual(parseRecoveryConfig({ recovery: 'block' }, { nodeId: 'ab.12', userDir: '/home/nr/.node-red' }), {
        policy: 'block',
        journalFile: '/home/nr/.node-red/jpay/journal-ab.12.jsonl',
        autoRecover: true,
        settleMs: 45_000,
      });
      const c = parseRecoveryConfig({ recovery: 'warn', autoRecover: false, recoveryDelay: '0', journalFile: 'j/x.jsonl' }, { nodeId: 'a', userDir: '/u' });
      assert.deepEqual(c, { policy: 'warn', journalFile: '/u/j/x.jsonl', autoRecover: false, settleMs: 0 });
    });

    it('refuses bad values, naming the field', () => {
      assert.throws(() => parseRecoveryConfig({ recovery: 'maybe' }, { nodeId: 'a' }), (e: unknown) => e instanceof JpayValidationError && e.field === 'recovery');
      assert.throws(() => parseRecoveryConfig({ recovery: 'block', recoveryDelay: '1.5' }, { nodeId: 'a' }), /recoveryDelay/);
      assert.throws(() => parseRecoveryConfig({ recovery: 'block', recoveryDelay: 99_999_999 }, { nodeId: 'a' }), /recoveryDelay/);
    });
  });

  describe('payloads', () => {
    it('a recovered approved payment: charged unless reversed', () => {
      const p = recoveryPayload(result(), 'transaction', lost);
      assert.equal(p.status, 'recovered');
      assert.equal(p.outcome, 'approved');
      assert.equal(p.approved, true);
      assert.equal(p.charged, true);
      assert.equal(p.phase, 'in-dialogue');
      assert.equal(p.transaction?.lastDisplayCode, 'D4');
      const reversed = recoveryPayload(result({ reversal: { attempted: true, state: 'done' } }), 'start');
      assert.equal(reversed.charged, false);
      assert.equal(reversed.source, 'start');
      assert.equal(reversed.transaction, undefined);
      const none = recoveryPayload(result({ outcome: 'declined-or-not-recorded', receipt: undefined }), 'before-sale');
      assert.deepEqual([none.approved, none.charged, none.receipt], [false, false, undefined]);
    });

    it('a kept outcome (a late answer) on output 3: its source, the terminal status, a possible repeat', () => {
      const late = deliveryPayload({ result: result({ reason: 'late-answer' }), source: 'late-answer', status: 'ok', repeated: true });
      assert.deepEqual([late.status, late.source, late.answerStatus, late.repeated, late.charged], ['recovered', 'late-answer', 'ok', true, true]);
      assert.equal(deliveryPayload({ result: result(), source: 'start', repeated: false }).repeated, undefined);
    });

    it('describes an outcome nobody received in one line, the card masked', () => {
      const line = describeOutcome(
        { type: 'purchase', amount: 4321 },
        { result: { status: 'ok', ok: true, errors: [], approved: true, receipt: { header: [], footer: [], approved: true, seq: '000009', rrn: '120157645346', pan: '4111111111111111' } } },
      );
      assert.equal(line, 'purchase 4321, APPROVED (status ok), receipt 000009, RRN 120157645346, card 411111******1111');
      assert.ok(!line.includes('4111111111111111'));
      assert.equal(describeOutcome({ type: 'refund', amount: 5, currency: '840' }, { outcome: 'declined-or-not-recorded' }), 'refund 5 (currency 840), declined-or-not-recorded');
    });

    it('an unsettled unknown keeps the outcome-unknown payload and says why', () => {
      assert.deepEqual(unsettledPayload(lost, undefined).recovery, { state: 'pending' });
      assert.deepEqual(unsettledPayload(lost, new Error('no route')).recovery, { error: 'Error: no route' });
      const amb = unsettledPayload(lost, result({ outcome: 'ambiguous', reason: 'several-candidates', candidates: 2, receipt: undefined }));
      assert.equal(amb.status, 'unknown');
      assert.equal(amb.outcomeUnknown, true);
      assert.deepEqual(amb.recovery, { outcome: 'ambiguous', journalId: 'j1', candidates: 2, reason: 'several-candidates' });
    });
  });

  describe('TransactionRecovery as the config node uses it (journal opened in the background, start-up replay)', () => {
    let dir: string;
    let sim: SimulatorHandle | undefined;
    let client: JpayClient | undefined;
    let recovery: TransactionRecovery | undefined;

    beforeEach(async () => {
      dir = await mkdtemp(path.join(os.tmpdir(), 'jpay-flow-recovery-'));
    });

    afterEach(async () => {
      await client?.close();
      await recovery?.close();
      await sim?.close();
      await rm(dir, { recursive: true, force: true });
      client = recovery = sim = undefined;
    });

    function make(warnings: string[], journalFile = path.join(dir, 'j.jsonl')): TransactionRecovery {
      recovery = TransactionRecovery.create(journalFile, { policy: 'block', autoRecover: true, settleMs: 0, logger: { warn: (m) => warnings.push(m) } });
      return recovery;
    }

    /** The next turns of the event loop: hand-overs write to the journal (synced) before they deliver. */
    async function until(check: () => boolean): Promise<void> {
      for (let i = 0; i < 200 && !check(); i++) await new Promise((resolve) => setTimeout(resolve, 5));
    }

    it('resolves leftovers on start and replays them once to late subscribers', async () => {
      sim = await startTestSimulator();
      const warnings: string[] = [];
      const first = make(warnings);
      client = new JpayClient({ host: '127.0.0.1', port: sim.port, password: '12345678', ...first.clientOptions });
      await first.start(client);
      await assert.rejects(client.transaction({ type: 'purchase', amount: 77781 }, { annotations: { owner: 'n1', request: 'r1' } }), TransactionOutcomeUnknown);
      await client.close();
      await first.close();

      // "Restart": a new config node over the same journal.
      const second = make(warnings);
      client = new JpayClient({ host: '127.0.0.1', port: sim.port, password: '12345678', ...second.clientOptions });
      await second.start(client);
      const seen: Delivery[] = [];
      const detach = second.deliverTo('n1', (d) => seen.push(d));
      await until(() => seen.length > 0);
      assert.equal(seen.length, 1);
      assert.equal(seen[0].source, 'start');
      assert.equal(seen[0].result.outcome, 'approved');
      assert.equal(seen[0].result.annotations.request, 'r1');
      assert.equal(seen[0].repeated, false);
      await until(() => second.journal.get(seen[0].result.id)?.delivery === 'delivered');
      detach();
      second.deliverTo('n1', (d) => seen.push(d)); // a redeployed node (same id)
      await new Promise((resolve) => setTimeout(resolve, 20));
      assert.equal(seen.length, 1, 'a redeployed node does not get it twice');
      await second.beforeSale(client);
      assert.deepEqual(warnings, []);
    });

    it('without a password: warns on start and blocks sales while something is open', async () => {
      sim = await startTestSimulator();
      const warnings: string[] = [];
      const r = make(warnings);
      client = new JpayClient({ host: '127.0.0.1', port: sim.port, ...r.clientOptions });
      await r.start(client);
      assert.equal(r.automatic(client), false);
      await assert.rejects(client.transaction({ type: 'purchase', amount: 77780 }), TransactionOutcomeUnknown);
      await assert.rejects(r.beforeSale(client), { code: 'JPAY_RECOVERY_PENDING' });
      await client.close();
      await r.close();
      const again = make(warnings);
      client = new JpayClient({ host: '127.0.0.1', port: sim.port, ...again.clientOptions });
      await again.start(client);
      assert.match(warnings.at(-1) ?? '', /1 transaction\(s\) .* unknown outcome and there is no admin password/);
    });

    it('refuses every payment when the journal cannot be opened: nothing is sent', async () => {
      sim = await startTestSimulator();
      const blocker = path.join(dir, 'not-a-dir');
      await writeFile(blocker, 'x');
      const warnings: string[] = [];
      const r = make(warnings, path.join(blocker, 'journal.jsonl'));
      client = new JpayClient({ host: '127.0.0.1', port: sim.port, password: '12345678', ...r.clientOptions });
      await r.start(client);
      assert.match(warnings[0], /cannot be used/);
      await assert.rejects(client.transaction({ type: 'purchase', amount: 100 }), JournalError);
      assert.equal(sim.log().length, 0);
      assert.equal(sim.events().filter((e) => e.type === 'command').length, 0);
      await assert.rejects(r.beforeSale(client), JournalError);
    });
  });
});

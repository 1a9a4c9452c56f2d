/**
 * TransactionRecovery beyond the procedure (recover.test.ts) and the journal
 * (journal.test.ts): the sale with everything around it, the hand-over of kept outcomes to
 * their owners (once; a repeat said as such), and the receipt watermark kept across a
 * restart.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { JpayClient } from '../../../lib/client';
import { scanRecords } from '../../../lib/durable';
import { TransactionOutcomeUnknown } from '../../../lib/errors';
import { TransactionJournal, TransactionRecovery, type Delivery, type RecoveredEvent, type TransactionRecoveryOptions } from '../../../lib/recovery';
import type { SimulatorHandle } from '../../../lib/simulator';
import { startTestSimulator } from '../../helpers/sim-fixtures';
import { approvedReceipt, reply, ScriptedTerminal, type Script } from '../../helpers/scripted-terminal';

const PASSWORD = '12345678';

async function until(check: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 400 && !check(); i++) await new Promise((resolve) => setTimeout(resolve, 5));
  assert.ok(check(), what);
}

describe('recovery/TransactionRecovery: the sale, the owners, the watermark', () => {
  let dir: string;
  const closers: (() => Promise<unknown>)[] = [];

  beforeEach(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'jpay-tr-'));
  });

  afterEach(async () => {
    for (const close of closers.splice(0).reverse()) await close();
    await rm(dir, { recursive: true, force: true });
  });

  async function open(options: TransactionRecoveryOptions = {}, name = 'journal'): Promise<TransactionRecovery> {
    const recovery = await TransactionRecovery.open(path.join(dir, `${name}.jsonl`), { settleMs: 0, ...options });
    closers.push(() => recovery.close());
    return recovery;
  }

  async function scripted(scripts: Script[]): Promise<ScriptedTerminal> {
    const terminal = await ScriptedTerminal.start(scripts);
    closers.push(() => terminal.close());
    return terminal;
  }

  function clientOf(port: number, recovery?: TransactionRecovery): JpayClient {
    const client = new JpayClient({ host: '127.0.0.1', port, password: PASSWORD, ...(recovery ? recovery.clientOptions : {}) });
    closers.push(() => client.close());
    return client;
  }

  /** An answered entry kept for `owner`, as a redeploy leaves it. */
  async function keptAnswer(journal: TransactionJournal, owner: string): Promise<string> {
    const id = await journal.begin({ request: { type: 'purchase', amount: 500 }, host: 'h', port: 1, encrypted: false, annotations: { owner } });
    await journal.answered(id, { status: 'ok', ok: true, errors: [], approved: true, receipt: { header: [], footer: [], approved: true, seq: '000004' } }, { undelivered: true });
    return id;
  }

  describe('the hand-over of kept outcomes', () => {
    it('marks it attempted on disk before the owner gets it and delivered after; once', async () => {
      const recovery = await open();
      const id = await keptAnswer(recovery.journal, 'o1');
      const seen: { delivery: Delivery; stateWhenHandedOver: string | undefined }[] = [];
      const detach = recovery.deliverTo('o1', (delivery) => seen.push({ delivery, stateWhenHandedOver: recovery.journal.get(id)?.delivery }));
      await until(() => recovery.journal.get(id)?.delivery === 'delivered', 'delivered');
      assert.equal(seen.length, 1);
      assert.equal(seen[0].stateWhenHandedOver, 'attempted', 'a crash from here on makes the next hand-over say it may repeat');
      assert.equal(seen[0].delivery.source, 'late-answer');
      assert.equal(seen[0].delivery.repeated, false);
      assert.equal(seen[0].delivery.result.receipt?.seq, '000004');
      detach();
      recovery.deliverTo('o1', (delivery) => seen.push({ delivery, stateWhenHandedOver: undefined }));
      await new Promise((resolve) => setTimeout(resolve, 30));
      assert.equal(seen.length, 1, 'never twice');
      assert.deepEqual(recovery.undelivered(), []);
    });

    it('an owner that leaves while the step is written gets nothing, and the outcome stays pending', async () => {
      const recovery = await open();
      const id = await keptAnswer(recovery.journal, 'o1');
      const journal = recovery.journal;
      const setDelivery = journal.setDelivery.bind(journal);
      let detach = (): void => undefined;
      journal.setDelivery = async (entry, state) => {
        const done = await setDelivery(entry, state);
        if (state === 'attempted') detach(); // the node closes right then
        return done;
      };
      const seen: Delivery[] = [];
      detach = recovery.deliverTo('o1', (d) => seen.push(d));
      await until(() => journal.get(id)?.delivery === 'pending' && seen.length === 0, 'back to pending');
      await new Promise((resolve) => setTimeout(resolve, 20));
      assert.deepEqual(seen, []);
      assert.deepEqual(recovery.undelivered().map((d) => [d.result.id, d.repeated]), [[id, false]]);
    });

    it('a hand-over that failed is handed over again, saying it may be a repeat', async () => {
      const recovery = await open();
      const id = await keptAnswer(recovery.journal, 'o1');
      const detach = recovery.deliverTo('o1', () => {
        throw new Error('the flow broke');
      });
      await until(() => recovery.journal.get(id)?.delivery === 'attempted', 'attempted');
      detach();
      const seen: Delivery[] = [];
      recovery.deliverTo('o1', (d) => seen.push(d));
      await until(() => seen.length === 1, 'handed over again');
      assert.equal(seen[0].repeated, true);
    });

    it('holdDeliveries(): nothing is handed over until released (a config node holds them while the flows start)', async () => {
      const recovery = await open();
      await keptAnswer(recovery.journal, 'o1');
      recovery.holdDeliveries();
      const seen: Delivery[] = [];
      recovery.deliverTo('o1', (d) => seen.push(d));
      await new Promise((resolve) => setTimeout(resolve, 30));
      assert.deepEqual(seen, [], 'held');
      recovery.releaseDeliveries();
      await until(() => seen.length === 1, 'handed over once released');
    });

    it('acknowledge(): a person took it; nothing is handed over', async () => {
      const recovery = await open();
      const id = await keptAnswer(recovery.journal, 'gone');
      assert.deepEqual(recovery.undelivered().map((d) => d.result.id), [id]);
      await recovery.acknowledge(id);
      assert.deepEqual(recovery.undelivered(), []);
      await assert.rejects(recovery.acknowledge('nope'), /no entry/);
    });
  });

  describe('transaction(): the sale with everything around it', () => {
    it('an answer that comes after its owner left is kept for the owner (answered, not delivered) and handed to the next one', async () => {
      let answer!: () => void;
      const release = new Promise<void>((resolve) => (answer = resolve));
      const terminal = await scripted([
        async (conn) => {
          await conn.expect('transaction');
          await release;
          await conn.respond('ok', approvedReceipt(700));
        },
      ]);
      const recovery = await open();
      const kept: Delivery[] = [];
      recovery.on('undelivered', (d) => kept.push(d));
      const client = clientOf(terminal.port, recovery);
      const detach = recovery.deliverTo('node-1', () => assert.fail('nothing to hand over yet'));
      const sale = recovery.transaction(client, { type: 'purchase', amount: 700 }, { owner: 'node-1' });
      await until(() => terminal.received.length === 1, 'sent');
      detach(); // a redeploy closes the node
      answer();
      const outcome = await sale;
      assert.equal(outcome.kind, 'answered');
      assert.ok(outcome.kind === 'answered' && outcome.undelivered && outcome.result.approved);
      assert.equal(kept.length, 1);
      assert.equal(kept[0].source, 'late-answer');
      const id = outcome.kind === 'answered' ? outcome.journalId : undefined;
      assert.equal(recovery.journal.get(id ?? '')?.delivery, 'pending');
      // Kept by the very write of the answer (no window where it reads delivered): begin, then answered + pending.
      const steps = scanRecords(await readFile(recovery.journal.path)).records.filter((r) => r.key === `e:${id}`).map((r) => r.value as { op: string; delivery?: string });
      assert.deepEqual(steps.map((r) => [r.op, r.delivery]), [['begin', undefined], ['answered', 'pending']]);
      const seen: Delivery[] = [];
      recovery.deliverTo('node-1', (d) => seen.push(d));
      await until(() => seen.length === 1, 'the next node gets it');
      assert.equal(seen[0].result.outcome, 'approved');
    });

    it('an owner that leaves while the answer is being written: the outcome is kept for it right after', async () => {
      const terminal = await scripted([reply('transaction', 'ok', approvedReceipt(800))]);
      const recovery = await open();
      const client = clientOf(terminal.port, recovery);
      const journal = recovery.journal;
      const answered = journal.answered.bind(journal);
      let detach = (): void => undefined;
      journal.answered = async (...args) => {
        await answered(...args);
        detach(); // the node closes while the answer's sync runs
      };
      detach = recovery.deliverTo('node-2', () => undefined);
      const outcome = await recovery.transaction(client, { type: 'purchase', amount: 800 }, { owner: 'node-2' });
      assert.ok(outcome.kind === 'answered' && outcome.undelivered, 'the caller is told not to deliver it');
      assert.equal(journal.get(outcome.journalId ?? '')?.delivery, 'pending');
    });

    describe('against the simulator', () => {
      let sim: SimulatorHandle;
      beforeEach(async () => {
        sim = await startTestSimulator({ terminal: { password: PASSWORD } });
        closers.push(() => sim.close());
      });

      it('answered: the result, the journal id, nothing kept', async () => {
        const recovery = await open();
        const client = clientOf(sim.port, recovery);
        recovery.deliverTo('n', () => assert.fail('nothing kept'));
        const outcome = await recovery.transaction(client, { type: 'purchase', amount: 1000 }, { owner: 'n' });
        assert.equal(outcome.kind, 'answered');
        if (outcome.kind !== 'answered') return;
        assert.equal(outcome.result.approved, true);
        assert.equal(outcome.undelivered, false);
        assert.equal(recovery.journal.get(outcome.journalId ?? '')?.state, 'answered');
        assert.equal(recovery.journal.get(outcome.journalId ?? '')?.delivery, undefined);
      });

      it('the answer lost: the report settles it for the caller (not kept for the owner); others found on the way are kept for theirs', async () => {
        const recovery = await open();
        const client = clientOf(sim.port, recovery);
        // Another owner's leftover: its answer was lost, nobody recovered it.
        await assert.rejects(client.transaction({ type: 'purchase', amount: 77781 }, { annotations: { owner: 'other' } }), TransactionOutcomeUnknown);
        const events: RecoveredEvent[] = [];
        recovery.on('recovered', (e) => events.push(e));
        const kept: Delivery[] = [];
        recovery.on('undelivered', (d) => kept.push(d));
        // beforeSale recovers the leftover first ('before-sale'), then this sale's own lost answer.
        recovery.deliverTo('mine', () => assert.fail('the caller gets its own outcome'));
        const outcome = await recovery.transaction(client, { type: 'purchase', amount: 77781 }, { owner: 'mine' });
        assert.equal(outcome.kind, 'recovered');
        if (outcome.kind !== 'recovered') return;
        assert.equal(outcome.result.outcome, 'approved');
        assert.equal(outcome.undelivered, false);
        assert.equal(recovery.journal.get(outcome.result.id)?.delivery, undefined);
        assert.deepEqual(events.map((e) => e.source), ['before-sale', 'transaction']);
        assert.deepEqual(kept.map((d) => [d.result.annotations.owner, d.source, d.result.outcome]), [['other', 'before-sale', 'approved']]);
        assert.equal(sim.log().length, 2, 'two payments, each recorded once');
      });

      it('the answer lost and recovery off: unknown, nothing read', async () => {
        const recovery = await open({ autoRecover: false });
        const client = clientOf(sim.port, recovery);
        const outcome = await recovery.transaction(client, { type: 'purchase', amount: 77781 });
        assert.equal(outcome.kind, 'unknown');
        assert.ok(outcome.kind === 'unknown' && outcome.recovery === undefined);
        assert.equal(sim.events().filter((e) => e.type === 'command' && e.command === 'report').length, 0);
      });
    });
  });

  describe('the receipt watermark in the journal (issue 11, point 4)', () => {
    /** The terminal answers with receipt 000010, then replays that very answer to the next transaction. */
    const replaying = (): Script[] => [reply('transaction', 'ok', approvedReceipt(100, { seq: '000010' })), reply('transaction', 'ok', approvedReceipt(100, { seq: '000010' }))];

    it('a restarted client with the journal refuses a replayed older answer that a fresh client accepts', async () => {
      const terminal = await scripted(replaying());
      const first = await open();
      const before = clientOf(terminal.port, first);
      assert.equal((await before.transaction({ type: 'purchase', amount: 100 })).approved, true);
      await before.close();
      await first.close();

      // Restart: a new process, the same journal (no report to read here: recovery stays off).
      const second = await open({ autoRecover: false });
      const after = clientOf(terminal.port, second);
      assert.deepEqual(after.receiptWatermark, { marks: {} }, 'nothing in memory');
      const outcome = await second.transaction(after, { type: 'purchase', amount: 100 });
      assert.equal(outcome.kind, 'unknown', 'the replay is not believed');
      assert.ok(outcome.kind === 'unknown' && outcome.error.reason === 'stale-receipt', outcome.kind === 'unknown' ? outcome.error.reason : '');

      // The same replayed answer to a fresh client without the journal: accepted.
      const again = await scripted(replaying().slice(1));
      const fresh = clientOf(again.port);
      assert.equal((await fresh.transaction({ type: 'purchase', amount: 100 })).approved, true);
    });
  });
});

import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { NodeMessage } from 'node-red';
import { JpayClient } from '../../lib/client';
import { TransactionOutcomeUnknown } from '../../lib/errors';
import type { RecoveryPayload, UnsettledPayload } from '../../nodes/shared/recovery-payload';
import { TransactionRecovery } from '../../lib/recovery';
import type { SimulatorHandle } from '../../lib/simulator';
import { startTestSimulator } from '../helpers/sim-fixtures';
import { ALL_NODES, assertNoSecrets, errorOf, helper, inbox, onTab, PASSWORD, statuses, TERMINAL_ID, terminalConfig, type FlowNode, type Inbox } from './fixtures';

interface Flow {
  out: Inbox;
  recovered: Inbox;
  caught: Inbox;
  all: NodeMessage[];
  send(msg: NodeMessage): void;
}

describe('nodes/jpay-transaction: outcome-unknown recovery end to end (built, real runtime, simulator)', function () {
  this.timeout(15000);
  let sim: SimulatorHandle;
  let dir: string;
  let journalFile: string;

  beforeEach(async () => {
    sim = await startTestSimulator({ terminal: { password: PASSWORD } });
    dir = await mkdtemp(path.join(os.tmpdir(), 'jpay-node-recovery-'));
    journalFile = path.join(dir, 'journal.jsonl');
  });

  afterEach(async () => {
    await helper.unload();
    await sim.close();
    await rm(dir, { recursive: true, force: true });
  });

  async function load(node: Record<string, unknown> = {}, terminal: Record<string, unknown> = {}, credentials: Record<string, string> = { password: PASSWORD }): Promise<Flow> {
    const flow: FlowNode[] = [
      terminalConfig(sim, { recovery: 'block', autoRecover: true, recoveryDelay: '0', journalFile, ...terminal }),
      { id: 'dut', type: 'jpay-transaction', terminal: TERMINAL_ID, txType: 'purchase', amount: '1000', sbp: 'auto', wires: [['out'], [], ['recovered']], ...node },
      { id: 'out', type: 'helper' },
      { id: 'recovered', type: 'helper' },
      { id: 'catch', type: 'catch', scope: null, uncaught: false, wires: [['caught']] },
      { id: 'caught', type: 'helper' },
    ];
    await helper.load(ALL_NODES, onTab(flow), { [TERMINAL_ID]: credentials });
    const all: NodeMessage[] = [];
    for (const id of ['out', 'recovered', 'caught']) helper.getNode(id).on('input', (m: NodeMessage) => all.push(m));
    const dut = helper.getNode('dut');
    return { out: inbox(helper.getNode('out')), recovered: inbox(helper.getNode('recovered')), caught: inbox(helper.getNode('caught')), all, send: (m) => dut.receive(m) };
  }

  it('a lost answer of a recorded payment: output 3 says approved, with the receipt; nothing is sent twice', async () => {
    const flow = await load();
    flow.send({ payload: { amount: 77781 }, topic: 'order-9' } as NodeMessage);
    const msg = await flow.recovered.next();
    const p = msg.payload as RecoveryPayload;
    assert.equal(msg.topic, 'order-9', 'the input msg goes on');
    assert.equal(p.status, 'recovered');
    assert.equal(p.outcome, 'approved');
    assert.equal(p.approved, true);
    assert.equal(p.charged, true);
    assert.equal(p.source, 'transaction');
    assert.equal(p.phase, 'in-dialogue');
    assert.equal(Number(p.receipt?.seq), sim.log()[0].seq);
    assert.deepEqual(p.request, { type: 'purchase', amount: 77781 });
    assert.deepEqual(statuses(helper.getNode('dut')).at(-1), { fill: 'green', shape: 'dot', text: 'jpay-transaction.status.recoveredApproved' });
    assert.equal(flow.out.msgs.length, 0);
    assert.equal(flow.caught.msgs.length, 0);
    assert.equal(sim.log().length, 1, 'one payment, recorded once');
    const journal = await readFile(journalFile, 'utf8');
    assert.match(journal, /"op":"recovered".*"outcome":"approved"/);
    assertNoSecrets(flow.all, [PASSWORD]);
    assert.ok(!journal.includes(PASSWORD));

    flow.send({ payload: { amount: 1000 } });
    const next = await flow.out.next();
    assert.equal((next.payload as { approved: boolean }).approved, true, 'the next sale goes through');
  });

  it('vending: an approved payment whose answer was lost is reversed with void last', async () => {
    const flow = await load({ onUnknown: 'reverse' });
    sim.queueOutcome({ fault: 'drop-after-record' });
    flow.send({ payload: { amount: 1200 } });
    const p = (await flow.recovered.next()).payload as RecoveryPayload;
    assert.equal(p.outcome, 'approved');
    assert.equal(p.reversal?.state, 'done');
    assert.equal(p.charged, false);
    const [purchase, reversal] = sim.log();
    assert.equal(purchase.reversedAmount, 1200);
    assert.equal(reversal.operation, 'purchase-reversal');
    assert.deepEqual(statuses(helper.getNode('dut')).at(-1), { fill: 'red', shape: 'ring', text: 'jpay-transaction.status.recoveredReversed' });
  });

  it('a lost answer of a payment the terminal never recorded: output 3 says not charged', async () => {
    const flow = await load({ onUnknown: 'reverse' });
    flow.send({ payload: { amount: 77780 } });
    const p = (await flow.recovered.next()).payload as RecoveryPayload;
    assert.equal(p.outcome, 'declined-or-not-recorded');
    assert.equal(p.approved, false);
    assert.equal(p.charged, false);
    assert.equal(p.reversal, undefined);
    assert.equal(sim.log().length, 0);
    assert.deepEqual(statuses(helper.getNode('dut')).at(-1), { fill: 'red', shape: 'ring', text: 'jpay-transaction.status.recoveredNotCharged' });
  });

  it('on start, the config node resolves what the last run left unknown; the node that sent it gets output 3', async () => {
    // The "last run": the same journal, a transaction of node `dut` whose answer was lost.
    const before = await TransactionRecovery.open(journalFile);
    const client = new JpayClient({ host: sim.host, port: sim.port, transactionHooks: before.hooks });
    await assert.rejects(client.transaction({ type: 'purchase', amount: 77781 }, { annotations: { owner: 'dut', request: 'old' } }), TransactionOutcomeUnknown);
    await client.close();
    await before.close();

    const flow = await load();
    const msg = await flow.recovered.next();
    const p = msg.payload as RecoveryPayload;
    assert.equal(msg.topic, 'recovery');
    assert.equal(p.source, 'start');
    assert.equal(p.outcome, 'approved');
    assert.equal(p.request.amount, 77781);
    flow.send({ payload: { amount: 1000 } });
    assert.equal(((await flow.out.next()).payload as { approved: boolean }).approved, true);
    assert.equal(flow.recovered.msgs.length, 1, 'delivered once');
  });

  it('without the password: the unknown is an error (recovery pending) and new sales are blocked, nothing sent', async () => {
    const flow = await load({}, {}, {});
    flow.send({ payload: { amount: 77781 } });
    const caught = await flow.caught.next();
    assert.equal(errorOf(caught).code, 'JPAY_OUTCOME_UNKNOWN');
    assert.deepEqual((caught.payload as UnsettledPayload).recovery, { state: 'pending' });
    flow.send({ payload: { amount: 1000 } });
    const blocked = await flow.caught.next();
    assert.equal(errorOf(blocked).code, 'JPAY_RECOVERY_PENDING');
    assert.deepEqual(statuses(helper.getNode('dut')).at(-1), { fill: 'red', shape: 'ring', text: 'jpay-transaction.status.recoveryPending' });
    assert.equal(sim.log().length, 1, 'the blocked sale never reached the terminal');
    assert.equal(flow.recovered.msgs.length, 0);
  });

  it('warn: the next sale goes on, with a warning', async () => {
    const flow = await load({}, { recovery: 'warn', autoRecover: false });
    flow.send({ payload: { amount: 77780 } });
    assert.equal(errorOf(await flow.caught.next()).code, 'JPAY_OUTCOME_UNKNOWN');
    flow.send({ payload: { amount: 1000 } });
    assert.equal(((await flow.out.next()).payload as { approved: boolean }).approved, true);
    const warned = (helper.getNode(TERMINAL_ID).warn as unknown as { getCalls(): { args: unknown[] }[] }).getCalls().map((c) => String(c.args[0]));
    assert.ok(warned.some((w) => /unknown outcome.*selling anyway/.test(w)), warned.join('\n'));
  });
});

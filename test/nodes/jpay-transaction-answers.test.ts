/**
 * Issue 11, case 7, through Node-RED (built nodes, real runtime, simulator over TCP): the
 * node says what the library and the CLI say. An answer that contradicts itself is an
 * unknown outcome — recovery reads the terminal's report and output 3 tells what happened
 * — and an approval for another amount shows both amounts, flagged, with a warning.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { NodeMessage } from 'node-red';
import type { RecoveryPayload } from '../../nodes/shared/recovery-payload';
import type { TransactionPayload } from '../../lib/results/transaction';
import type { SimulatorHandle } from '../../lib/simulator';
import { FaultProxy } from '../../scripts/fault-matrix/proxy';
import { startTestSimulator } from '../helpers/sim-fixtures';
import { ALL_NODES, builtNode, helper, inbox, onTab, PASSWORD, statuses, TERMINAL_ID, terminalConfig, warnings, type FlowNode, type Inbox } from './fixtures';

describe('nodes/jpay-transaction: contradictory answers and the authorized amount', function () {
  this.timeout(15000);
  let sim: SimulatorHandle;
  let proxy: FaultProxy;
  let dir: string;

  beforeEach(async () => {
    sim = await startTestSimulator({ terminal: { password: PASSWORD }, dex: { enabled: true } });
    proxy = await FaultProxy.start(sim.port);
    dir = await mkdtemp(path.join(os.tmpdir(), 'jpay-node-answers-'));
  });

  afterEach(async () => {
    await helper.unload();
    await proxy.close();
    await sim.close();
    await rm(dir, { recursive: true, force: true });
  });

  async function load(extra: FlowNode[] = []): Promise<{ out: Inbox; recovered: Inbox; caught: Inbox; send(m: NodeMessage): void }> {
    const flow: FlowNode[] = [
      terminalConfig(sim, { port: proxy.port, recovery: 'block', autoRecover: true, recoveryDelay: '0', journalFile: path.join(dir, 'journal.jsonl') }),
      { id: 'dut', type: 'jpay-transaction', terminal: TERMINAL_ID, txType: 'purchase', amount: '1000', sbp: 'auto', wires: [['out'], [], ['recovered']] },
      { id: 'out', type: 'helper' },
      { id: 'recovered', type: 'helper' },
      { id: 'catch', type: 'catch', scope: null, uncaught: false, wires: [['caught']] },
      { id: 'caught', type: 'helper' },
      ...extra,
    ];
    await helper.load([...ALL_NODES, builtNode('jpay-dex')], onTab(flow), { [TERMINAL_ID]: { password: PASSWORD } });
    const dut = helper.getNode('dut');
    return { out: inbox(helper.getNode('out')), recovered: inbox(helper.getNode('recovered')), caught: inbox(helper.getNode('caught')), send: (m) => dut.receive(m) };
  }

  it('the terminal approves, the answer says "failed" first: no result on output 1; recovery reads the report; output 3 says approved', async () => {
    const flow = await load();
    proxy.arm({ phase: 'response', fault: 'contradict' });
    flow.send({ payload: { amount: 4_321 } });
    const p = (await flow.recovered.next()).payload as RecoveryPayload;
    assert.equal(proxy.applied, true);
    assert.equal(p.unknownReason, 'contradictory-answer');
    assert.equal(p.outcome, 'approved');
    assert.equal(p.charged, true);
    assert.equal(Number(p.receipt?.seq), sim.log()[0].seq);
    assert.equal(flow.out.msgs.length, 0, 'never approved nor declined on output 1');
    assert.equal(flow.caught.msgs.length, 0);
    assert.deepEqual(statuses(helper.getNode('dut')).at(-1), { fill: 'green', shape: 'dot', text: 'jpay-transaction.status.recoveredApproved' });
  });

  it('a dex rule changes 9F02: payload carries the requested and the authorized amount, amountMismatch, and the node warns', async () => {
    const flow = await load([{ id: 'dex', type: 'jpay-dex', terminal: TERMINAL_ID, mode: 'static', timeout: 1000, rules: [{ tag: '9F02', value: '000000000001' }], wires: [[]] }]);
    flow.send({ payload: { amount: 500_000 } });
    const p = (await flow.out.next()).payload as TransactionPayload;
    assert.equal(p.approved, true);
    assert.equal(p.requestedAmount, 500_000);
    assert.equal(p.authorizedAmount, 1);
    assert.equal(p.amountMismatch, true);
    assert.equal(p.receipt?.amountAuthorized, 1);
    const warned = warnings(helper.getNode('dut'));
    // The runtime of the tests has no catalogue loaded: RED._ gives the key.
    assert.deepEqual(warned, ['jpay-transaction.warnings.amountMismatch']);
  });
});

/**
 * jpay-gateway: the built node in the real Node-RED runtime, on the CORE mqtt-broker
 * config node, against a real Mosquitto and the simulator over TCP.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { NodeMessage } from 'node-red';
import type { GatewayAnswer, TerminalStateSnapshot } from '../../lib/gateway';
import { GatewayRequester } from '../../lib/gateway/requester';
import type { SimulatorHandle } from '../../lib/simulator';
import { MosquittoBroker, startMosquitto, TestSubscriber } from '../helpers/mosquitto';
import { startTestSimulator } from '../helpers/sim-fixtures';
import { builtNode, coreNode, helper, inbox, onTab, statuses, terminalConfig, TERMINAL_ID, type FlowNode, type Inbox } from './fixtures';

const NODES = [builtNode('jpay-terminal'), builtNode('jpay-gateway'), builtNode('jpay-mqtt-broker'), coreNode('network/10-mqtt.js')];
const PASSWORD = '12345678';

describe('nodes/jpay-gateway (built, real runtime, core mqtt-broker, mosquitto)', function () {
  this.timeout(30_000);
  let broker: MosquittoBroker;
  let sim: SimulatorHandle;
  let dir: string;
  const closers: (() => Promise<void>)[] = [];

  beforeEach(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'jpay-node-gw-'));
    broker = await startMosquitto();
    sim = await startTestSimulator();
  });
  afterEach(async () => {
    await helper.unload();
    for (const close of closers.splice(0)) await close();
    await sim.close();
    await broker.dispose();
    rmSync(dir, { recursive: true, force: true });
  });

  const brokerNode = (protocolVersion: '4' | '5'): FlowNode => ({
    id: 'mqb',
    type: 'mqtt-broker',
    broker: '127.0.0.1',
    port: String(broker.port),
    clientid: '',
    autoConnect: true,
    usetls: false,
    protocolVersion,
    keepalive: '60',
    cleansession: true,
    willTopic: 'jpay/vm-1/state',
    willQos: '1',
    willRetain: 'true',
    willPayload: '{"format":"jpay-state/1","terminalId":"vm-1","state":"offline","reason":"connection-lost"}',
  });

  async function load(gateway: Record<string, unknown> = {}, protocolVersion: '4' | '5' = '5', terminal: Record<string, unknown> = {}): Promise<{ out: Inbox; state: TestSubscriber }> {
    const state = await TestSubscriber.connect(broker.url, ['jpay/vm-1/state']);
    closers.push(() => state.close());
    const flow = onTab([
      { id: 'gw', type: 'jpay-gateway', terminal: TERMINAL_ID, broker: 'mqb', outbox: 'receipts', terminalId: 'vm-1', prefix: 'jpay', journalFile: path.join(dir, 'payments.log'), wires: [['out']], ...gateway },
      { id: 'out', type: 'helper' },
    ]);
    // The receipts' broker, whose outbox backlog the state shows.
    const receipts = { id: 'receipts', type: 'jpay-mqtt-broker', host: '127.0.0.1', port: broker.port, prefix: 'shop', journalFile: path.join(dir, 'outbox.log') };
    await helper.load(NODES, [terminalConfig(sim, terminal), brokerNode(protocolVersion), receipts, ...flow], { [TERMINAL_ID]: { password: PASSWORD }, mqb: { user: '', password: '' }, receipts: { username: '', password: '' } });
    await state.waitFor((m) => m.some((x) => JSON.parse(x.payload).state === 'online'), 10_000, 'the gateway online');
    return { out: inbox(helper.getNode('out')), state };
  }

  async function office(protocolVersion: 4 | 5 = 5): Promise<GatewayRequester> {
    const r = await GatewayRequester.connect({ url: broker.url, protocolVersion });
    closers.push(() => r.close());
    return r;
  }

  it('answers the enabled commands over MQTT 5 (only getparameters and testconnection by default) and sends each answer to its output', async () => {
    const { out, state } = await load();
    const back = await office();
    const params = await back.request('vm-1', 'getparameters', {}, { id: 'q1' });
    assert.equal(params.outcome, 'ok');
    assert.equal((params.result as { parameters: { tid: string } }).parameters.tid, '10000001');
    const msg = (await out.next()) as NodeMessage & { payload: GatewayAnswer };
    assert.deepEqual([msg.topic, msg.payload.id, msg.payload.outcome], ['jpay/vm-1/getparameters', 'q1', 'ok']);
    assert.equal((await back.request('vm-1', 'testconnection')).outcome, 'ok');
    for (const command of ['report', 'settlement', 'transaction', 'loadmasterkeys']) {
      const refused = await back.request('vm-1', command, command === 'transaction' ? { type: 'purchase', amount: 100 } : {});
      assert.deepEqual([refused.outcome, refused.error?.code], ['refused', 'disabled'], command);
    }
    assert.equal(existsSync(path.join(dir, 'payments.log')), false, 'no journal without payments');
    assert.ok(!JSON.stringify(out.msgs).includes(PASSWORD), 'the admin password never leaves');
    const snapshot = state.json<TerminalStateSnapshot>('jpay/vm-1/state').at(-1)!;
    assert.deepEqual(snapshot.commands, ['getparameters', 'testconnection']);
    assert.equal(snapshot.backlog.outbox, 0, 'the receipts outbox backlog');
    assert.ok(statuses(helper.getNode('gw')).some((s) => s.fill === 'green'));
  });

  it('with MQTT 3.1.1 the answers go to <prefix>/<tid>/res/<id>; reports and settlements when ticked', async () => {
    await load({ report: true, settlement: true, getparameters: false }, '4');
    const watch = await TestSubscriber.connect(broker.url, ['jpay/vm-1/res/+']);
    closers.push(() => watch.close());
    const back = await office(4);
    assert.equal((await back.request('vm-1', 'report', { reportType: 'brief' }, { id: 'r1' })).outcome, 'ok');
    assert.equal((await back.request('vm-1', 'settlement', {}, { id: 's1' })).outcome, 'ok');
    assert.equal((await back.request('vm-1', 'getparameters')).error?.code, 'disabled');
    await watch.waitFor((m) => ['r1', 's1'].every((id) => m.some((x) => x.topic === `jpay/vm-1/res/${id}`)));
  });

  it('payments, when ticked: the same id charges once, also after a redeploy (the journal is the node file)', async () => {
    await load({ transaction: true });
    const back = await office();
    const purchase = { type: 'purchase', amount: 15000 };
    const paid = await back.request('vm-1', 'transaction', purchase, { id: 'order-1' });
    assert.equal(paid.outcome, 'approved');
    assert.equal(existsSync(path.join(dir, 'payments.log')), true);
    await helper.unload();
    await load({ transaction: true });
    const again = await back.request('vm-1', 'transaction', purchase, { id: 'order-1' });
    assert.deepEqual([again.outcome, again.duplicate], ['approved', true]);
    assert.equal(sim.log().length, 1, 'charged once');
  });

  it("a payment whose answer is lost is outcome-unknown; with the terminal's recovery on block, the next one is refused; the state shows the backlog", async () => {
    const { state } = await load({ transaction: true }, '5', { recovery: 'block', autoRecover: false, journalFile: path.join(dir, 'recovery.jsonl') });
    const back = await office();
    // 777.81: the simulator approves it and drops the connection before the answer.
    const lost = await back.request('vm-1', 'transaction', { type: 'purchase', amount: 77781 }, { id: 'order-lost' });
    assert.deepEqual([lost.outcome, lost.error?.code, lost.ok], ['outcome-unknown', 'outcome-unknown', false]);
    assert.equal((lost.result as { advice: string }).advice.length > 0, true);
    await state.waitFor((m) => m.some((x) => JSON.parse(x.payload).backlog?.recovery === 1), 10_000, 'the recovery backlog in the state');
    const next = await back.request('vm-1', 'transaction', { type: 'purchase', amount: 1000 }, { id: 'order-next' });
    assert.deepEqual([next.outcome, next.error?.code], ['refused', 'recovery-pending']);
    const again = await back.request('vm-1', 'transaction', { type: 'purchase', amount: 77781 }, { id: 'order-lost' });
    assert.deepEqual([again.outcome, again.duplicate], ['outcome-unknown', true]);
    assert.equal(sim.log().length, 1, 'one payment sent, never repeated');
  });

  it('with automatic recovery the next payment first recovers the lost one (from the report), then goes ahead', async () => {
    const { state } = await load({ transaction: true }, '5', { recovery: 'block', autoRecover: true, recoveryDelay: '0', journalFile: path.join(dir, 'recovery.jsonl') });
    const back = await office();
    const lost = await back.request('vm-1', 'transaction', { type: 'purchase', amount: 77781 }, { id: 'order-lost' });
    assert.equal(lost.outcome, 'outcome-unknown');
    const next = await back.request('vm-1', 'transaction', { type: 'purchase', amount: 1000 }, { id: 'order-next' });
    assert.equal(next.outcome, 'approved', JSON.stringify(next));
    await state.waitFor((m) => m.some((x) => JSON.parse(x.payload).backlog?.recovery === 0 && JSON.parse(x.payload).lastReceipt?.amount === 1000), 10_000, 'the backlog back to 0');
    assert.equal(sim.log().length, 2);
  });

  it('stops cleanly: the state says offline (closed), retained', async () => {
    const { state } = await load();
    await helper.unload();
    await state.waitFor((m) => m.some((x) => JSON.parse(x.payload).state === 'offline'));
    const last = state.json<TerminalStateSnapshot>('jpay/vm-1/state').at(-1)!;
    assert.deepEqual([last.state, last.reason], ['offline', 'closed']);
  });

  it('a bad terminal id or a missing broker shows a red status and does not start', async () => {
    const flow = onTab([
      { id: 'bad', type: 'jpay-gateway', terminal: TERMINAL_ID, broker: 'mqb', terminalId: 'a/b', wires: [] },
      { id: 'nobroker', type: 'jpay-gateway', terminal: TERMINAL_ID, broker: 'missing', terminalId: 'x', wires: [] },
    ]);
    await helper.load(NODES, [terminalConfig(sim), brokerNode('5'), ...flow], { [TERMINAL_ID]: { password: PASSWORD } });
    const bad = helper.getNode('bad');
    const lonely = helper.getNode('nobroker');
    assert.ok(statuses(bad).some((s) => s.fill === 'red' && s.text === 'jpay-gateway.status.badConfig'));
    assert.ok(statuses(lonely).some((s) => s.fill === 'red' && s.text === 'jpay-gateway.status.noBroker'));
  });
});

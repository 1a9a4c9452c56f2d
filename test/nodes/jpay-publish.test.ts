/**
 * jpay-mqtt-broker + jpay-publish: the built nodes in the real Node-RED runtime, against a
 * real Mosquitto broker (and, end to end, a jpay-transaction on the simulator).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Node, NodeMessage, NodeStatus } from 'node-red';
import type { ReceiptMessage } from '../../lib/publish';
import type { Receipt } from '../../lib/protocol/types';
import { MosquittoBroker, startMosquitto, TestSubscriber } from '../helpers/mosquitto';
import { resultMsgWith, sampleReceipt, sampleReceiptId } from '../helpers/receipt-msgs';
import { builtNode, coreNode, helper, inbox, nodeTestbed, onTab, statuses, TERMINAL_ID, terminalConfig, type FlowNode, type Inbox } from './fixtures';

const NODES = [builtNode('jpay-mqtt-broker'), builtNode('jpay-publish'), coreNode('common/25-catch.js')];
const E2E_NODES = [...NODES, builtNode('jpay-terminal'), builtNode('jpay-transaction')];
const FULL_PAN = '4000000000000002';

const receipt = sampleReceipt;
const idOf = sampleReceiptId;
const resultMsg = (seq: number): NodeMessage => resultMsgWith(seq, { plainTextPan: FULL_PAN });

/** Resolves when the node shows a status that matches (the helper spies on status()). */
async function statusMatching(node: Node, match: (s: NodeStatus) => boolean, what: string): Promise<NodeStatus> {
  const seen = (): NodeStatus | undefined => statuses(node).filter(match).at(-1);
  const found = seen();
  if (found) return found;
  return new Promise((resolve, reject) => {
    const emitter = node as unknown as NodeJS.EventEmitter;
    const listener = (): void => {
      const s = seen();
      if (!s) return;
      clearTimeout(timer);
      emitter.removeListener('call:status', listener);
      resolve(s);
    };
    const timer = setTimeout(() => {
      emitter.removeListener('call:status', listener);
      reject(new Error(`no status ${what}; saw ${JSON.stringify(statuses(node))}`));
    }, 10_000);
    emitter.on('call:status', listener);
  });
}

describe('nodes/jpay-publish + jpay-mqtt-broker (built, real runtime, mosquitto)', function () {
  this.timeout(30_000);
  let broker: MosquittoBroker;
  let sub: TestSubscriber;
  let dir: string;
  const bed = nodeTestbed();

  beforeEach(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'jpay-node-pub-'));
    broker = await startMosquitto();
    sub = await TestSubscriber.connect(broker.url, ['shop/#']);
  });
  afterEach(async () => {
    await sub.close();
    await broker.dispose();
    rmSync(dir, { recursive: true, force: true });
  });

  const brokerConfig = (extra: Record<string, unknown> = {}): FlowNode => ({
    id: 'mq',
    type: 'jpay-mqtt-broker',
    host: '127.0.0.1',
    port: broker.port,
    prefix: 'shop',
    statusTerminal: 'vm-1',
    journalFile: path.join(dir, 'outbox.jsonl'),
    ...extra,
  });

  async function load(extra: FlowNode[] = [], nodes = NODES, more: FlowNode[] = []): Promise<{ out: Inbox; caught: Inbox; pub: Node }> {
    // Config nodes (the broker, a terminal) stay global: no tab, no x/y.
    const flow = onTab([
      { id: 'pub', type: 'jpay-publish', broker: 'mq', terminalId: 'vm-1', wires: [['out']] },
      { id: 'out', type: 'helper' },
      { id: 'catch', type: 'catch', scope: null, uncaught: false, wires: [['caught']] },
      { id: 'caught', type: 'helper' },
      ...extra,
    ]);
    await helper.load(nodes, [brokerConfig(), ...more, ...flow], { mq: { username: '', password: '' } });
    return { out: inbox(helper.getNode('out')), caught: inbox(helper.getNode('caught')), pub: helper.getNode('pub') };
  }

  it('publishes msg.payload.receipt on <prefix>/<terminal>/receipt and passes the msg on with its receiptId', async () => {
    const { out, pub } = await load();
    await statusMatching(pub, (s) => s.fill === 'green', 'connected');
    pub.receive(resultMsg(1));
    const msg = (await out.next()) as NodeMessage & { receiptId: string; receiptQueued: number };
    assert.equal(msg.receiptId, idOf(1));
    assert.equal(msg.topic, 'order-1', 'the msg goes on');
    assert.equal(typeof msg.receiptQueued, 'number');
    await sub.waitFor((m) => m.some((x) => x.topic === 'shop/vm-1/receipt'), 10_000, 'the receipt');
    const [message] = sub.json<ReceiptMessage>('shop/vm-1/receipt');
    assert.equal(message.receiptId, idOf(1));
    assert.equal(message.receipt.amountAuthorized, 100);
    assert.deepEqual(message.meta, { request: { type: 'purchase', amount: 100 }, status: 'ok' });
    assert.ok(!sub.messages.some((m) => m.payload.includes(FULL_PAN)), 'plainTextPan of the msg is not published');
    // The config node's last will terminal is online (retained).
    await sub.waitFor((m) => m.some((x) => x.topic === 'shop/vm-1/status' && JSON.parse(x.payload).state === 'online'), 10_000, 'online status');
    const shown = await statusMatching(pub, (s) => s.fill === 'green' && s.shape === 'dot', 'connected');
    assert.match(String(shown.text), /connected/);
  });

  it('broker down: msgs still go on (receipts on disk), status shows offline; after the restart all arrive', async () => {
    const { out, pub } = await load();
    await statusMatching(pub, (s) => s.fill === 'green', 'connected');
    await broker.stop();
    await statusMatching(pub, (s) => s.fill === 'red' && /offline/.test(String(s.text)), 'offline');
    for (let seq = 1; seq <= 3; seq++) pub.receive(resultMsg(seq));
    const queued: number[] = [];
    for (let i = 0; i < 3; i++) queued.push(((await out.next()) as NodeMessage & { receiptQueued: number }).receiptQueued);
    assert.deepEqual(queued, [1, 2, 3]);
    await broker.start();
    await sub.waitFor((m) => new Set(m.filter((x) => x.topic === 'shop/vm-1/receipt').map((x) => JSON.parse(x.payload).receiptId)).size === 3, 15_000, '3 receipts');
    await statusMatching(pub, (s) => s.fill === 'green' && s.shape === 'dot' && statuses(pub).at(-1) === s, 'connected again');
  });

  it('receipts stored while the broker was down are published after a redeploy', async () => {
    await broker.stop();
    const flow = await load();
    await statusMatching(flow.pub, (s) => s.fill === 'red', 'offline');
    flow.pub.receive(resultMsg(7));
    await flow.out.next();
    await helper.unload();
    await broker.start();
    await load();
    await sub.waitFor((m) => m.some((x) => x.topic === 'shop/vm-1/receipt' && x.payload.includes(idOf(7))), 15_000, 'the stored receipt');
  });

  it('a msg without a receipt passes unchanged; a missing broker is an error for Catch nodes', async () => {
    const { out, caught, pub } = await load([{ id: 'lonely', type: 'jpay-publish', broker: 'nope', wires: [] }]);
    pub.receive({ payload: { status: 'cancelled', ok: false, approved: false } } as NodeMessage);
    const passed = (await out.next()) as NodeMessage & { receiptId?: string };
    assert.equal(passed.receiptId, undefined);
    helper.getNode('lonely').receive(resultMsg(1));
    const error = (await caught.next()).error as { message: string; code: string };
    assert.equal(error.code, 'JPAY_VALIDATION');
    assert.match(error.message, /jpay-mqtt-broker|no-broker/);
    assert.ok(statuses(helper.getNode('lonely')).some((s) => s.fill === 'red'));
  });

  it('a receipt that does not fit the schema goes to Catch with JPAY_VALIDATION and is not passed on', async () => {
    const { out, caught, pub } = await load();
    pub.receive({ payload: { receipt: { ...receipt(1), amountAuthorized: 1.5 } } } as NodeMessage);
    const error = (await caught.next()).error as { code: string; message: string };
    assert.equal(error.code, 'JPAY_VALIDATION');
    assert.match(error.message, /amountAuthorized/);
    assert.equal(out.msgs.length, 0);
  });

  it('end to end: a jpay-transaction on the simulator publishes its receipt', async () => {
    const sim = await bed.start();
    const { out } = await load(
      [{ id: 'tx', type: 'jpay-transaction', terminal: TERMINAL_ID, txType: 'purchase', amount: '15000', currency: '', sbp: 'auto', wires: [['pub'], [], []] }],
      E2E_NODES,
      [terminalConfig(sim)],
    );
    helper.getNode('tx').receive({ payload: 1 } as NodeMessage);
    const msg = (await out.next(15_000)) as NodeMessage & { receiptId: string; payload: { receipt: Receipt } };
    assert.equal(msg.payload.receipt.amountAuthorized, 15000);
    await sub.waitFor((m) => m.some((x) => x.topic === 'shop/vm-1/receipt'), 10_000, 'the receipt');
    const [message] = sub.json<ReceiptMessage>('shop/vm-1/receipt');
    assert.equal(message.receiptId, msg.receiptId);
    assert.equal(message.receipt.amountAuthorized, 15000);
    assert.equal(message.receipt.tid, msg.payload.receipt.tid);
  });
});

/**
 * jpay-loyalty with layout version 2 through the real Node-RED runtime (built nodes,
 * `npm run build` first) against the simulator's virtual MIFARE cards over TCP: the program
 * key as a credential, tampered and rolled-back cards on the second output with nothing
 * written, the ledger file across a redeploy (what a card owes survives it), key rotation,
 * the v1 → v2 upgrade, and two machines sharing the ledger through a core mqtt-broker
 * config node and a real Mosquitto.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { NodeMessage } from 'node-red';
import type { LoyaltyPayload } from '../../nodes/jpay-loyalty/loyalty-output';
import type { TransactionPayload } from '../../lib/results/transaction';
import { LoyaltyKeyring, defineLayout, runLoyaltyIssue } from '../../lib/mifare/loyalty';
import { VirtualMifareCard } from '../../lib/mifare/virtual-card';
import type { SimulatorHandle } from '../../lib/simulator';
import { type MosquittoBroker, startMosquitto } from '../helpers/mosquitto';
import { startTestSimulator } from '../helpers/sim-fixtures';
import { TERMINAL_ID, builtNode, coreNode, helper, inbox, nextCall, onTab, statuses, terminalConfig, type FlowNode, type Inbox } from './fixtures';

const nodes = [builtNode('jpay-terminal'), builtNode('jpay-transaction'), builtNode('jpay-loyalty'), coreNode('network/10-mqtt.js')];
const KEY_1 = 'a1b2c3d4e5f60718293a4b5c6d7e8f90';
const KEY_2 = '0918273645546372819fafbecddcebfa0918273645546372819fafbecddcebfa';
const UID = 'C0FFEE42';
const LAYOUT = defineLayout({ programId: 42, purses: ['points', 'balance'], keys: new LoyaltyKeyring({ id: 1, key: KEY_1 }) });

const CONFIG = {
  programId: '42',
  purses: 'both',
  pointsPer: '1',
  pointsUnit: '100',
  redeemPoints: '50',
  redeemValue: '20000',
  storedValue: true,
  layoutVersion: '2',
  keyId: '1',
  unknownCards: 'accept',
};

function loyalty(msg: NodeMessage): LoyaltyPayload {
  return msg.payload as LoyaltyPayload;
}

async function issued(memberId: number, balance: number, layout = LAYOUT): Promise<VirtualMifareCard> {
  const card = new VirtualMifareCard({ uid: UID });
  assert.equal((await runLoyaltyIssue(card, layout, { memberId, points: 0, balance })).status, 'committed');
  return card;
}

interface Machine {
  sim: SimulatorHandle;
  out: Inbox;
  alerts: Inbox;
  paid: Inbox;
  purchase(amount: number): Promise<TransactionPayload>;
}

describe('nodes/jpay-loyalty, layout version 2 (built, real runtime, simulator over TCP)', function () {
  this.timeout(60_000);
  let dir: string;
  const sims: SimulatorHandle[] = [];

  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'jpay-loyalty-v2-'));
  });

  afterEach(async () => {
    await helper.unload();
    for (const sim of sims.splice(0)) await sim.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /** One machine: a terminal (its own simulator), a loyalty node, a transaction node. */
  function machineFlow(n: number, sim: SimulatorHandle, config: Record<string, unknown>): FlowNode[] {
    const terminal = `${TERMINAL_ID}${n}`;
    return [
      { ...terminalConfig(sim), id: terminal },
      { id: `loyalty${n}`, type: 'jpay-loyalty', terminal, ...CONFIG, ledgerFile: path.join(dir, `ledger-${n}.jsonl`), machine: `coffee-${n}`, ...config, wires: [[`out${n}`], [`alerts${n}`]] },
      { id: `tx${n}`, type: 'jpay-transaction', terminal, txType: 'purchase', wires: [[`paid${n}`], []] },
      { id: `out${n}`, type: 'helper' },
      { id: `alerts${n}`, type: 'helper' },
      { id: `paid${n}`, type: 'helper' },
    ];
  }

  function machine(n: number, sim: SimulatorHandle): Machine {
    const paid = inbox(helper.getNode(`paid${n}`));
    return {
      sim,
      out: inbox(helper.getNode(`out${n}`)),
      alerts: inbox(helper.getNode(`alerts${n}`)),
      paid,
      async purchase(amount) {
        helper.getNode(`tx${n}`).receive({ payload: { amount } });
        return (await paid.next(10_000)).payload as TransactionPayload;
      },
    };
  }

  async function simulator(card?: VirtualMifareCard): Promise<SimulatorHandle> {
    const sim = await startTestSimulator({ mifare: { enabled: true } });
    sims.push(sim);
    if (card) await sim.insertMifareCard(card);
    return sim;
  }

  /**
   * Loads the flow (the credentials give each loyalty node its keys) and waits until every
   * loyalty node has opened its ledger (status cleared) or failed (red).
   */
  async function load(flow: FlowNode[], credentials: Record<string, Record<string, string>> = {}, configNodes: FlowNode[] = []): Promise<void> {
    await helper.load(nodes, [...onTab(flow), ...configNodes], credentials);
    const settled = (s: { fill?: string }): boolean => Object.keys(s).length === 0 || s.fill === 'red';
    for (const n of flow.filter((f) => f.type === 'jpay-loyalty')) {
      const node = helper.getNode(n.id);
      const seen = statuses(node);
      const opening = seen.findIndex((st) => st.text === 'jpay-loyalty.status.openingLedger');
      const done = seen.some((st, i) => (opening < 0 || i > opening) && settled(st));
      if (!done) await nextCall(node, 'status', (args) => settled(args[0] as { fill?: string }));
    }
  }

  const keyFor = (...ids: number[]): Record<string, Record<string, string>> => Object.fromEntries(ids.map((n) => [`loyalty${n}`, { key: KEY_1 }]));

  it('a restored dump and a tampered card come out of the second output; nothing is written and the bank card pays', async () => {
    const card = await issued(7, 10_000);
    const sim = await simulator(card);
    await load(machineFlow(1, sim, {}), keyFor(1));
    const m = machine(1, sim);
    const dump = card.toImage();
    const paidByCard = await m.purchase(6000);
    const spent = loyalty(await m.out.next());
    assert.deepEqual([spent.status, spent.uid, spent.debited, spent.ledger?.status, spent.ledger?.recorded], ['committed', UID, 6000, 'unknown', true]);
    assert.equal(paidByCard.receipt?.iface, 'mifare');

    const restored = VirtualMifareCard.fromImage(dump);
    await sim.insertMifareCard(restored);
    const paid = await m.purchase(6000);
    const alert = await m.alerts.next();
    assert.equal(alert.topic, 'loyalty/rollback');
    assert.deepEqual([loyalty(alert).status, loyalty(alert).ledger?.reason, loyalty(alert).debited], ['rollback', 'older', 0]);
    assert.notEqual(paid.receipt?.iface, 'mifare', 'the card paid nothing: the bank card did');
    assert.equal(restored.writeCount, 0);
    assert.deepEqual(statuses(helper.getNode('loyalty1')).at(-1), { fill: 'red', shape: 'ring', text: `jpay-loyalty.status.rollback` });

    const tampered = VirtualMifareCard.fromImage(card.toImage());
    const block = tampered.read(6);
    assert.ok(block.ok);
    block.data.writeUInt32BE(2_000_000_000, 3); // a forged balance, the old MAC
    tampered.write(6, block.data);
    const writes = tampered.writeCount;
    await sim.insertMifareCard(tampered);
    await m.purchase(500);
    const forged = loyalty(await m.alerts.next());
    assert.deepEqual([forged.status, forged.tamper, forged.credited, forged.debited], ['tampered', 'bad-mac', 0, 0]);
    assert.equal(tampered.writeCount, writes);
    assert.equal(m.out.msgs.length, 1, 'alerts do not come out of the first output');
  });

  it('refuses to start without a valid key, naming the field and never showing the value', async () => {
    const sim = await simulator();
    await load(
      [
        ...machineFlow(1, sim, {}),
        { id: 'catch', type: 'catch', scope: ['loyalty1', 'loyalty2', 'loyalty3'], uncaught: false, wires: [['caught']] },
        { id: 'caught', type: 'helper' },
        { id: 'loyalty2', type: 'jpay-loyalty', terminal: `${TERMINAL_ID}1`, ...CONFIG, ledgerFile: path.join(dir, 'other.jsonl'), wires: [[], []] },
        { id: 'loyalty3', type: 'jpay-loyalty', terminal: `${TERMINAL_ID}1`, ...CONFIG, ledgerFile: path.join(dir, 'third.jsonl'), broker: 'no-such-broker', wires: [[], []] },
      ],
      { loyalty2: { key: 'not-a-key-zzzz' }, loyalty3: { key: KEY_1 } },
    );
    const caught = inbox(helper.getNode('caught'));
    helper.getNode('loyalty3').receive({ payload: 'inquiry' });
    assert.match(String(((await caught.next()).error as { message: string }).message), /jpay-loyalty\.errors\.no-broker/);
    for (const id of ['loyalty1', 'loyalty2']) {
      assert.deepEqual(statuses(helper.getNode(id)).at(-1), { fill: 'red', shape: 'ring', text: 'jpay-loyalty.status.badConfig' });
      helper.getNode(id).receive({ payload: 'inquiry' });
      const message = String(((await caught.next()).error as { message: string }).message);
      assert.match(message, /\bkey\b/);
      assert.ok(!message.includes('not-a-key'), 'the value is never shown');
    }
  });

  it('what a card owes survives a redeploy: the ledger file keeps it', async () => {
    const card = await issued(5, 0);
    const sim = await simulator(card);
    await load(machineFlow(1, sim, {}), keyFor(1));
    let m = machine(1, sim);
    sim.queueOutcome({ declineReason: 'onlinedeclined' });
    await m.purchase(5000);
    assert.deepEqual([loyalty(await m.out.next()).earned, loyalty(await m.out.next()).status], [50, 'unpaid']);
    const ledger = readFileSync(path.join(dir, 'ledger-1.jsonl'), 'utf8');
    assert.match(ledger, /"owed":\{"points":-50/);
    assert.ok(!ledger.includes(KEY_1), 'the key is not in the ledger');
    await helper.unload();
    await load(machineFlow(1, sim, {}), keyFor(1));
    m = machine(1, sim);
    await m.purchase(1000);
    const compensated = loyalty(await m.out.next());
    assert.deepEqual([compensated.status, compensated.redeemed], ['compensated', 50]);
  });

  it('key rotation: a card under the older key pays and is re-MACed with the current one', async () => {
    const card = await issued(9, 10_000);
    const sim = await simulator(card);
    await load(machineFlow(1, sim, { keyId: '2' }), { loyalty1: { key: KEY_2, previousKeys: `1:${KEY_1}` } });
    const m = machine(1, sim);
    await m.purchase(1000);
    assert.equal(loyalty(await m.out.next()).status, 'committed');
    for (const b of [5, 6, 8, 9]) assert.equal(blockOf(card, b)[2], 2, `block ${b} under key id 2`);
  });

  it('a version 1 card is upgraded at its tap when the program allows it', async () => {
    const v1 = defineLayout({ programId: 42, purses: ['points', 'balance'] });
    const card = new VirtualMifareCard({ uid: UID });
    assert.equal((await runLoyaltyIssue(card, v1, { memberId: 3, balance: 9000 })).status, 'committed');
    const sim = await simulator(card);
    await load(machineFlow(1, sim, { upgradeV1: true }), keyFor(1));
    const m = machine(1, sim);
    await m.purchase(1000);
    const p = loyalty(await m.out.next());
    assert.deepEqual([p.status, p.debited, p.after?.balance], ['committed', 1000, 8000]);
    assert.equal(blockOf(card, 4)[4], 2, 'the header is version 2 now');
  });

  describe('two machines sharing the ledger through a core mqtt-broker node (real Mosquitto)', () => {
    let broker: MosquittoBroker;
    before(async () => {
      broker = await startMosquitto();
      // The core broker node reconnects after this long (its default is 5 s).
      helper.settings({ mqttReconnectTime: 100 });
    });
    after(async () => {
      helper.settings({});
      await broker.dispose();
    });

    async function twoMachines(card: VirtualMifareCard, clone?: VirtualMifareCard): Promise<[Machine, Machine]> {
      const simA = await simulator(card);
      const simB = await simulator(clone);
      const mqttBroker: FlowNode = { id: 'broker', type: 'mqtt-broker', broker: '127.0.0.1', port: String(broker.port), clientid: '', autoConnect: true, usetls: false, protocolVersion: '4', keepalive: '60', cleansession: true };
      const shared = { broker: 'broker', ledgerTopic: `test/${process.pid}/${Math.random().toString(16).slice(2)}` };
      await load([...machineFlow(1, simA, shared), ...machineFlow(2, simB, shared)], keyFor(1, 2), [mqttBroker]);
      return [machine(1, simA), machine(2, simB)];
    }

    it('a clone spent at both machines while the broker was down: a conflict alert at both, and the clone is refused', async () => {
      const card = await issued(7, 10_000);
      const clone = VirtualMifareCard.fromImage(card.toImage());
      const [a, b] = await twoMachines(card, clone);
      await broker.stop();
      await a.purchase(3000);
      await b.purchase(1000);
      assert.deepEqual([loyalty(await a.out.next()).after?.balance, loyalty(await b.out.next()).after?.balance], [7000, 9000]);
      await broker.start();
      const [atA, atB] = [loyalty(await a.alerts.next(20_000)), loyalty(await b.alerts.next(20_000))];
      for (const alert of [atA, atB]) {
        assert.deepEqual([alert.status, alert.uid, alert.conflict?.kept.balance, alert.conflict?.other.balance], ['conflict', UID, 7000, 9000]);
      }
      // Machine B now keeps A's state for that transaction: the clone it saw is refused.
      await b.purchase(500);
      const refused = loyalty(await b.alerts.next());
      assert.deepEqual([refused.status, refused.ledger?.reason], ['rollback', 'forked']);
    });

    it('a dump spent at one machine is a rollback at the other', async () => {
      const card = await issued(7, 10_000);
      const [a, b] = await twoMachines(card);
      const simB = b.sim;
      const dump = card.toImage();
      await a.purchase(6000);
      assert.equal(loyalty(await a.out.next()).status, 'committed');
      // Machine B learns of it through the broker: its ledger file holds the record.
      const ledgerB = path.join(dir, 'ledger-2.jsonl');
      // Polled, not spun: a setImmediate loop reading the file starves the runtime on a loaded machine.
      while (!safeRead(ledgerB).includes('"counter":1')) await new Promise((r) => setTimeout(r, 5));
      await simB.insertMifareCard(VirtualMifareCard.fromImage(dump));
      const paid = await b.purchase(6000);
      const alert = loyalty(await b.alerts.next());
      assert.deepEqual([alert.status, alert.ledger?.reason, alert.ledger?.known?.balance], ['rollback', 'older', 4000]);
      assert.notEqual(paid.receipt?.iface, 'mifare');
    });
  });
});

function blockOf(card: VirtualMifareCard, block: number): Buffer {
  const r = card.read(block);
  if (!r.ok) throw new Error(r.reason);
  return r.data;
}

function safeRead(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}

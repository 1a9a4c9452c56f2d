/**
 * Issue 11 case 3: nothing vanishes on a redeploy, a stop or a restart (built nodes, the
 * real runtime, a scripted terminal over TCP). The terminal approves although the closing
 * node answered its keep-alive "cancelled" (a real terminal may: the bank had answered),
 * so the answer arrives while the node closes. Before: nothing on any output, no Catch, the
 * journal said answered — the customer charged, nothing dispensed. Now: the journal keeps
 * it as answered, not delivered, and the node with the same id delivers it on output 3
 * after the deploy or on start; with recovery off the config node logs it as an error.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Node, NodeMessage } from 'node-red';
import { packetStatus } from '../../lib/codec/packet';
import type { RecoveryPayload } from '../../nodes/shared/recovery-payload';
import { TransactionJournal } from '../../lib/recovery';
import { recordReceived, type Received } from '../helpers/node-red-received';
import { approvedReceipt, keepalive, ScriptedTerminal, type Script } from '../helpers/scripted-terminal';
import { TERMINAL_ID, builtNode, coreNode, helper, onTab, terminalConfig, type FlowNode } from './fixtures';

const NODES = [builtNode('jpay-terminal'), builtNode('jpay-transaction'), coreNode('common/25-catch.js')];
const PASSWORD = '87654321';
const CREDENTIALS = { [TERMINAL_ID]: { password: PASSWORD } };

/** A terminal that keeps the card session going until it hears "cancelled", then approves anyway. */
function approvesAnyway(amount: number, started: () => void): Script {
  return async (conn) => {
    await conn.expect('transaction');
    started();
    for (;;) {
      const answer = await conn.message(keepalive());
      if (packetStatus(answer) === 'cancelled') break;
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    await conn.respond('ok', approvedReceipt(amount));
  };
}

interface SpyCall {
  args: unknown[];
}

function calls(node: Node, method: 'warn' | 'error'): string[] {
  const spy = (node as unknown as Record<string, { getCalls(): SpyCall[] }>)[method];
  return spy.getCalls().map((c) => String(c.args[0]));
}

async function until(check: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 400 && !check(); i++) await new Promise((resolve) => setTimeout(resolve, 5));
  assert.ok(check(), what);
}

describe('nodes: nothing vanishes on a redeploy, a stop or a restart (issue 11 case 3)', function () {
  this.timeout(20_000);
  let terminal: ScriptedTerminal;
  let dir: string;
  let journalFile: string;
  let received: Received;
  let started: Promise<void>;

  beforeEach(async () => {
    let resolve!: () => void;
    started = new Promise((r) => (resolve = r));
    terminal = await ScriptedTerminal.start([approvesAnyway(4321, resolve)]);
    dir = await mkdtemp(path.join(os.tmpdir(), 'jpay-redeploy-'));
    journalFile = path.join(dir, 'journal.jsonl');
    received = recordReceived();
  });

  afterEach(async () => {
    received.stop();
    await helper.unload();
    await terminal.close();
    await rm(dir, { recursive: true, force: true });
  });

  function flow(recovery: 'block' | 'off', withNode = true): FlowNode[] {
    const nodes: FlowNode[] = [
      terminalConfig({ host: '127.0.0.1', port: terminal.port }, recovery === 'off' ? {} : { recovery, autoRecover: true, recoveryDelay: '0', journalFile }),
      { id: 'out', type: 'helper' },
      { id: 'progress', type: 'helper' },
      { id: 'recovered', type: 'helper' },
      { id: 'catch', type: 'catch', scope: null, uncaught: false, wires: [['caught']] },
      { id: 'caught', type: 'helper' },
    ];
    if (withNode) nodes.push({ id: 'dut', type: 'jpay-transaction', terminal: TERMINAL_ID, txType: 'purchase', amount: '1000', sbp: 'auto', wires: [['out'], ['progress'], ['recovered']] });
    return onTab(nodes);
  }

  /** A payment that is in the terminal's card session when this resolves. */
  async function pay(): Promise<void> {
    helper.getNode('dut').receive({ payload: { amount: 4321 }, topic: 'order-1' } as NodeMessage);
    await started;
  }

  function assertLateAnswer(msg: NodeMessage): RecoveryPayload {
    const p = msg.payload as RecoveryPayload;
    assert.equal(msg.topic, 'recovery');
    assert.equal(p.status, 'recovered');
    assert.equal(p.source, 'late-answer');
    assert.equal(p.outcome, 'approved');
    assert.equal(p.approved, true);
    assert.equal(p.charged, true);
    assert.equal(p.answerStatus, 'ok');
    assert.equal(p.receipt?.seq, '000009');
    assert.equal(p.receipt?.amount, 4321);
    assert.deepEqual(p.request, { type: 'purchase', amount: 4321 });
    assert.equal(p.repeated, undefined);
    return p;
  }

  async function journalEntries(): Promise<{ delivery?: string; state: string }[]> {
    const j = await TransactionJournal.open(journalFile);
    try {
      return j.list().map((e) => ({ state: e.state, ...(e.delivery ? { delivery: e.delivery } : {}) }));
    } finally {
      await j.close();
    }
  }

  it('a full redeploy: the answer that came while the node closed is delivered once on output 3 of the node that replaced it', async () => {
    await helper.load(NODES, flow('block'), CREDENTIALS);
    await pay();
    await helper.setFlows(flow('block'), 'full', CREDENTIALS);
    const p = assertLateAnswer(await received.next('recovered'));
    // (The helper spies on the node prototype: the calls of the old and the new config node.)
    const warnings = calls(helper.getNode(TERMINAL_ID), 'warn');
    assert.ok(warnings.includes('jpay-terminal.recovery.kept'), 'the closing config node said it kept it');
    assert.ok(!warnings.includes('jpay-terminal.recovery.orphan'), 'its node is back: no orphan');
    await until(() => received.all('recovered').length === 1, 'delivered');
    assert.deepEqual(received.all('out'), [], 'the closing node sent nothing into its stopped flow');
    assert.deepEqual(received.all('caught'), []);
    assert.equal(terminal.commands.length, 1, 'one transaction, nothing sent again');
    // The next redeploy does not deliver it again.
    await helper.setFlows(flow('block'), 'full', CREDENTIALS);
    await new Promise((resolve) => setTimeout(resolve, 100));
    assert.equal(received.all('recovered').length, 1, 'delivered exactly once');
    await helper.unload();
    assert.deepEqual(await journalEntries(), [{ state: 'answered', delivery: 'delivered' }]);
    assert.ok(p.journalId);
  });

  it('two config nodes on the terminal (one queue, one journal): a full redeploy keeps the answer, delivered once', async () => {
    // The node pays through a second config node with the same address and settings: the terminal it shares is the first one's.
    const shared = (): FlowNode[] => [
      ...flow('block').map((n) => (n.id === 'dut' ? { ...n, terminal: 't2' } : n)),
      { ...terminalConfig({ host: '127.0.0.1', port: terminal.port }, { recovery: 'block', autoRecover: true, recoveryDelay: '0', journalFile }), id: 't2' },
    ];
    const credentials = { ...CREDENTIALS, t2: { password: PASSWORD } };
    await helper.load(NODES, shared(), credentials);
    await pay();
    await helper.setFlows(shared(), 'full', credentials);
    assertLateAnswer(await received.next('recovered'));
    await until(() => received.all('recovered').length === 1, 'delivered');
    assert.equal(terminal.commands.length, 1, 'one transaction, nothing sent again');
    await helper.unload();
    assert.deepEqual(await journalEntries(), [{ state: 'answered', delivery: 'delivered' }], 'one journal');
  });

  it('a stop, then a restart: the answer that came while Node-RED stopped is delivered on start', async () => {
    await helper.load(NODES, flow('block'), CREDENTIALS);
    await pay();
    await helper.unload(); // Node-RED stops: every node closes
    assert.deepEqual(await journalEntries(), [{ state: 'answered', delivery: 'pending' }], 'kept as answered, not delivered');
    await helper.load(NODES, flow('block'), CREDENTIALS);
    assertLateAnswer(await received.next('recovered'));
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.equal(received.all('recovered').length, 1);
    assert.deepEqual(received.all('out'), []);
  });

  it('a restart without the node: the config node warns, naming the transaction; the journal keeps it for a person', async () => {
    await helper.load(NODES, flow('block'), CREDENTIALS);
    await pay();
    await helper.unload();
    await helper.load(NODES, flow('block', false), CREDENTIALS);
    const config = helper.getNode(TERMINAL_ID);
    await until(() => calls(config, 'warn').some((w) => w.includes('jpay-terminal.recovery.orphan')), 'the orphan warning');
    assert.deepEqual(received.all('recovered'), []);
    await helper.unload();
    assert.deepEqual(await journalEntries(), [{ state: 'answered', delivery: 'pending' }]);
  });

  it('a hand-over a power cut interrupted is delivered again, saying it may be a repeat', async () => {
    const journal = await TransactionJournal.open(journalFile);
    const id = await journal.begin({ request: { type: 'purchase', amount: 4321 }, host: '127.0.0.1', port: terminal.port, encrypted: false, annotations: { owner: 'dut' } });
    await journal.answered(id, { status: 'ok', ok: true, errors: [], approved: true, receipt: { header: [], footer: [], approved: true, seq: '000009', amountAuthorized: 4321 } }, { undelivered: true });
    await journal.setDelivery(id, 'attempted'); // the hand-over began; the power went before it was marked
    await journal.close();
    await helper.load(NODES, flow('block'), CREDENTIALS);
    const p = (await received.next('recovered')).payload as RecoveryPayload;
    assert.equal(p.source, 'late-answer');
    assert.equal(p.repeated, true, 'the flow is told it may have had it');
    await helper.unload();
    assert.deepEqual(await journalEntries(), [{ state: 'answered', delivery: 'delivered' }]);
  });

  it('recovery off: an outcome lost while the node closed is logged as an error on the config node too', async () => {
    await terminal.close();
    let resolve!: () => void;
    started = new Promise((r) => (resolve = r));
    terminal = await ScriptedTerminal.start([
      async (conn) => {
        await conn.expect('transaction');
        resolve();
        for (;;) {
          const answer = await conn.message(keepalive());
          if (packetStatus(answer) === 'cancelled') break;
          await new Promise((r) => setTimeout(r, 5));
        }
        conn.drop(); // the terminal goes away: nobody knows what became of the payment
      },
    ]);
    await helper.load(NODES, flow('off'), CREDENTIALS);
    const config = helper.getNode(TERMINAL_ID);
    await pay();
    await helper.setFlows(flow('off'), 'full', CREDENTIALS);
    assert.ok(calls(config, 'error').some((e) => e.includes('jpay-terminal.errors.lost')));
  });

  it('recovery off: the config node logs the answer nobody received as an error, with masked data only', async () => {
    await helper.load(NODES, flow('off'), CREDENTIALS);
    const config = helper.getNode(TERMINAL_ID);
    await pay();
    await helper.setFlows(flow('off'), 'full', CREDENTIALS);
    const errors = calls(config, 'error');
    const lost = errors.find((e) => e.includes('jpay-terminal.errors.lost'));
    assert.ok(lost, errors.join('\n'));
    assert.deepEqual(received.all('out'), []);
    assert.deepEqual(received.all('recovered'), []);
  });
});

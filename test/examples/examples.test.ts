/**
 * Each example flow of examples/flows/ runs in the real Node-RED runtime (built nodes from
 * dist/nodes) against the simulator over TCP, and its main path does what the example says.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { NodeMessage } from 'node-red';
import type { TransactionPayload } from '../../lib/results/transaction';
import type { SReport, XReport } from '../../lib/protocol/types';
import type { SimulatorHandle, SimulatorOptions } from '../../lib/simulator';
import { exampleFile, exampleFiles, helper, loadExample, readExample, type LoadedExample } from '../helpers/node-red-flows';
import { startTestBroker, type TestBroker } from '../helpers/node-red-mqtt';
import { startTestSimulator } from '../helpers/sim-fixtures';
import { GatewayRequester } from '../../lib/gateway/requester';

const PASSWORD = '12345678';

function tx(msg: NodeMessage): TransactionPayload {
  return msg.payload as TransactionPayload;
}

/** What the parking example sends its customer display (a Dashboard 2.0 ui-template). */
interface Screen {
  stage: 'pay' | 'approved' | 'declined' | 'cancelled' | 'failed';
  amount: number;
  code: string;
  text: string;
  qr: string;
}

describe('examples/flows (real runtime, built nodes, simulator over TCP)', function () {
  this.timeout(30000);
  let sim: SimulatorHandle | undefined;
  let broker: TestBroker | undefined;
  let journalDir: string | undefined;

  afterEach(async () => {
    await helper.unload();
    await sim?.close();
    await broker?.close();
    sim = undefined;
    broker = undefined;
    if (journalDir) rmSync(journalDir, { recursive: true, force: true });
    journalDir = undefined;
  });

  async function load(prefix: string, options: SimulatorOptions = {}): Promise<LoadedExample> {
    sim = await startTestSimulator({ controlPort: 0, ...options });
    return loadExample(exampleFile(prefix), { sim, controlUrl: sim.controlUrl }, PASSWORD);
  }

  it('are top-level arrays with their own tab and one shared terminal, no credentials, and use every jpay node', () => {
    const files = exampleFiles();
    assert.ok(files.length >= 6, files.join());
    const used = new Set<string>();
    const terminals = new Set<string>();
    for (const file of files) {
      const nodes = readExample(file);
      // One terminal config node, the same (id and settings) in every example: importing several adds one.
      for (const n of nodes) if (n.type === 'jpay-terminal') terminals.add(JSON.stringify(n));
      assert.match(file, /^\d\d - [A-Z]/, `${file}: reads well in Import > Examples`);
      assert.equal(nodes.filter((n) => n.type === 'tab').length, 1, `${file}: one tab`);
      const ids = new Set(nodes.map((n) => n.id));
      assert.equal(ids.size, nodes.length, `${file}: unique ids`);
      for (const n of nodes) {
        used.add(n.type);
        assert.ok(!('credentials' in n), `${file}: ${n.id} carries credentials`);
        if (typeof n.terminal === 'string') assert.ok(ids.has(n.terminal), `${file}: ${n.id} points at a jpay-terminal of the same example`);
        for (const port of (n.wires as string[][] | undefined) ?? []) for (const to of port) assert.ok(ids.has(to), `${file}: ${n.id} is wired to a missing node`);
      }
    }
    assert.equal(terminals.size, 1, [...terminals].join('\n'));
    for (const type of ['jpay-transaction', 'jpay-report', 'jpay-settlement', 'jpay-admin', 'jpay-card', 'jpay-dex', 'jpay-loyalty', 'jpay-publish', 'jpay-gateway']) {
      assert.ok(used.has(type), `no example uses ${type}`);
    }
  });

  it('show the safe settings: recovery on (block, automatic), a lost answer reversed in the vending examples, output 3 wired', () => {
    for (const file of exampleFiles()) {
      for (const n of readExample(file)) {
        if (n.type === 'jpay-terminal') assert.deepEqual([n.recovery, n.autoRecover], ['block', true], `${file}: recovery on`);
        if (n.type !== 'jpay-transaction') continue;
        const vending = /^0[29] - /.test(file) && n.txType !== 'void';
        assert.equal(n.onUnknown, vending ? 'reverse' : 'report', `${file}: ${String(n.name)}`);
        assert.equal((n.wires as string[][])[2]?.length, 1, `${file}: ${String(n.name)}: output 3 (recovered) goes somewhere`);
      }
    }
  });

  it('01 getting started: purchase approved, magic amount declined, cashback, forced refund, void last', async () => {
    const flow = await load('01 - ');
    const result = flow.inbox('Result and receipt');
    flow.inject('Pay 150.00 ₽');
    const paid = tx(await result.next());
    assert.equal(paid.approved, true);
    assert.equal(paid.receipt?.amountAuthorized, 15000);
    assert.equal(paid.receipt?.tstatus, 'approved');

    flow.inject('Pay 777.41 ₽ (declined)');
    const declined = tx(await result.next());
    assert.equal(declined.outcome, 'declined');
    assert.equal(declined.status, 'ok');
    assert.equal(declined.approved, false);

    flow.inject('Pay 300.00 ₽ + 100.00 ₽ cashback');
    const cashback = tx(await result.next());
    assert.equal(cashback.approved, true);
    assert.equal(cashback.receipt?.amountOther, 10000);

    flow.inject('Refund 50.00 ₽ (no card)');
    const refund = tx(await result.next());
    assert.equal(refund.approved, true, JSON.stringify(refund));
    assert.equal(refund.receipt?.type, 'refund');

    flow.inject('Void the last transaction');
    const voided = tx(await result.next());
    assert.equal(voided.status, 'ok', JSON.stringify(voided));
    assert.equal(flow.inbox('Error').msgs.length, 0);
  });

  it('02 vending: slot A1 is dispensed; jammed slot B3 voids the payment (a reversal in the simulator log)', async () => {
    const flow = await load('02 - ');
    flow.inject('Buy slot A1 (150.00 ₽)');
    const sold = await flow.inbox('Sold: approved receipt').next();
    assert.equal(tx(sold).approved, true);
    assert.equal(sold.dispensed, 'A1');

    flow.inject('Buy slot B3, jammed (99.00 ₽)');
    const voided = await flow.inbox('Money given back').next();
    assert.equal(tx(voided).status, 'ok', JSON.stringify(voided.payload));
    assert.equal(tx(voided).receipt?.type, 'purchasereversal');
    assert.equal(voided.dispenseError, 'slot B3 is jammed');

    const log = sim!.log();
    const purchase = log.find((r) => r.operation === 'purchase' && r.amount === 9900);
    assert.equal(purchase?.reversedAmount, 9900, 'the B3 payment is reversed');
    const reversal = log.find((r) => r.operation === 'purchase-reversal');
    assert.equal(reversal?.amount, 9900);
    assert.equal(log.find((r) => r.amount === 15000)?.reversedAmount, 0, 'the A1 payment stands');
    assert.equal(flow.inbox('Sold: approved receipt').msgs.length, 1);
    assert.equal(flow.inbox('Not paid: nothing dispensed').msgs.length, 0);
  });

  it('03 parking exit: the customer display shows the fee, the QR code, then approved with the amount; the operator page gets the takings and the receipt', async () => {
    const flow = await load('03 - ', { sbp: { enabled: true, payDelayMs: 1500 } });
    const display = flow.inbox('Customer display');
    flow.inject('Car at the exit: 200.00 ₽');
    const screens: Screen[] = [];
    while (!screens.some((s) => s.qr !== '')) screens.push((await display.next()).payload as Screen);
    assert.deepEqual({ ...screens[0] }, { stage: 'pay', amount: 20000, code: '', text: '', qr: '' }, 'the fee first');
    const withQr = screens.at(-1) as Screen;
    assert.equal(withQr.stage, 'pay');
    assert.match(withQr.qr, /^data:image\/svg\+xml/);

    const opened = await flow.inbox('Paid: barrier opens').next();
    assert.equal(opened.barrier, 'open');
    assert.equal(tx(opened).receipt?.iface, 'sbp');
    assert.equal(opened.ticket, '0042', 'the ticket travels with the msg');
    let last: Screen;
    do last = (await display.next()).payload as Screen;
    while (last.stage === 'pay');
    assert.deepEqual({ ...last }, { stage: 'approved', amount: 20000, code: '', text: '', qr: '' });
    assert.ok(
      display.msgs.slice(0, -1).every((m) => (m.payload as Screen).stage === 'pay'),
      'nothing but the fee and the terminal\'s progress before the payment is approved',
    );

    const chart = (await flow.inbox("Today's takings").next()).payload as { hour: string; takings: number }[];
    assert.equal(chart.length, 1);
    assert.match(chart[0].hour, /^\d\d:00$/);
    assert.equal(chart[0].takings, 200);
    const rows = (await flow.inbox('Last receipts').next()).payload as Record<string, string>[];
    assert.equal(rows.length, 1);
    assert.equal(rows[0].amount, '200.00 ₽');
    assert.equal(rows[0].paid, 'SBP');
    assert.equal(rows[0].result, 'approved');
  });

  it('03 parking exit: the driver backs off, the cancel stops the payment, the barrier stays closed and the display says cancelled', async () => {
    const flow = await load('03 - ', { sbp: { enabled: true, outcome: 'none' }, timing: { keepaliveIntervalMs: 50, cardTimeoutMs: 10000 } });
    const display = flow.inbox('Customer display');
    flow.inject('Car at the exit: 200.00 ₽');
    while (((await display.next()).payload as Screen).qr === '');
    flow.inject('Driver backed off: cancel');
    const closed = await flow.inbox('Not paid: barrier stays closed').next();
    assert.equal(tx(closed).status, 'cancelled');
    assert.equal(flow.inbox('Paid: barrier opens').msgs.length, 0);
    let last: Screen;
    do last = (await display.next()).payload as Screen;
    while (last.stage === 'pay');
    assert.equal(last.stage, 'cancelled');
    assert.equal(last.qr, '', 'the QR code is gone');
  });

  it('03 parking exit: the operator page\'s X-report and settlement buttons show one line each', async () => {
    const flow = await load('03 - ');
    const line = flow.inbox('Last report');
    flow.byName('X-report').receive({ topic: 'x-report', payload: '' });
    assert.match(String((await line.next()).payload), /X-report: \d+ operations, \d+\.\d\d ₽$/);
    flow.byName('Settlement').receive({ topic: 'settlement', payload: '' });
    assert.match(String((await line.next()).payload), /Settlement passed: \d+ transactions, \d+\.\d\d ₽$/);
    assert.equal(flow.inbox('Error').msgs.length, 0);
  });

  it('04 settlement: scheduled by cron; totals, then a passed settlement', async () => {
    const flow = await load('04 - ');
    const cron = flow.nodes.find((n) => n.name === 'Every day at 23:55');
    assert.equal(cron?.crontab, '55 23 * * *');
    flow.inject('Settle now');
    const totals = (await flow.inbox('Totals before settlement').next()).payload as XReport;
    assert.ok(totals && typeof totals === 'object');
    const settled = await flow.inbox('Settled (S report)').next();
    assert.equal((settled.payload as SReport).passed, true);
    assert.equal(settled.operation, 'settlement');
    assert.equal(flow.inbox('Error').msgs.length, 0);
  });

  it('05 maintenance: parameters, connection test, keys, msg.command and the full report', async () => {
    const flow = await load('05 - ');
    const out = flow.inbox('Result');
    const run = async (inject: string): Promise<NodeMessage> => {
      flow.inject(inject);
      return out.next();
    };
    const params = await run('Get parameters');
    assert.equal((params.payload as { command: string }).command, 'getparameters');
    assert.equal((params.payload as { parameters: { tid: string } }).parameters.tid, '10000001');
    assert.equal(((await run('Test the bank connection')).payload as { ok: boolean }).ok, true);
    assert.equal(((await run('Load work keys')).payload as { command: string }).command, 'loadworkkeys');
    assert.equal(((await run('Load master keys')).payload as { command: string }).command, 'loadmasterkeys');
    const update = await run('Update configuration (msg.command)');
    assert.equal(update.command, 'updateconfiguration');
    assert.equal((update.payload as { ok: boolean }).ok, true);
    const report = await run('Full X report');
    assert.equal(report.reportType, 'full');
    assert.equal(flow.inbox('Error').msgs.length, 0);
  });

  it('06 MIFARE: lays a card through the control API; four coffees paid by bank card, the fifth by the loyalty card', async () => {
    const flow = await load('06 - ', { mifare: { enabled: true } });
    flow.inject('1. Lay a loyalty card on the reader (simulator)');
    await flow.inbox('Simulator').next();
    assert.ok(sim!.mifareCard(), 'the http request node laid the card');

    const stamps = (): number => {
      const block = sim!.mifareCard()?.read(4);
      assert.ok(block?.ok, 'block 4 reads');
      return block.data.readUInt32BE(0);
    };
    const result = flow.inbox('Result: iface "mifare" = paid by the loyalty card');
    for (let i = 1; i <= 4; i++) {
      flow.inject('2. Buy a coffee (120.00 ₽)');
      const paid = tx(await result.next());
      assert.equal(paid.approved, true);
      assert.notEqual(paid.receipt?.iface, 'mifare', `coffee ${i} is paid by bank card`);
      assert.equal(paid.receipt?.amountAuthorized, 12000);
      assert.equal(stamps(), i, `${i} stamp(s) on the card`);
    }
    flow.inject('2. Buy a coffee (120.00 ₽)');
    const free = tx(await result.next());
    assert.equal(free.approved, true);
    assert.equal(free.receipt?.iface, 'mifare');
    assert.deepEqual(free.receipt?.extra, { loyalty: 'free coffee' });
    assert.equal(stamps(), 0, 'the stamps start again');

    flow.inject('3. Take the card away (simulator)');
    await flow.inbox('Simulator').next();
    assert.equal(sim!.mifareCard(), undefined);
  });

  it('07 DEX: the flow gives Visa 10 % off through tag 9F02; the static 9F1A reaches the kernel', async () => {
    const flow = await load('07 - ', { dex: { enabled: true } });
    flow.inject('Pay 100.00 ₽ (Visa: 10 % off)');
    const paid = tx(await flow.inbox('Result: see receipt.amountAuthorized').next());
    assert.equal(paid.approved, true);
    assert.equal(paid.receipt?.amountAuthorized, 9000);
    assert.ok(paid.receipt?.record?.startsWith('9F1A020643'), paid.receipt?.record);
    const kernel = (await flow.inbox('Kernel tags (card data masked)').next()).payload as { kernelTags: Record<string, string> };
    assert.equal(kernel.kernelTags['9F02'], '000000010000');
  });

  it('08 MQTT: the receipt is stored in the outbox, published on jpay/demo/receipt and read back by the subscriber', async () => {
    broker = await startTestBroker();
    sim = await startTestSimulator();
    journalDir = mkdtempSync(path.join(tmpdir(), 'jpay-example-08-'));
    const subscribed = broker.subscribed('jpay/+/receipt');
    const flow = await loadExample(exampleFile('08 - '), { sim, mqtt: broker, journalDir }, PASSWORD);
    await subscribed;
    flow.inject('Pay 50.00 ₽');
    const stored = await flow.inbox('Stored in the outbox').next();
    const receiptId = (stored as NodeMessage & { receiptId?: string }).receiptId;
    assert.match(receiptId ?? '', /^[0-9]{8}-[0-9]{6}-\d{8}T\d{6}$/, 'the stable receipt id is on the msg');
    const received = await flow.inbox('Receipt received over MQTT').next();
    assert.equal(received.topic, 'jpay/demo/receipt');
    const message = received.payload as { format: string; receiptId: string; terminalId: string; receipt: { amountAuthorized: number; pan: string } };
    assert.equal(message.format, 'jpay-receipt/1');
    assert.equal(message.receiptId, receiptId);
    assert.equal(message.terminalId, 'demo');
    assert.equal(message.receipt.amountAuthorized, 5000);
    assert.match(message.receipt.pan, /^\d{0,6}\*+1111$/, 'only the masked PAN is published');
    assert.ok(readdirSync(journalDir).some((f) => f.startsWith('outbox-')), 'the outbox journal is in the directory given');
  });

  it('10 fleet gateway: the back office asks for an X report over MQTT and gets the answer; the state is retained; jpay-style requests work too', async () => {
    broker = await startTestBroker();
    sim = await startTestSimulator();
    journalDir = mkdtempSync(path.join(tmpdir(), 'jpay-example-10-'));
    const ready = Promise.all(['jpay/demo/cmd/+', 'jpay/demo/res/+', 'jpay/demo/state'].map((t) => broker!.subscribed(t)));
    const flow = await loadExample(exampleFile('10 - '), { sim, mqtt: broker, journalDir }, PASSWORD);
    await ready;
    const state = (await flow.inbox('Terminal state for a dashboard').next()).payload as { format: string; terminalId: string; state: string; commands: string[] };
    assert.deepEqual([state.format, state.terminalId, state.state], ['jpay-state/1', 'demo', 'online']);
    assert.deepEqual(state.commands, ['getparameters', 'testconnection', 'report', 'settlement', 'transaction']);
    flow.inject('Ask for the X report');
    const answer = (await flow.inbox('Answer received by the back office').next()).payload as { outcome: string; command: string; result: { totals: unknown[] } };
    assert.deepEqual([answer.outcome, answer.command], ['ok', 'report']);
    assert.ok(Array.isArray(answer.result.totals));
    const audit = (await flow.inbox('Answers sent (audit trail)').next()).payload as { outcome: string };
    assert.equal(audit.outcome, 'ok');

    const office = await GatewayRequester.connect({ url: `mqtt://${broker.host}:${broker.port}` });
    try {
      assert.equal(office.version, 4, 'the embedded broker speaks MQTT 3.1.1: the requester falls back');
      const paid = await office.request('demo', 'transaction', { type: 'purchase', amount: 1250 }, { id: 'order-1' });
      assert.equal(paid.outcome, 'approved');
      assert.equal((await office.request('demo', 'transaction', { type: 'purchase', amount: 1250 }, { id: 'order-1' })).duplicate, true);
      assert.equal((await office.request('demo', 'loadmasterkeys')).error?.code, 'disabled');
    } finally {
      await office.close();
    }
    assert.equal(sim!.log().length, 1, 'charged once');
    assert.ok(readdirSync(journalDir).some((f) => f.startsWith('gateway-')), 'the payments journal is in the directory given');
  });
});

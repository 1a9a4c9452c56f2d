/**
 * Flow faults (built nodes, real runtime, simulator over TCP): a card or dex handler flow
 * that throws, never answers or answers garbage; a redeploy in the middle of a
 * transaction; two flows paying on one terminal at once. Each time the terminal gets its
 * answer and ends the transaction (no connection left hanging), the queue runs the
 * transactions one after the other, and no socket or timer outlives the flow.
 */
import assert from 'node:assert/strict';
import type { NodeMessage } from 'node-red';
import type { TransactionPayload } from '../../lib/results/transaction';
import type { SimulatorEvent, SimulatorHandle, SimulatorOptions } from '../../lib/simulator';
import { activeResources, builtNode, coreNode, helper, inbox, LONG_DEADLINE_MS, nodeTestbed, onTab, settledResources, TERMINAL_ID, terminalConfig, type FlowNode, type Inbox } from './fixtures';

const NODES = [
  builtNode('jpay-terminal'),
  builtNode('jpay-transaction'),
  builtNode('jpay-card'),
  builtNode('jpay-dex'),
  coreNode('function/10-function.js'),
  coreNode('common/25-catch.js'),
];
const PASSWORD = '87654321';
const TX = { type: 'jpay-transaction', terminal: TERMINAL_ID, txType: 'purchase', amount: '1000', currency: '', sbp: 'auto' };

/** The faulty handler flows: a function node between the handler node's output and its input. */
const HANDLERS = {
  throws: "throw new Error('handler bug');",
  'never answers': 'return null;',
  'answers garbage (rebuilt msg)': "return { payload: 'garbage' };",
  'answers garbage (kept _jpay)': "msg.payload = { action: 'explode', block: -1, tags: { ZZ: 'not hex' } }; return msg;",
} as const;
type Fault = keyof typeof HANDLERS;

interface Loaded {
  result: Inbox;
  caught: Inbox;
  /** What the handler node asked the flow. */
  asked: Inbox;
  flow: FlowNode[];
}

function tx(msg: NodeMessage): TransactionPayload {
  return msg.payload as TransactionPayload;
}

/** Transaction starts and ends as the simulator saw them, in order. */
function txTimeline(sim: SimulatorHandle): string[] {
  const events: SimulatorEvent[] = sim.events();
  return events.flatMap((e) =>
    e.type === 'waiting-for-card' && e.command === 'transaction' ? ['start'] : e.type === 'command' && e.command === 'transaction' ? [`end:${e.status}`] : [],
  );
}

describe('nodes: flow faults (built nodes, real runtime, simulator over TCP)', function () {
  this.timeout(20_000);
  const bed = nodeTestbed();
  let before: Record<string, number>;

  beforeEach(() => {
    before = activeResources();
  });

  /** Unloads the flow, closes the simulator, and compares sockets and timers with the start. */
  async function assertNothingLeaks(): Promise<void> {
    await bed.stop();
    const after = await settledResources(before);
    assert.ok((after.TCPSocketWrap ?? 0) <= (before.TCPSocketWrap ?? 0), `sockets ${JSON.stringify(before)} → ${JSON.stringify(after)}`);
    assert.ok((after.TCPServerWrap ?? 0) <= (before.TCPServerWrap ?? 0), `servers ${JSON.stringify(before)} → ${JSON.stringify(after)}`);
    assert.ok((after.Timeout ?? 0) <= (before.Timeout ?? 0) + 1, `timers ${JSON.stringify(before)} → ${JSON.stringify(after)}`);
  }

  function simulator(options: SimulatorOptions = {}): Promise<SimulatorHandle> {
    return bed.start({ terminal: { password: PASSWORD }, ...options });
  }

  /** jpay-transaction `pay` + a `kind` handler node whose flow is the faulty function. */
  async function loadHandlerFlow(s: SimulatorHandle, kind: 'jpay-card' | 'jpay-dex', fault: Fault, timeout = 300): Promise<Loaded> {
    const handler: FlowNode =
      kind === 'jpay-card'
        ? { id: 'handler', type: 'jpay-card', terminal: TERMINAL_ID, timeout, readBlocks: '', wires: [['fault', 'asked']] }
        : { id: 'handler', type: 'jpay-dex', terminal: TERMINAL_ID, mode: 'flow', timeout, rules: [], wires: [['fault', 'asked']] };
    const flow = onTab([
      terminalConfig(s, { handlerTimeout: Math.max(2000, timeout) }),
      { id: 'pay', ...TX, wires: [['result'], []] },
      { id: 'result', type: 'helper' },
      handler,
      { id: 'asked', type: 'helper' },
      { id: 'fault', type: 'function', func: HANDLERS[fault], outputs: 1, wires: [['handler']] },
      { id: 'catch', type: 'catch', scope: null, uncaught: false, wires: [['caught']] },
      { id: 'caught', type: 'helper' },
    ]);
    await helper.load(NODES, flow, { [TERMINAL_ID]: { password: PASSWORD } });
    return { result: inbox(helper.getNode('result')), caught: inbox(helper.getNode('caught')), asked: inbox(helper.getNode('asked')), flow };
  }

  for (const kind of ['jpay-card', 'jpay-dex'] as const) {
    for (const fault of Object.keys(HANDLERS) as Fault[]) {
      it(`${kind} handler flow ${fault}: the terminal is answered, the payment completes by bank card, nothing leaks`, async () => {
        const s = await simulator(kind === 'jpay-card' ? { mifare: { enabled: true, card: {} } } : { dex: { enabled: true } });
        // Silence (a throw is silence too) waits for the node's 300 ms deadline; a refused answer is
        // answered at once, so its deadlines are set far past the test's timeout: a result shows nothing waited.
        const refused = fault.startsWith('answers garbage');
        const f = await loadHandlerFlow(s, kind, fault, refused ? LONG_DEADLINE_MS : 300);
        helper.getNode('pay').receive({ payload: { amount: 1234 } });
        const asked = await f.asked.next();
        assert.equal(asked.topic, kind === 'jpay-card' ? 'card/open' : 'dex', 'the flow was asked');
        const r = tx(await f.result.next());
        assert.equal(r.status, 'ok', JSON.stringify(r));
        assert.equal(r.approved, true);
        assert.equal(r.receipt?.amountAuthorized, 1234);
        if (kind === 'jpay-card') assert.notEqual(r.receipt?.iface, 'mifare', 'the MIFARE card session was closed; the bank card paid');
        if (fault === 'throws') assert.match(((await f.caught.next()).error as { message: string }).message, /handler bug/);
        if (fault.startsWith('answers garbage')) {
          const error = (await f.caught.next()).error as { source: { id: string } };
          assert.equal(error.source.id, 'handler', 'the handler node refused the answer (Catch sees it)');
        }
        assert.deepEqual(txTimeline(s), ['start', 'end:ok']);
        assert.equal(s.state().busy, null, 'the terminal is free');
        const messages = s.events().filter((e) => e.type === 'message' && e.name === (kind === 'jpay-card' ? 'card' : 'dex'));
        assert.ok(messages.length > 0, `the terminal asked through a ${kind} message`);
        // A dex answer is a status the simulator reports; a card answer is the next card request, which
        // the completed transaction (end:ok above) shows was given.
        if (kind === 'jpay-dex') assert.ok(messages.every((e) => e.type === 'message' && e.answer === 'ok'), JSON.stringify(messages));
        await assertNothingLeaks();
      });
    }
  }

  it('a redeploy while the card flow holds a question: the transaction ends, the terminal is free, the new deployment pays', async () => {
    const s = await simulator({ mifare: { enabled: true, card: {} } });
    // Deadlines far past the test's timeout: the transaction can only end because the redeploy settled the question.
    const f = await loadHandlerFlow(s, 'jpay-card', 'never answers', LONG_DEADLINE_MS);
    helper.getNode('pay').receive({ payload: { amount: 2000 } });
    await f.asked.next();
    const ended = s.waitForEvent((e) => e.type === 'command' && e.command === 'transaction', 8000);
    const redeployed = f.flow.map((n) => (n.id === 'handler' ? { ...n, timeout: 300 } : n.type === 'jpay-terminal' ? { ...n, handlerTimeout: 2000 } : n));
    await helper.setFlows(redeployed, 'full', { [TERMINAL_ID]: { password: PASSWORD } });
    const end = await ended;
    assert.ok(end.type === 'command' && ['ok', 'cancelled'].includes(end.status), JSON.stringify(end));
    assert.equal(s.state().busy, null);
    // The redeployed (still silent) card flow, now with a 300 ms deadline: the terminal is answered at the deadline and the bank card pays.
    const result = inbox(helper.getNode('result'));
    helper.getNode('pay').receive({ payload: { amount: 2100 } });
    const r = tx(await result.next(8000));
    assert.equal(r.approved, true, JSON.stringify(r));
    assert.equal(r.receipt?.amountAuthorized, 2100);
    const timeline = txTimeline(s);
    assert.equal(timeline.filter((t) => t === 'start').length, 2);
    assert.deepEqual(timeline.at(-1), 'end:ok');
    await assertNothingLeaks();
  });

  it('a redeploy while the terminal waits for the card: the transaction is cancelled on the terminal, the new deployment pays', async () => {
    const s = await simulator({ autoPresent: false, timing: { keepaliveIntervalMs: 20, cardTimeoutMs: 10_000 } });
    const flow = onTab([terminalConfig(s), { id: 'pay', ...TX, wires: [['result'], ['progress']] }, { id: 'result', type: 'helper' }, { id: 'progress', type: 'helper' }]);
    await helper.load(NODES, flow, { [TERMINAL_ID]: { password: PASSWORD } });
    helper.getNode('pay').receive({ payload: { amount: 3000 } });
    await s.waitForEvent((e) => e.type === 'waiting-for-card', 5000);
    const ended = s.waitForEvent((e) => e.type === 'command' && e.command === 'transaction', 5000);
    await helper.setFlows(flow, 'full', { [TERMINAL_ID]: { password: PASSWORD } });
    const end = await ended;
    assert.ok(end.type === 'command' && end.status === 'cancelled', JSON.stringify(end));
    assert.equal(s.state().busy, null);
    const result = inbox(helper.getNode('result'));
    s.setAutoPresent(true);
    helper.getNode('pay').receive({ payload: { amount: 3100 } });
    const r = tx(await result.next(8000));
    assert.equal(r.approved, true, JSON.stringify(r));
    assert.deepEqual(txTimeline(s), ['start', 'end:cancelled', 'start', 'end:ok']);
    await assertNothingLeaks();
  });

  it('two flows pay on one terminal at once: both run, one after the other, no overlap, no busy refusal', async () => {
    const s = await simulator({ timing: { cardDelayMs: 30, hostDelayMs: 30 } });
    const tab2 = 'f2';
    const flow: FlowNode[] = [
      ...onTab([terminalConfig(s), { id: 'pay1', ...TX, wires: [['result1'], []] }, { id: 'result1', type: 'helper' }]),
      { id: tab2, type: 'tab', label: 'second flow' },
      { id: 'pay2', ...TX, z: tab2, x: 100, y: 100, wires: [['result2'], []] },
      { id: 'result2', type: 'helper', z: tab2, x: 300, y: 100 },
    ];
    await helper.load(NODES, flow, { [TERMINAL_ID]: { password: PASSWORD } });
    const results = [inbox(helper.getNode('result1')), inbox(helper.getNode('result2'))];
    helper.getNode('pay1').receive({ payload: { amount: 4001 } });
    helper.getNode('pay2').receive({ payload: { amount: 4002 } });
    const [a, b] = await Promise.all(results.map((r) => r.next(10_000)));
    assert.equal(tx(a).approved, true, JSON.stringify(tx(a)));
    assert.equal(tx(b).approved, true, JSON.stringify(tx(b)));
    assert.equal(tx(a).receipt?.amountAuthorized, 4001);
    assert.equal(tx(b).receipt?.amountAuthorized, 4002);
    assert.deepEqual(txTimeline(s), ['start', 'end:ok', 'start', 'end:ok'], 'the second started after the first ended');
    assert.equal(s.events().filter((e) => e.type === 'busy').length, 0, 'the terminal never refused one as busy');
    assert.deepEqual(
      s.log().filter((r) => r.operation === 'purchase').map((r) => r.amount).sort(),
      [4001, 4002],
    );
    await assertNothingLeaks();
  });
});

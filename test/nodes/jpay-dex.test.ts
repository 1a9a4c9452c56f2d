import assert from 'node:assert/strict';
import type { NodeMessage } from 'node-red';
import type { DexEventPayload } from '../../nodes/jpay-dex/dex-rules';
import { builtNode, coreNode, helper, inbox, LONG_DEADLINE_MS, nextCall, nodeTestbed, onTab, statuses, TERMINAL_ID, terminalApi, terminalConfig, warnings, type FlowNode } from './fixtures';

const nodes = [builtNode('jpay-terminal'), builtNode('jpay-dex'), coreNode('function/10-function.js')];
const PAN = '4000000000000002';
const KERNEL_TAGS = [
  { name: '9F06', value: '{aid}' },
  { name: '9F02', value: '{amount}' },
  { name: '5F2A', value: '{currency}' },
  { name: '5A', value: PAN },
];
const STATIC_RULES = [{ tag: '9F1A', value: '0643' }];
const MASTERCARD_AID = 'A0000000041010';

function payloadOf(msg: NodeMessage): DexEventPayload {
  return msg.payload as DexEventPayload;
}

describe('nodes/jpay-dex (built, real runtime, simulator over TCP)', function () {
  this.timeout(15000);
  const bed = nodeTestbed({ dex: { enabled: true, kernelTags: KERNEL_TAGS }, mifare: { enabled: false } });

  async function loadFlow(dex: Record<string, unknown>, more: FlowNode[] = [], terminal: Record<string, unknown> = {}): Promise<void> {
    await helper.load(
      nodes,
      onTab([
        terminalConfig(bed.sim, terminal),
        { id: 'dex', type: 'jpay-dex', terminal: TERMINAL_ID, mode: 'flow', timeout: 1000, rules: STATIC_RULES, wires: [['out']], ...dex },
        { id: 'out', type: 'helper' },
        { id: 'catch', type: 'catch', scope: ['dex'], uncaught: false, wires: [['caught']] },
        { id: 'caught', type: 'helper' },
        ...more,
      ]),
    );
  }

  it('injects the static rules without asking the flow, and shows the kernel tags with the PAN masked', async () => {
    await loadFlow({ mode: 'static' });
    const out = inbox(helper.getNode('out'));
    const r = await terminalApi().client.transaction({ type: 'purchase', amount: 2500 });
    assert.equal(r.approved, true);
    assert.equal(r.receipt?.record, '9F1A020643', 'the kernel got the static tag');
    const msg = await out.next();
    assert.equal(msg.topic, 'dex');
    assert.deepEqual(msg._jpay, { terminal: TERMINAL_ID });
    const payload = payloadOf(msg);
    assert.equal(payload.kernelTags['9F02'], '000000002500');
    assert.equal(payload.kernelTags['5A'], '400000******0002');
    assert.ok(!JSON.stringify(msg).includes(PAN), 'no full PAN in msg');
    assert.deepEqual(payload.terminalTags, { '9F1A': '0643' });
    assert.deepEqual(statuses(helper.getNode('dex')).at(-1), { fill: 'green', shape: 'dot', text: 'jpay-dex.status.static' });
  });

  it("merges the flow's answer over the static rules; the kernel applies it", async () => {
    await loadFlow({});
    const dex = helper.getNode('dex');
    const out = inbox(helper.getNode('out'));
    const result = terminalApi().client.transaction({ type: 'purchase', amount: 900 });
    const q = await out.next();
    assert.match((q._jpay as { id: string }).id, /^[0-9a-f]{16}$/);
    assert.deepEqual(statuses(dex).at(-1), { fill: 'yellow', shape: 'ring', text: 'jpay-dex.status.waiting' });
    dex.receive({ _jpay: q._jpay, payload: { tags: { '9F06': MASTERCARD_AID, '9F1A': '0810' } } });
    const r = await result;
    assert.equal(r.approved, true);
    assert.equal(r.receipt?.aid, MASTERCARD_AID);
    // Static 9F1A overridden by the flow's value; the flow's 9F06 added.
    assert.equal(r.receipt?.record, `9F1A020810${'9F0607'}${MASTERCARD_AID}`);
    assert.deepEqual(statuses(dex).at(-1), { fill: 'green', shape: 'dot', text: 'jpay-dex.status.answered' });
    assert.deepEqual(warnings(dex), []);
  });

  it('matches an answer list from a function node that rebuilt the msg without _jpay', async () => {
    await loadFlow({ wires: [['out', 'rebuild']] }, [
      {
        id: 'rebuild',
        type: 'function',
        func: `return { payload: [{ name: '9F06', value: '${MASTERCARD_AID}' }] };`,
        outputs: 1,
        wires: [['dex']],
      },
    ]);
    const r = await terminalApi().client.transaction({ type: 'purchase', amount: 901 });
    assert.equal(r.receipt?.aid, MASTERCARD_AID);
    assert.equal(r.receipt?.record, `9F1A020643${'9F0607'}${MASTERCARD_AID}`);
    assert.deepEqual(warnings(helper.getNode('dex')), []);
  });

  it('refuses an invalid value (done(err) to Catch, a warning) and the terminal gets the static tags at once', async () => {
    // Deadlines far beyond the test's timeout: the result can only come from the refusal's own answer.
    await loadFlow({ timeout: LONG_DEADLINE_MS }, [], { handlerTimeout: LONG_DEADLINE_MS });
    const dex = helper.getNode('dex');
    const out = inbox(helper.getNode('out'));
    const caught = inbox(helper.getNode('caught'));
    const result = terminalApi().client.transaction({ type: 'purchase', amount: 902 });
    const q = await out.next();
    dex.receive({ _jpay: q._jpay, payload: { tags: { '9F02': '12' } } });
    const error = (await caught.next()).error as { message: string };
    assert.match(error.message, /JpayValidationError: msg\.payload\.tags\.9F02: .*must be 6 bytes, got 1/);
    const r = await result;
    assert.ok(!warnings(dex).includes('jpay-dex.warn.deadline'), 'answered before any deadline');
    assert.equal(r.approved, true);
    assert.equal(r.receipt?.amountAuthorized, 902, 'the bad amount never reached the kernel');
    assert.equal(r.receipt?.record, '9F1A020643');
    assert.ok(warnings(dex).includes('jpay-dex.warn.invalid'));
    assert.deepEqual(statuses(dex).at(-1), { fill: 'red', shape: 'ring', text: 'jpay-dex.status.invalid' });
  });

  it('when the flow never answers the deadline sends the static tags and warns', async () => {
    await loadFlow({ timeout: 120 });
    const dex = helper.getNode('dex');
    const warned = nextCall(dex, 'warn', (args) => args[0] === 'jpay-dex.warn.deadline');
    const started = Date.now();
    const r = await terminalApi().client.transaction({ type: 'purchase', amount: 903 });
    assert.ok(Date.now() - started >= 100, 'not before the deadline (less a timer-granularity allowance)');
    await warned;
    assert.equal(r.approved, true);
    assert.equal(r.receipt?.record, '9F1A020643');
    assert.deepEqual(statuses(dex).at(-1), { fill: 'red', shape: 'ring', text: 'jpay-dex.status.deadline' });
  });

  it('with no rules and no answer the terminal goes on with ok and no tags', async () => {
    await loadFlow({ rules: [], timeout: 80 });
    const r = await terminalApi().client.transaction({ type: 'purchase', amount: 904 });
    assert.equal(r.approved, true);
    assert.equal(r.receipt?.record, undefined);
  });

  it('refuses invalid static rules at deploy: red status, error, and the terminal answered without tags', async () => {
    await loadFlow({ rules: [{ tag: '9F1A', value: '064' }] });
    const dex = helper.getNode('dex');
    assert.deepEqual(statuses(dex).at(-1), { fill: 'red', shape: 'ring', text: 'jpay-dex.status.badConfig' });
    const r = await terminalApi().client.transaction({ type: 'purchase', amount: 905 });
    assert.equal(r.approved, true);
    assert.equal(r.receipt?.record, undefined);
    const caught = inbox(helper.getNode('caught'));
    dex.receive({ payload: { tags: {} } });
    assert.match(((await caught.next()).error as { message: string }).message, /rules\[0\]: .*odd number/);
  });

  it('the edit dialog checks a rule against the EMV dictionary', async () => {
    await loadFlow({ mode: 'static' });
    await new Promise<void>((resolve) => helper.startServer(resolve));
    try {
      const bad = await helper.request().get('/jpay-dex/check').query({ tag: '9F02', value: '12' });
      assert.equal(bad.status, 200);
      assert.equal(bad.body.ok, false);
      assert.match(bad.body.reason, /must be 6 bytes/);
      const good = await helper.request().get('/jpay-dex/check').query({ tag: '9f1a', value: '0643' });
      assert.deepEqual(good.body, { ok: true, name: 'Terminal Country Code' });
    } finally {
      await new Promise<void>((resolve) => helper.stopServer(resolve));
    }
  });
});

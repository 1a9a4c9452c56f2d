import assert from 'node:assert/strict';
import type { NodeMessage } from 'node-red';
import type { CardEventPayload } from '../../nodes/jpay-card/card-answers';
import type { TransactionResult } from '../../lib/protocol/types';
import { builtNode, coreNode, helper, inbox, LONG_DEADLINE_MS, nextCall, nodeTestbed, onTab, statuses, TERMINAL_ID, terminalApi, terminalConfig, warnings, type FlowNode } from './fixtures';

const nodes = [builtNode('jpay-terminal'), builtNode('jpay-card'), coreNode('function/10-function.js')];
const BLOCK = Buffer.from('4a5041592d4c4f59414c54592d303432', 'hex');

function payloadOf(msg: NodeMessage): CardEventPayload {
  return msg.payload as CardEventPayload;
}

/** The flow's answer, keeping `_jpay` as a well-behaved flow does. */
function reply(msg: NodeMessage, payload: unknown): NodeMessage {
  return { _jpay: msg._jpay, payload };
}

describe('nodes/jpay-card (built, real runtime, simulator over TCP)', function () {
  this.timeout(15000);
  const bed = nodeTestbed({ mifare: { enabled: true, card: {} } });

  async function loadFlow(card: Record<string, unknown>, more: FlowNode[] = [], terminal: Record<string, unknown> = {}): Promise<void> {
    await helper.load(
      nodes,
      onTab([
        terminalConfig(bed.sim, terminal),
        { id: 'card', type: 'jpay-card', terminal: TERMINAL_ID, timeout: 1500, readBlocks: '', wires: [['out']], ...card },
        { id: 'out', type: 'helper' },
        ...more,
      ]),
    );
  }

  it('answers read, write and close from a flow; the receipt comes back in the transaction result', async () => {
    await loadFlow({});
    const card = helper.getNode('card');
    const out = inbox(helper.getNode('out'));
    const result = terminalApi().client.transaction({ type: 'purchase', amount: 5000 });

    const open = await out.next();
    assert.deepEqual((open._jpay as { terminal: string }).terminal, TERMINAL_ID);
    assert.match((open._jpay as { id: string }).id, /^[0-9a-f]{16}$/);
    assert.equal(open.topic, 'card/open');
    assert.equal(payloadOf(open).event, 'open');
    assert.equal(payloadOf(open).block, 4);
    assert.equal(payloadOf(open).ok, true);
    assert.ok(Buffer.isBuffer(payloadOf(open).data) && payloadOf(open).data?.length === 16);

    card.receive(reply(open, { action: 'write', block: 5, data: BLOCK.toString('hex') }));
    const written = await out.next();
    assert.deepEqual(payloadOf(written), { event: 'write', block: 5, ok: true, status: 'ok' });

    card.receive(reply(written, { action: 'read', block: 5 }));
    const read = await out.next();
    assert.deepEqual(payloadOf(read), { event: 'read', block: 5, ok: true, status: 'ok', data: BLOCK });
    assert.notEqual((read._jpay as { id: string }).id, (open._jpay as { id: string }).id, 'each event has its own id');

    card.receive(reply(read, { action: 'close', receipt: { status: 'approved', 'loyalty-points': 42 } }));
    const r: TransactionResult = await result;
    assert.equal(r.ok, true);
    assert.equal(r.approved, true);
    assert.equal(r.receipt?.iface, 'mifare');
    assert.equal(r.receipt?.extra?.['loyalty-points'], '42');
    assert.deepEqual(bed.sim.mifareCard()?.read(5), { ok: true, data: BLOCK });
    assert.equal(out.msgs.length, 3);

    const shown = statuses(card).map((s) => s.text);
    assert.ok(shown.includes('jpay-card.status.waiting'));
    assert.equal(shown.at(-1), 'jpay-card.status.closedReceipt');
    assert.deepEqual(statuses(card).at(-1), { fill: 'green', shape: 'dot', text: 'jpay-card.status.closedReceipt' });
    assert.deepEqual(warnings(card), []);
  });

  it('matches the answer of a function node that rebuilt the msg without _jpay (node-red#714)', async () => {
    await loadFlow({ wires: [['out', 'rebuild']] }, [
      {
        id: 'rebuild',
        type: 'function',
        func: "return { payload: { action: 'close', receipt: { status: 'approved', via: 'function', block: msg.payload.block } } };",
        outputs: 1,
        wires: [['card']],
      },
    ]);
    const out = inbox(helper.getNode('out'));
    const r = await terminalApi().client.transaction({ type: 'purchase', amount: 700 });
    assert.ok((await out.next())._jpay, 'the question carried _jpay');
    assert.equal(r.approved, true);
    assert.equal(r.receipt?.iface, 'mifare');
    assert.deepEqual(r.receipt?.extra && { via: r.receipt.extra.via, block: r.receipt.extra.block }, { via: 'function', block: '4' });
    assert.deepEqual(warnings(helper.getNode('card')), []);
  });

  it('reads the blocks listed for open before it asks the flow, once', async () => {
    bed.sim.mifareCard()?.write(8, BLOCK);
    await loadFlow({ readBlocks: '4, 5, 8' });
    const card = helper.getNode('card');
    const out = inbox(helper.getNode('out'));
    const result = terminalApi().client.transaction({ type: 'purchase', amount: 100 });
    const open = await out.next();
    const blocks = payloadOf(open).blocks ?? {};
    assert.deepEqual(Object.keys(blocks).sort(), ['4', '5', '8']);
    assert.deepEqual(blocks['8'], BLOCK);
    card.receive(reply(open, { action: 'close', receipt: { status: 'approved' } }));
    assert.equal((await result).approved, true);
    assert.equal(out.msgs.length, 1, 'the flow was asked once');
  });

  it('on a missed deadline the terminal gets close without receipt, goes on to a bank card, and a late answer is ignored', async () => {
    await loadFlow({ timeout: 150 });
    const card = helper.getNode('card');
    const out = inbox(helper.getNode('out'));
    const deadlineWarning = nextCall(card, 'warn', (args) => args[0] === 'jpay-card.warn.deadline');
    const started = Date.now();
    const r = await terminalApi().client.transaction({ type: 'purchase', amount: 1200 });
    assert.ok(Date.now() - started >= 130, 'not before the deadline (less a timer-granularity allowance)');
    await deadlineWarning;
    // The card session was closed without a receipt: the simulator then took its default bank card.
    assert.equal(r.approved, true);
    assert.notEqual(r.receipt?.iface, 'mifare');
    assert.equal(r.receipt?.amountAuthorized, 1200);
    assert.deepEqual(statuses(card).at(-1), { fill: 'red', shape: 'ring', text: 'jpay-card.status.deadline' });

    const open = await out.next();
    const late = nextCall(card, 'warn', (args) => args[0] === 'jpay-card.warn.late');
    card.receive(reply(open, { action: 'read', block: 4 }));
    await late;
    card.receive({ payload: { action: 'read', block: 4 } });
    await nextCall(card, 'warn', (args) => args[0] === 'jpay-card.warn.nothing-pending');
  });

  for (const mode of ['continue', 'end'] as const) {
    it(`a close without a receipt when the terminal then ${mode === 'continue' ? 'goes on to a bank card' : 'ends the transaction (cancelled, nothing charged)'}`, async () => {
      bed.sim.setMifareCloseWithoutReceipt(mode);
      await loadFlow({ timeout: LONG_DEADLINE_MS }, [], { handlerTimeout: LONG_DEADLINE_MS });
      const card = helper.getNode('card');
      const out = inbox(helper.getNode('out'));
      const result = terminalApi().client.transaction({ type: 'purchase', amount: 900 });
      card.receive(reply(await out.next(), { action: 'close' }));
      const r = await result;
      if (mode === 'continue') {
        assert.deepEqual([r.status, r.approved, r.receipt?.amountAuthorized], ['ok', true, 900]);
        assert.notEqual(r.receipt?.iface, 'mifare');
        assert.equal(bed.sim.log().length, 1);
      } else {
        assert.deepEqual([r.status, r.ok, r.approved, r.receipt], ['cancelled', false, false, undefined]);
        assert.match(r.errors.join(' '), /closed without a receipt: no payment/);
        assert.deepEqual(bed.sim.log(), []);
      }
      assert.deepEqual(statuses(card).at(-1), { fill: 'green', shape: 'dot', text: 'jpay-card.status.closedPlain' });
      assert.equal(out.msgs.length, 1);
    });
  }

  it("the safe default on a missed deadline (close, no receipt) with a terminal that then ends the transaction: cancelled, nothing charged", async () => {
    bed.sim.setMifareCloseWithoutReceipt('end');
    await loadFlow({ timeout: 100 });
    const deadlineWarning = nextCall(helper.getNode('card'), 'warn', (args) => args[0] === 'jpay-card.warn.deadline');
    const r = await terminalApi().client.transaction({ type: 'purchase', amount: 1200 });
    assert.deepEqual([r.status, r.approved], ['cancelled', false]);
    assert.deepEqual(bed.sim.log(), []);
    await deadlineWarning;
  });

  it('refuses an invalid answer through done(err) (Catch sees it) and answers the safe default at once', async () => {
    // Deadlines far beyond the test's timeout: the result can only come from the refusal's own answer.
    await loadFlow(
      { timeout: LONG_DEADLINE_MS },
      [{ id: 'catch', type: 'catch', scope: ['card'], uncaught: false, wires: [['caught']] }, { id: 'caught', type: 'helper' }],
      { handlerTimeout: LONG_DEADLINE_MS },
    );
    const card = helper.getNode('card');
    const out = inbox(helper.getNode('out'));
    const caught = inbox(helper.getNode('caught'));
    const result = terminalApi().client.transaction({ type: 'purchase', amount: 300 });
    const open = await out.next();
    card.receive(reply(open, { action: 'write', block: 5, data: 'abc' }));
    const error = (await caught.next()).error as { message: string; source: { id: string } };
    assert.match(error.message, /msg\.payload\.data/);
    assert.equal(error.source.id, 'card');
    const r = await result;
    assert.ok(!warnings(card).includes('jpay-card.warn.deadline'), 'answered before any deadline');
    assert.equal(r.approved, true, 'the bank card paid');
    assert.notEqual(r.receipt?.iface, 'mifare');
    assert.ok(warnings(card).includes('jpay-card.warn.invalid'));
    assert.equal(bed.sim.mifareCard()?.read(5).ok, true);
    assert.deepEqual(bed.sim.mifareCard()?.read(5), { ok: true, data: Buffer.alloc(16) }, 'nothing was written');
  });

  it('a redeploy while the flow holds a question settles it and leaves the transaction to finish', async () => {
    // Deadlines far beyond the test's timeout: the command can only end because the close settled it.
    await loadFlow({ timeout: LONG_DEADLINE_MS }, [], { handlerTimeout: LONG_DEADLINE_MS });
    const out = inbox(helper.getNode('out'));
    const result = terminalApi().client.transaction({ type: 'purchase', amount: 400 });
    await out.next();
    const settled = result.then(
      () => 'resolved',
      () => 'rejected',
    );
    await helper.clearFlows();
    // Either way the command ends: nothing waits for the closed node's deadline.
    assert.ok(['resolved', 'rejected'].includes(await settled));
  });

  it('without a terminal the node reports it and fails its input', async () => {
    await helper.load(
      nodes,
      onTab([
        { id: 'card', type: 'jpay-card', terminal: 'missing', timeout: 1500, wires: [[]] },
        { id: 'catch', type: 'catch', scope: ['card'], uncaught: false, wires: [['caught']] },
        { id: 'caught', type: 'helper' },
      ]),
    );
    const card = helper.getNode('card');
    const caught = inbox(helper.getNode('caught'));
    assert.deepEqual(statuses(card).at(-1), { fill: 'red', shape: 'ring', text: 'jpay-card.status.noTerminal' });
    card.receive({ payload: { action: 'close' } });
    assert.match(String(((await caught.next()).error as { message: string }).message), /jpay-card\.errors\.no-terminal/);
  });
});

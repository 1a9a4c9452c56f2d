/**
 * Issue 14 point 1: one terminal is one queue. Any number of jpay-terminal config nodes
 * with the same host:port share one opened terminal — one client and its command queue, one
 * journal, one card/dex handler registry — held by reference (built nodes, the real
 * runtime, the simulator over TCP).
 */
import assert from 'node:assert/strict';
import type { NodeMessage } from 'node-red';
import type { TransactionPayload } from '../../lib/results/transaction';
import { ALL_NODES, PASSWORD, builtNode, helper, inbox, nodeTestbed, onTab, terminalApi, warnings, type FlowNode, type TerminalAddress } from './fixtures';

function twoTerminals(sim: TerminalAddress, second: Record<string, unknown> = {}): FlowNode[] {
  return [
    { id: 't1', type: 'jpay-terminal', name: 'till 1', host: sim.host, port: sim.port },
    { id: 't2', type: 'jpay-terminal', name: 'till 2', host: sim.host, port: sim.port, ...second },
    { id: 'a', type: 'jpay-transaction', terminal: 't1', txType: 'purchase', amount: '1000', wires: [['outA']] },
    { id: 'b', type: 'jpay-transaction', terminal: 't2', txType: 'purchase', amount: '2000', wires: [['outB']] },
    { id: 'outA', type: 'helper' },
    { id: 'outB', type: 'helper' },
    { id: 'catch', type: 'catch', scope: null, uncaught: false, wires: [['caught']] },
    { id: 'caught', type: 'helper' },
  ];
}

const CREDENTIALS = { t1: { password: PASSWORD }, t2: { password: PASSWORD } };

function payload(msg: NodeMessage): TransactionPayload {
  return msg.payload as TransactionPayload;
}

describe('nodes: config nodes on one terminal share one queue (issue 14.1)', function () {
  this.timeout(15000);
  const bed = nodeTestbed();

  it('two config nodes, one terminal, two payments at once: both approved, one after the other', async () => {
    const sim = await bed.start({ terminal: { password: PASSWORD } });
    await helper.load(ALL_NODES, onTab(twoTerminals(sim)), CREDENTIALS);
    const outA = inbox(helper.getNode('outA'));
    const outB = inbox(helper.getNode('outB'));
    const caught = inbox(helper.getNode('caught'));
    helper.getNode('a').receive({ payload: {} });
    helper.getNode('b').receive({ payload: {} });
    const [a, b] = await Promise.all([outA.next(), outB.next()]);
    assert.equal(payload(a).outcome, 'approved', JSON.stringify(payload(a)));
    assert.equal(payload(b).outcome, 'approved', JSON.stringify(payload(b)));
    assert.deepEqual([payload(a).authorizedAmount, payload(b).authorizedAmount], [1000, 2000]);
    assert.equal(caught.msgs.length, 0, JSON.stringify(caught.msgs));
    assert.equal(terminalApi('t1'), terminalApi('t2'), 'one opened terminal');
    assert.deepEqual(warnings(helper.getNode('t2')), [], 'same settings: nothing to warn about');
  });

  it('a config node whose settings differ shares the terminal and is told which settings are not used (never the values)', async () => {
    const sim = await bed.start({ terminal: { password: PASSWORD } });
    await helper.load(ALL_NODES, onTab(twoTerminals(sim, { idleTimeout: '5000' })), { t1: { password: PASSWORD }, t2: { password: '11112222' } });
    assert.equal(terminalApi('t1'), terminalApi('t2'));
    const said = warnings(helper.getNode('t2'));
    assert.equal(said.length, 1, said.join('\n'));
    // The test runtime has no catalog for the package: the key; the fields it names are the unit test's (shared-terminals).
    assert.equal(said[0], 'jpay-terminal.warn.shared-settings');
    assert.deepEqual(warnings(helper.getNode('t1')), []);
  });

  it('held by reference: removing one config node (a partial deploy) keeps the terminal for the other; the last one closes it', async () => {
    const sim = await bed.start({ terminal: { password: PASSWORD } });
    const flow = twoTerminals(sim);
    await helper.load(ALL_NODES, onTab(flow), CREDENTIALS);
    const shared = terminalApi('t2');
    const outB = inbox(helper.getNode('outB'));
    helper.getNode('b').receive({ payload: {} });
    // t1 and its node go while b's payment runs.
    await helper.setFlows(onTab(flow.filter((n) => n.id !== 't1' && n.id !== 'a')), 'nodes', CREDENTIALS);
    assert.equal(payload(await outB.next()).outcome, 'approved');
    assert.equal(terminalApi('t2'), shared, 'the same opened terminal');
    assert.equal(shared.closed, false);
    helper.getNode('b').receive({ payload: { amount: 3000 } });
    assert.equal(payload(await outB.next()).authorizedAmount, 3000);
    await helper.unload();
    assert.equal(shared.closed, true, 'the last holder closed it');
  });

  it('a DEX handler scoped to its flow answers only the payments of its flow; one for the whole terminal answers the rest', async () => {
    const sim = await bed.start({ terminal: { password: PASSWORD }, dex: { enabled: true, kernelTags: [{ name: '9F02', value: '{amount}' }] } });
    const rule = (value: string): unknown[] => [{ tag: '9F1A', value }];
    const flow: FlowNode[] = [
      { id: 'tabA', type: 'tab', label: 'A' },
      { id: 'tabB', type: 'tab', label: 'B' },
      { id: 't1', type: 'jpay-terminal', host: sim.host, port: sim.port },
      { id: 't2', type: 'jpay-terminal', host: sim.host, port: sim.port },
      { id: 'payA', type: 'jpay-transaction', z: 'tabA', terminal: 't1', txType: 'purchase', amount: '1000', wires: [['outA']] },
      { id: 'dexA', type: 'jpay-dex', z: 'tabA', terminal: 't1', mode: 'static', scope: 'flow', rules: rule('0643'), wires: [[]] },
      { id: 'outA', type: 'helper', z: 'tabA' },
      { id: 'payB', type: 'jpay-transaction', z: 'tabB', terminal: 't2', txType: 'purchase', amount: '1000', wires: [['outB']] },
      { id: 'outB', type: 'helper', z: 'tabB' },
    ];
    await helper.load([...ALL_NODES, builtNode('jpay-dex')], flow, CREDENTIALS);
    const outA = inbox(helper.getNode('outA'));
    const outB = inbox(helper.getNode('outB'));
    helper.getNode('payA').receive({ payload: {} });
    assert.equal(payload(await outA.next()).receipt?.record, '9F1A020643', "tab A's handler answered tab A's payment");
    helper.getNode('payB').receive({ payload: {} });
    assert.equal(payload(await outB.next()).receipt?.record, undefined, "tab A's handler did not answer tab B's payment");
    // A handler for the whole terminal answers tab B; tab A keeps its own.
    await helper.setFlows([...flow, { id: 'dexAll', type: 'jpay-dex', z: 'tabB', terminal: 't2', mode: 'static', rules: rule('0840'), wires: [[]] }], 'full', CREDENTIALS);
    const outB2 = inbox(helper.getNode('outB'));
    const outA2 = inbox(helper.getNode('outA'));
    helper.getNode('payB').receive({ payload: {} });
    assert.equal(payload(await outB2.next()).receipt?.record, '9F1A020840');
    helper.getNode('payA').receive({ payload: {} });
    assert.equal(payload(await outA2.next()).receipt?.record, '9F1A020643');
  });
});

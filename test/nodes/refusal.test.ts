/**
 * Every node that cannot work refuses the same way (nodes/shared/status.ts): a red ring
 * whose text is a key naming the problem, one error in the log, and every input msg ends
 * with an error whose code a Catch node sees. Never a throw at deploy.
 */
import assert from 'node:assert/strict';
import type { Node } from 'node-red';
import { builtNode, coreNode, errorOf, helper, inbox, nodeTestbed, onTab, PASSWORD, statuses, TERMINAL_ID, terminalConfig, type FlowNode } from './fixtures';

const NODES = [
  'jpay-terminal',
  'jpay-transaction',
  'jpay-report',
  'jpay-settlement',
  'jpay-admin',
  'jpay-card',
  'jpay-dex',
  'jpay-loyalty',
  'jpay-mqtt-broker',
  'jpay-publish',
  'jpay-gateway',
].map(builtNode);

interface Case {
  what: string;
  node: Record<string, unknown> & { type: string };
  status: string;
  /** The code a Catch node sees; absent for a node without input (jpay-gateway). */
  code?: string;
}

const CASES: Case[] = [
  ...['jpay-transaction', 'jpay-report', 'jpay-settlement', 'jpay-admin', 'jpay-card', 'jpay-dex', 'jpay-loyalty', 'jpay-gateway'].map(
    (type): Case => ({
      what: 'no terminal',
      node: { type, terminal: 'missing', broker: 'missing' },
      status: `${type}.status.noTerminal`,
      ...(type === 'jpay-gateway' ? {} : { code: 'JPAY_NO_TERMINAL' }),
    }),
  ),
  { what: 'a bad default amount', node: { type: 'jpay-transaction', amount: '12.50' }, status: 'jpay-transaction.status.badConfig', code: 'JPAY_VALIDATION' },
  { what: 'an unknown operation', node: { type: 'jpay-settlement', operation: 'bogus' }, status: 'jpay-settlement.status.badConfig', code: 'JPAY_VALIDATION' },
  { what: 'a bad block list', node: { type: 'jpay-card', readBlocks: 'seven' }, status: 'jpay-card.status.badConfig', code: 'JPAY_VALIDATION' },
  { what: 'a bad static rule', node: { type: 'jpay-dex', rules: [{ tag: '9F1A', value: '064' }] }, status: 'jpay-dex.status.badConfig', code: 'JPAY_VALIDATION' },
  { what: 'a bad program id', node: { type: 'jpay-loyalty', programId: '0', purses: 'points', cardKind: '1k', sector: '1' }, status: 'jpay-loyalty.status.badConfig', code: 'JPAY_VALIDATION' },
  { what: 'no broker', node: { type: 'jpay-publish', broker: 'missing' }, status: 'jpay-publish.status.noBroker', code: 'JPAY_VALIDATION' },
  { what: 'no broker', node: { type: 'jpay-gateway', broker: 'missing', terminalId: 'x' }, status: 'jpay-gateway.status.noBroker' },
];

function errorsLogged(node: Node): unknown[] {
  const spy = node.error as unknown as { getCalls?: () => { thisValue: unknown; args: unknown[] }[] };
  return (spy.getCalls?.() ?? []).filter((c) => c.thisValue === node).map((c) => c.args[0]);
}

describe('nodes: every node refuses to start the same way (real runtime)', function () {
  this.timeout(15000);
  const bed = nodeTestbed({});

  for (const c of CASES) {
    it(`${c.node.type}, ${c.what}: red ring ${c.status}, one error logged${c.code ? `, every msg to Catch with ${c.code}` : ''}`, async () => {
      const flow: FlowNode[] = [
        terminalConfig(bed.sim),
        { id: 'dut', terminal: TERMINAL_ID, wires: [[], []], ...c.node },
        { id: 'catch', type: 'catch', scope: ['dut'], uncaught: false, wires: [['caught']] },
        { id: 'caught', type: 'helper' },
      ];
      await helper.load([...NODES, coreNode('common/25-catch.js')], onTab(flow), { [TERMINAL_ID]: { password: PASSWORD } });
      const dut = helper.getNode('dut');
      assert.deepEqual(statuses(dut).at(-1), { fill: 'red', shape: 'ring', text: c.status });
      assert.equal(errorsLogged(dut).length, 1, 'the reason is logged once');
      if (!c.code) return;
      const caught = inbox(helper.getNode('caught'));
      for (const n of [1, 2]) {
        dut.receive({ payload: { amount: n } });
        const error = errorOf(await caught.next());
        assert.equal(error.code, c.code);
        assert.equal(error.source.id, 'dut');
      }
      assert.deepEqual(statuses(dut).at(-1), { fill: 'red', shape: 'ring', text: c.status }, 'the status still names the problem');
    });
  }
});

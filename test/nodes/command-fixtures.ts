/**
 * Shared by the transaction, report, settlement and admin node tests: a flow with a
 * jpay-terminal (credentials through helper.load), the node under test wired to helper
 * nodes, a Catch node, and a recorder of every msg any helper received (to scan for
 * secrets).
 */
import assert from 'node:assert/strict';
import type { NodeMessage } from 'node-red';
import { TERMINAL_ID, builtNode, coreNode, helper, inbox, onTab, terminalConfig, type FlowNode, type Inbox, type TerminalAddress } from './callback-fixtures';

export { helper, TERMINAL_ID };

export const PASSWORD = '87654321';

export const ALL_NODES = [
  builtNode('jpay-terminal'),
  builtNode('jpay-transaction'),
  builtNode('jpay-report'),
  builtNode('jpay-settlement'),
  builtNode('jpay-admin'),
  coreNode('common/25-catch.js'),
];

export interface Loaded {
  /** Output 1 of the node under test. */
  out: Inbox;
  /** Output 2 (jpay-transaction's progress). */
  progress: Inbox;
  /** What the Catch node caught. */
  caught: Inbox;
  /** Every msg any helper received, in order. */
  all: NodeMessage[];
  send(msg: NodeMessage): void;
}

/** Loads `node` (id `dut`) with its outputs wired to helpers, plus a Catch node. */
export async function loadNode(sim: TerminalAddress, node: Record<string, unknown> & { type: string }, terminal: Record<string, unknown> = {}): Promise<Loaded> {
  const flow: FlowNode[] = [
    terminalConfig(sim, terminal),
    { id: 'dut', terminal: TERMINAL_ID, wires: [['out'], ['progress']], ...node },
    { id: 'out', type: 'helper' },
    { id: 'progress', type: 'helper' },
    { id: 'catch', type: 'catch', scope: null, uncaught: false, wires: [['caught']] },
    { id: 'caught', type: 'helper' },
  ];
  await helper.load(ALL_NODES, onTab(flow), { [TERMINAL_ID]: { password: PASSWORD } });
  const all: NodeMessage[] = [];
  for (const id of ['out', 'progress', 'caught']) helper.getNode(id).on('input', (m: NodeMessage) => all.push(m));
  const dut = helper.getNode('dut');
  return {
    out: inbox(helper.getNode('out')),
    progress: inbox(helper.getNode('progress')),
    caught: inbox(helper.getNode('caught')),
    all,
    send: (msg) => dut.receive(msg),
  };
}

/** No msg carries one of the secrets, anywhere in it. */
export function assertNoSecrets(msgs: readonly NodeMessage[], secrets: readonly string[]): void {
  assert.ok(msgs.length > 0, 'some msgs were recorded');
  for (const msg of msgs) {
    const text = JSON.stringify(msg, (_k, v: unknown) => (Buffer.isBuffer(v) ? v.toString('hex') : v));
    for (const secret of secrets) assert.ok(!text.includes(secret), `a msg carries a secret: ${text.slice(0, 200)}`);
  }
}

export interface CaughtError {
  message: string;
  code?: string;
  source: { id: string; type: string };
}

export function errorOf(msg: NodeMessage): CaughtError {
  return msg.error as CaughtError;
}

/** Sockets and timers of the process, by kind (to check that a close left nothing behind). */
export function activeResources(): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const kind of process.getActiveResourcesInfo()) counts[kind] = (counts[kind] ?? 0) + 1;
  return counts;
}

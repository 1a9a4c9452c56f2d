/**
 * The node tests' fixture: the real Node-RED runtime (through node-red-node-test-helper)
 * with the BUILT nodes from dist/nodes (run `npm run build` first); a simulator per test
 * and the flow unloaded after it (nodeTestbed); flows on a tab with a jpay-terminal config
 * node pointing at the simulator (or a scripted terminal) on a random port; the node under
 * test wired to helpers and a Catch node (loadNode); small helpers to wait for msgs,
 * warnings and statuses, and to check that no msg carries a secret.
 */
import assert from 'node:assert/strict';
import type { EventEmitter } from 'node:events';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import type { Node, NodeInitializer, NodeMessage, NodeStatus } from 'node-red';
import { MAX_DEADLINE_MS } from '../../nodes/shared/flow-msg';
import type { SimulatorHandle, SimulatorOptions } from '../../lib/simulator';
import type { JpayTerminalApi } from '../../nodes/shared/terminal-api';
import { TERMINAL_API_PROPERTY } from '../../nodes/shared/terminal-lookup';
import { inbox, type Inbox } from '../helpers/node-red-flows';
import { CORE_NODES_DIR, helper } from '../helpers/node-red-runtime';
import { startTestSimulator } from '../helpers/sim-fixtures';

export { helper };

const load = createRequire(__filename);
const DIST = path.resolve(__dirname, '../../dist/nodes');

/** A node module as the build emits it (`module.exports = function (RED) {…}`). */
export function builtNode(type: string): NodeInitializer {
  const file = path.join(DIST, type, `${type}.js`);
  if (!existsSync(file)) throw new Error(`${file} is missing: run \`npm run build\` before the node tests`);
  return load(file) as NodeInitializer;
}

/** A core node module (function, change…) for flows that need one. */
export function coreNode(file: string): NodeInitializer {
  return load(path.join(CORE_NODES_DIR, file)) as NodeInitializer;
}

export const TERMINAL_ID = 'term';
/** The admin password of the terminal in the command node tests (its config node's credential). */
export const PASSWORD = '87654321';
export const TAB = 'f1';
/** The longest deadline a handler node accepts: far past every test's timeout, so a test that gets its result shows nothing waited for it. */
export const LONG_DEADLINE_MS = MAX_DEADLINE_MS;

export type FlowNode = { id: string; type: string } & Record<string, unknown>;

/**
 * A tab holding the given nodes, placed on it (the runtime takes a node without x/y for a
 * config node); the jpay-terminal config node stays global, as in a saved flow.
 */
export function onTab(nodes: FlowNode[]): FlowNode[] {
  const placed = nodes.map((n, i) => (n.type === 'jpay-terminal' ? n : { z: TAB, x: 100 + 150 * i, y: 100, ...n }));
  return [{ id: TAB, type: 'tab', label: 'test' }, ...placed];
}

/** Where the terminal is: the simulator, or a scripted terminal (`{host: '127.0.0.1', port}`). */
export type TerminalAddress = Pick<SimulatorHandle, 'host' | 'port'>;

export function terminalConfig(sim: TerminalAddress, extra: Record<string, unknown> = {}): FlowNode {
  return { id: TERMINAL_ID, type: 'jpay-terminal', name: 'sim', host: sim.host, port: sim.port, handlerTimeout: 2000, ...extra };
}

export function terminalApi(id = TERMINAL_ID): JpayTerminalApi {
  const api = (helper.getNode(id) as unknown as Record<string, unknown>)[TERMINAL_API_PROPERTY] as JpayTerminalApi | undefined;
  if (!api) throw new Error(`jpay-terminal ${id} has no API (did it fail to start?)`);
  return api;
}

// One inbox for every node test (it also drops a waiter that timed out, so a late msg is not swallowed).
export { inbox, type Inbox };

interface SpyCall {
  args: unknown[];
}

/** Resolves with the first `call:<method>` of a node (warn, error, status) that matches. */
export function nextCall(node: Node, method: 'warn' | 'error' | 'status', match: (args: unknown[]) => boolean, timeoutMs = 5000): Promise<unknown[]> {
  // The test helper emits `call:<method>` on the node after each spied call.
  const emitter = node as unknown as EventEmitter;
  return new Promise((resolve, reject) => {
    const listener = (call: SpyCall): void => {
      if (!match(call.args)) return;
      clearTimeout(timer);
      emitter.removeListener(`call:${method}`, listener);
      resolve(call.args);
    };
    const timer = setTimeout(() => {
      emitter.removeListener(`call:${method}`, listener);
      reject(new Error(`no matching ${method} within ${timeoutMs} ms`));
    }, timeoutMs);
    emitter.on(`call:${method}`, listener);
  });
}

/** Every status the node set so far (helper spies on Node.prototype.status). */
export function statuses(node: Node): NodeStatus[] {
  const spy = node.status as unknown as { getCalls?: () => SpyCall[] };
  const calls = typeof spy.getCalls === 'function' ? spy.getCalls() : [];
  return calls.filter((c) => (c as unknown as { thisValue: unknown }).thisValue === node).map((c) => c.args[0] as NodeStatus);
}

export function warnings(node: Node): string[] {
  const spy = node.warn as unknown as { getCalls?: () => SpyCall[] };
  const calls = typeof spy.getCalls === 'function' ? spy.getCalls() : [];
  return calls.filter((c) => (c as unknown as { thisValue: unknown }).thisValue === node).map((c) => String(c.args[0]));
}

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

/**
 * Sockets and timers once they are back within `before` (servers and sockets no more, at
 * most one timer more), or after twenty turns of the loop: a closed handle leaves the list
 * in the loop's close phase, a turn or two after the close that destroyed it.
 */
export async function settledResources(before: Record<string, number>): Promise<Record<string, number>> {
  const within = (now: Record<string, number>): boolean =>
    (['TCPSocketWrap', 'TCPServerWrap'] as const).every((k) => (now[k] ?? 0) <= (before[k] ?? 0)) && (now.Timeout ?? 0) <= (before.Timeout ?? 0) + 1;
  let now = activeResources();
  for (let turn = 0; turn < 20 && !within(now); turn++) {
    await new Promise((resolve) => setImmediate(resolve));
    now = activeResources();
  }
  return now;
}

export interface NodeTestbed {
  /** The running test's simulator. */
  readonly sim: SimulatorHandle;
  /** Starts the running test's simulator with these options (instead of the testbed's, closing that one). */
  start(options?: SimulatorOptions): Promise<SimulatorHandle>;
  /** Unloads the flow and closes the simulator now (what happens after each test). */
  stop(): Promise<void>;
}

/**
 * Each test's setting: before it, a simulator with `options` (none when `options` is
 * undefined: the test calls start()); after it, the flow unloaded, then the simulator closed.
 */
export function nodeTestbed(options?: SimulatorOptions): NodeTestbed {
  let sim: SimulatorHandle | undefined;
  const bed: NodeTestbed = {
    get sim(): SimulatorHandle {
      if (!sim) throw new Error('nodeTestbed: no simulator started in this test');
      return sim;
    },
    async start(more = {}) {
      await sim?.close();
      sim = await startTestSimulator(more);
      return sim;
    },
    async stop() {
      await helper.unload();
      await sim?.close();
      sim = undefined;
    },
  };
  if (options) beforeEach(() => bed.start(options));
  afterEach(() => bed.stop());
  return bed;
}

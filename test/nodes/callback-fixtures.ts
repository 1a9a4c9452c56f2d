/**
 * Shared by the jpay-card and jpay-dex node tests: the real Node-RED runtime (through
 * node-red-node-test-helper) with the BUILT nodes from dist/nodes (run `npm run build`
 * first), a jpay-terminal config node pointing at a simulator on a random port, and small
 * helpers to wait for msgs, warnings and statuses.
 */
import type { EventEmitter } from 'node:events';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import type { Node, NodeInitializer, NodeMessage, NodeStatus } from 'node-red';
import { MAX_DEADLINE_MS } from '../../lib/flow/flow-msg';
import type { SimulatorHandle } from '../../lib/simulator';
import type { JpayTerminalApi } from '../../nodes/shared/terminal-api';
import { TERMINAL_API_PROPERTY } from '../../nodes/shared/terminal-lookup';
import { CORE_NODES_DIR, helper } from '../helpers/node-red-runtime';

export { helper };

const load = createRequire(__filename);
const DIST = path.resolve(__dirname, '../../dist/nodes');

/** A node module as the build emits it (`module.exports = function (RED) {…}`). */
export function builtNode(type: string): NodeInitializer {
  const file = path.join(DIST, `${type}.js`);
  if (!existsSync(file)) throw new Error(`${file} is missing: run \`npm run build\` before the node tests`);
  return load(file) as NodeInitializer;
}

/** A core node module (function, change…) for flows that need one. */
export function coreNode(file: string): NodeInitializer {
  return load(path.join(CORE_NODES_DIR, file)) as NodeInitializer;
}

export const TERMINAL_ID = 'term';
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

export interface Inbox {
  msgs: NodeMessage[];
  /** Resolves with the next msg (or one already received and not yet taken). */
  next(timeoutMs?: number): Promise<NodeMessage>;
}

/** Every msg a helper node receives, in order. */
export function inbox(node: Node): Inbox {
  const msgs: NodeMessage[] = [];
  let taken = 0;
  const waiters: ((m: NodeMessage) => void)[] = [];
  node.on('input', (msg: NodeMessage) => {
    msgs.push(msg);
    const waiter = waiters.shift();
    if (waiter) {
      taken += 1;
      waiter(msg);
    }
  });
  return {
    msgs,
    next(timeoutMs = 5000): Promise<NodeMessage> {
      if (taken < msgs.length) return Promise.resolve(msgs[taken++]);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no msg within ${timeoutMs} ms`)), timeoutMs);
        waiters.push((m) => {
          clearTimeout(timer);
          resolve(m);
        });
      });
    },
  };
}

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

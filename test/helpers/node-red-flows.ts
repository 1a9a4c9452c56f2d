/**
 * Loads an example flow (examples/flows/*.json) into the real Node-RED runtime through
 * node-red-node-test-helper: the BUILT jpay nodes from dist/nodes (run `npm run build`
 * first) plus the core nodes the flow uses. Debug and http response nodes become helper
 * nodes (same id), so a test can wait for what they receive; the jpay-terminal, the
 * simulator's control API and the MQTT broker are pointed at the test's own services.
 */
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Node, NodeInitializer, NodeMessage } from 'node-red';
import { CORE_NODES_DIR, helper } from './node-red-runtime';

export { helper };

const load = createRequire(__filename);
const ROOT = path.resolve(__dirname, '../..');
export const EXAMPLES_DIR = path.join(ROOT, 'examples', 'flows');
const DIST_NODES = path.join(ROOT, 'dist', 'nodes');
const CORE = CORE_NODES_DIR;

/** Core node types → their module (relative to @node-red/nodes/core). */
const CORE_MODULES: Record<string, string> = {
  inject: 'common/20-inject.js',
  catch: 'common/25-catch.js',
  comment: 'common/90-comment.js',
  function: 'function/10-function.js',
  switch: 'function/10-switch.js',
  change: 'function/15-change.js',
  'http request': 'network/21-httprequest.js',
  'http in': 'network/21-httpin.js',
  'mqtt in': 'network/10-mqtt.js',
  'mqtt out': 'network/10-mqtt.js',
  'mqtt-broker': 'network/10-mqtt.js',
};
/**
 * Dashboard 2.0 (@flowfuse/node-red-dashboard, an optional peer): the examples' widgets are
 * listened on like debug nodes and its config nodes left out, so the jpay nodes of those
 * examples run without the dashboard (test/browser/operator-ui.test.ts runs them with it).
 */
const DASHBOARD_WIDGETS = ['ui-template', 'ui-chart', 'ui-table', 'ui-text', 'ui-button'];
const DASHBOARD_CONFIG = new Set(['ui-base', 'ui-page', 'ui-group', 'ui-theme']);
/** Output nodes a test listens on instead. */
const REPLACED_BY_HELPER = new Set(['debug', 'http response', ...DASHBOARD_WIDGETS]);

export type FlowNode = { id: string; type: string; name?: string; z?: string } & Record<string, unknown>;

export function exampleFiles(): string[] {
  return readdirSync(EXAMPLES_DIR)
    .filter((f) => f.endsWith('.json'))
    .sort();
}

export function readExample(file: string): FlowNode[] {
  const nodes = JSON.parse(readFileSync(path.join(EXAMPLES_DIR, file), 'utf8')) as unknown;
  if (!Array.isArray(nodes)) throw new Error(`${file}: not a top-level JSON array`);
  return nodes as FlowNode[];
}

/** The example whose file name starts with `prefix` ("02 - "). */
export function exampleFile(prefix: string): string {
  const file = exampleFiles().find((f) => f.startsWith(prefix));
  if (!file) throw new Error(`no example ${prefix}* in examples/flows`);
  return file;
}

export interface Services {
  sim: { host: string; port: number };
  /** The simulator's control API (http request nodes that call http://127.0.0.1:4435/…). */
  controlUrl?: string;
  mqtt?: { host: string; port: number };
  /** Where jpay-mqtt-broker nodes keep their outbox journal, jpay-gateway nodes their payments journal and jpay-loyalty nodes their ledger (a temporary directory). */
  journalDir?: string;
}

/** The program key the examples' jpay-loyalty nodes get as their credential in tests. */
export const TEST_LOYALTY_KEY = '7e57c0ffee0042a1b2c3d4e5f6a7b8c9';

let ledgerDir: string | undefined;
/** A temporary directory for the ledgers and journals of examples loaded without a journalDir (removed at exit). */
function defaultLedgerDir(): string {
  if (ledgerDir === undefined) {
    const dir = mkdtempSync(path.join(tmpdir(), 'jpay-example-ledgers-'));
    ledgerDir = dir;
    process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
  }
  return ledgerDir;
}

/** The example as the test runs it: pointed at the services, outputs replaced by helpers. */
export function testFlow(nodes: readonly FlowNode[], services: Services): FlowNode[] {
  return nodes.filter((n) => !DASHBOARD_CONFIG.has(n.type)).map((original) => {
    const n: FlowNode = { ...original };
    if (REPLACED_BY_HELPER.has(n.type)) return { id: n.id, type: 'helper', z: n.z, name: n.name, wires: [] };
    if (n.type === 'jpay-terminal') Object.assign(n, { host: services.sim.host, port: services.sim.port });
    // Recovery on (as the examples ship): its journal in a temporary directory, fresh for every load.
    if (n.type === 'jpay-terminal' && n.recovery !== 'off') {
      n.journalFile = path.join(services.journalDir ?? defaultLedgerDir(), `journal-${n.id}-${Date.now()}-${Math.random().toString(16).slice(2, 8)}.jsonl`);
    }
    if (n.type === 'http request' && typeof n.url === 'string' && services.controlUrl) {
      n.url = n.url.replace(/^http:\/\/(?:127\.0\.0\.1|localhost):\d+/, services.controlUrl);
    }
    if (n.type === 'mqtt-broker' && services.mqtt) Object.assign(n, { broker: services.mqtt.host, port: String(services.mqtt.port) });
    if (n.type === 'jpay-mqtt-broker' && services.mqtt) Object.assign(n, { host: services.mqtt.host, port: String(services.mqtt.port) });
    if (n.type === 'jpay-mqtt-broker' && services.journalDir) n.journalFile = path.join(services.journalDir, `outbox-${n.id}.jsonl`);
    if (n.type === 'jpay-publish' && n.journalFile === '') n.journalFile = path.join(services.journalDir ?? defaultLedgerDir(), `outbox-${n.id}-${Date.now()}.jsonl`);
    if (n.type === 'jpay-gateway' && services.journalDir) n.journalFile = path.join(services.journalDir, `gateway-${n.id}.log`);
    // A fresh ledger for every load: never one in the working directory.
    if (n.type === 'jpay-loyalty') n.ledgerFile = path.join(services.journalDir ?? defaultLedgerDir(), `ledger-${n.id}-${Date.now()}-${Math.random().toString(16).slice(2, 8)}.jsonl`);
    return n;
  });
}

function modulesFor(nodes: readonly FlowNode[]): NodeInitializer[] {
  const files = new Set<string>();
  for (const n of nodes) {
    if (n.type === 'tab' || n.type === 'helper') continue;
    if (n.type.startsWith('jpay-')) {
      const file = path.join(DIST_NODES, n.type, `${n.type}.js`);
      if (!existsSync(file)) throw new Error(`${file} is missing: run \`npm run build\` before the example tests`);
      files.add(file);
    } else if (CORE_MODULES[n.type]) {
      files.add(path.join(CORE, CORE_MODULES[n.type]));
    } else {
      throw new Error(`example uses node type "${n.type}": add its module to CORE_MODULES`);
    }
  }
  return [...files].map((f) => load(f) as NodeInitializer);
}

export interface LoadedExample {
  nodes: FlowNode[];
  /** The node (by its name in the example) — throws when there is none or more than one. */
  byName(name: string): Node;
  /** Clicks the inject node's button. */
  inject(name: string): void;
  /** What the (replaced) debug or http response node named `name` receives. */
  inbox(name: string): Inbox;
}

/** Loads the example with the terminal's admin password and the loyalty program's key as their credentials. */
export async function loadExample(file: string, services: Services, password: string, loyaltyKey = TEST_LOYALTY_KEY): Promise<LoadedExample> {
  const nodes = testFlow(readExample(file), services);
  const credentials: Record<string, { password: string } | { key: string }> = {};
  for (const n of nodes) if (n.type === 'jpay-terminal') credentials[n.id] = { password };
  for (const n of nodes) if (n.type === 'jpay-loyalty') credentials[n.id] = { key: loyaltyKey };
  await helper.load(modulesFor(nodes), nodes, credentials);
  for (const n of nodes) if (n.type === 'jpay-loyalty') await loyaltyReady(helper.getNode(n.id));
  const idOf = (name: string): string => {
    const found = nodes.filter((n) => n.name === name);
    if (found.length !== 1) throw new Error(`${file}: ${found.length} nodes named "${name}"`);
    return found[0].id;
  };
  // Every helper records from the start: a msg may arrive before the test asks for it.
  const inboxes = new Map<string, Inbox>();
  for (const n of nodes) if (n.type === 'helper') inboxes.set(n.id, inbox(helper.getNode(n.id)));
  return {
    nodes,
    byName: (name) => helper.getNode(idOf(name)),
    inject: (name) => helper.getNode(idOf(name)).receive({}),
    inbox(name) {
      const box = inboxes.get(idOf(name));
      if (!box) throw new Error(`${file}: "${name}" is not a debug or http response node`);
      return box;
    },
  };
}

interface StatusCall {
  args: unknown[];
  thisValue: unknown;
}

/** A jpay-loyalty node (layout version 2) opens its ledger before it takes cards: resolves once it did (or failed). */
function loyaltyReady(node: Node): Promise<void> {
  const spy = node.status as unknown as { getCalls?: () => StatusCall[] };
  const seen = (spy.getCalls?.() ?? []).filter((c) => c.thisValue === node).map((c) => c.args[0] as { text?: string; fill?: string });
  const settled = (s: { text?: string; fill?: string }): boolean => Object.keys(s).length === 0 || s.fill === 'red';
  const opening = seen.findIndex((s) => s.text === 'jpay-loyalty.status.openingLedger');
  if (opening < 0 || seen.slice(opening + 1).some(settled)) return Promise.resolve();
  return new Promise((resolve) => {
    const emitter = node as unknown as { on(e: string, l: (c: StatusCall) => void): void; removeListener(e: string, l: (c: StatusCall) => void): void };
    const listener = (call: StatusCall): void => {
      if (!settled(call.args[0] as { fill?: string })) return;
      emitter.removeListener('call:status', listener);
      resolve();
    };
    emitter.on('call:status', listener);
  });
}

export interface Inbox {
  msgs: NodeMessage[];
  /** The next msg not yet taken (waits up to timeoutMs). */
  next(timeoutMs?: number): Promise<NodeMessage>;
}

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
    next(timeoutMs = 8000): Promise<NodeMessage> {
      if (taken < msgs.length) return Promise.resolve(msgs[taken++]);
      return new Promise((resolve, reject) => {
        const waiter = (m: NodeMessage): void => {
          clearTimeout(timer);
          resolve(m);
        };
        const timer = setTimeout(() => {
          waiters.splice(waiters.indexOf(waiter), 1);
          reject(new Error(`${node.name || node.id}: no msg within ${timeoutMs} ms`));
        }, timeoutMs);
        waiters.push(waiter);
      });
    },
  };
}

/**
 * The tarball installed as a user would (`npm i --omit=dev <tgz>` into a fresh directory):
 * every documented import path loads (plain require() and ES import, on the Node running
 * the tests), its type declarations resolve for TypeScript users (node16, bundler and
 * node10 module resolution), the bins run, and the real Node-RED (its own binary) loads
 * every node and the editor sidebar plugin (Dashboard 2.0, an optional peer, absent), and
 * takes an approved payment from the packaged jpay-sim through a deployed flow. .ci/run runs this on Node 20 with Node-RED 4.1 and on Node 22 with Node-RED 5.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { createServer } from 'node:net';
import path from 'node:path';
import { NODE_RED_READY, NODE_RED_VERSION, resolveNodeRed } from '../helpers/node-red-runtime';
import { installTarball, packTarball, PACKAGE_NAME, PKG, ROOT, runNode, type Installed, type Packed } from './tarball';

/** The documented import paths (README, docs/) and a few names each must export. */
const DOCUMENTED: Record<string, string[]> = {
  [PACKAGE_NAME]: ['JpayClient', 'JpayValidationError', 'TransactionOutcomeUnknown', 'JpayStatusError', 'validateRequest', 'startSimulator', 'TransactionRecovery', 'createReceiptPublisher', 'ReceiptPublisher', 'OutboxError'],
  [`${PACKAGE_NAME}/recovery`]: ['TransactionRecovery', 'RecoveryPendingError', 'JournalError', 'DEFAULT_SETTLE_MS'],
  [`${PACKAGE_NAME}/simulator`]: ['startSimulator', 'TEST_CARDS', 'MAGIC_AMOUNTS', 'loadScenarioFile'],
  [`${PACKAGE_NAME}/publish`]: ['createReceiptPublisher', 'ReceiptPublisher', 'OutboxError', 'RECEIPT_MESSAGE_SCHEMA', 'terminalTopics'],
  [`${PACKAGE_NAME}/mifare`]: ['defineLayout', 'decodeCard', 'runLoyaltyCardSession', 'encodeValueBlock', 'VirtualMifareCard', 'LoyaltyKeyring', 'ShadowLedger', 'mqttClientTransport'],
  [`${PACKAGE_NAME}/gateway`]: ['createCommandGateway', 'CommandGateway', 'GatewayRequester', 'TerminalStateModel', 'GATEWAY_COMMANDS', 'TransactionStore'],
};

/** Internals that the main used to leak; none may come back. */
const INTERNAL = ['CommandRunner', 'runExchange', 'MessageDispatcher', 'ExchangeFailure', 'PacketSocket', 'CommandQueue', 'AdminSession', 'SecureSession', 'parsePacket', 'encodeFrame', 'buildRequest', 'parseResponse', 'TransactionJournal', 'Outbox'];

const REQUIRE_SCRIPT = `
const assert = require('node:assert/strict');
const documented = ${JSON.stringify(DOCUMENTED)};
const internal = ${JSON.stringify(INTERNAL)};
const main = require('${PACKAGE_NAME}');
// Loading the main loads none of the heavy parts.
const heavy = Object.keys(require.cache).filter((f) => /[\\\\/](mqtt|@noble|fast-xml-parser|qrcode-generator)[\\\\/]|[\\\\/]ajv[\\\\/]dist[\\\\/](core|ajv|compile)|[\\\\/]dist[\\\\/]lib[\\\\/](simulator|recovery|publish|gateway)[\\\\/]/.test(f));
const out = { heavy, missing: [], leaked: internal.filter((name) => name in main) };
for (const [id, names] of Object.entries(documented)) {
  const mod = require(id);
  for (const name of names) if (mod[name] === undefined) out.missing.push(id + ': ' + name);
}
// The main's lazy names are the subpaths' own values.
assert.equal(main.TransactionRecovery, require('${PACKAGE_NAME}/recovery').TransactionRecovery);
assert.equal(main.startSimulator, require('${PACKAGE_NAME}/simulator').startSimulator);
assert.equal(main.OutboxError, require('${PACKAGE_NAME}/publish').OutboxError);
out.version = require('${PACKAGE_NAME}/package.json').version;
try { require('${PACKAGE_NAME}/dist/lib/client'); out.internalPath = 'loaded'; } catch (e) { out.internalPath = e.code; }
// An encrypted payment: the key exchange loads @noble/curves, an ES module, with require().
(async () => {
  const sim = await main.startSimulator({ port: 0, activatorPort: 0, timing: { cardDelayMs: 1 } });
  let client;
  try {
    client = new main.JpayClient({ host: '127.0.0.1', port: sim.port, password: '12345678', encrypt: true });
    const result = await client.transaction({ type: 'purchase', amount: 1500 });
    out.encryptedApproved = result.approved;
    out.nobleLoaded = Object.keys(require.cache).some((f) => /[\\\\/]@noble[\\\\/]curves[\\\\/]/.test(f));
  } finally {
    await client?.close();
    await sim.close();
  }
  process.stdout.write(JSON.stringify(out));
})().catch((e) => { console.error(e); process.exitCode = 1; });
`;

const IMPORT_SCRIPT = `
${Object.entries(DOCUMENTED)
  .map(([id, names], i) => `import { ${names.map((n) => `${n} as m${i}_${n}`).join(', ')} } from '${id}';`)
  .join('\n')}
const values = [${Object.entries(DOCUMENTED)
  .flatMap(([, names], i) => names.map((n) => `m${i}_${n}`))
  .join(', ')}];
process.stdout.write(String(values.filter((v) => v === undefined).length));
`;

const CONSUMER_TS = `
import {
  JpayClient,
  JpayValidationError,
  TransactionOutcomeUnknown,
  TransactionRecovery,
  createReceiptPublisher,
  startSimulator,
  type ReceiptPublisher,
  type Receipt,
  type TransactionResult,
} from '${PACKAGE_NAME}';
import { TransactionRecovery as Recovery, type RecoveryResult } from '${PACKAGE_NAME}/recovery';
import { startSimulator as start, TEST_CARDS, type SimulatorHandle } from '${PACKAGE_NAME}/simulator';
import { createReceiptPublisher as create, RECEIPT_MESSAGE_SCHEMA, type ReceiptMessage } from '${PACKAGE_NAME}/publish';
import { defineLayout, encodeValueBlock, VirtualMifareCard } from '${PACKAGE_NAME}/mifare';
import { createCommandGateway, GatewayRequester, type GatewayAnswer, type TerminalStateSnapshot } from '${PACKAGE_NAME}/gateway';

export async function sale(host: string): Promise<Receipt | undefined> {
  const client = new JpayClient({ host });
  try {
    const result: TransactionResult = await client.transaction({ type: 'purchase', amount: 12300 });
    return result.receipt;
  } catch (error) {
    if (error instanceof JpayValidationError || error instanceof TransactionOutcomeUnknown) throw error;
    throw error;
  } finally {
    await client.close();
  }
}

export async function recoverAll(client: JpayClient): Promise<RecoveryResult[]> {
  const recovery: TransactionRecovery = await TransactionRecovery.open('/tmp/journal');
  return recovery.recover(client);
}

export const same: boolean = Recovery === TransactionRecovery && start === startSimulator && create === createReceiptPublisher;
export let sim: SimulatorHandle | undefined;
export let publisher: ReceiptPublisher | undefined;
export let message: ReceiptMessage | undefined;
export const things: unknown[] = [TEST_CARDS, RECEIPT_MESSAGE_SCHEMA, defineLayout, encodeValueBlock, VirtualMifareCard, createCommandGateway, GatewayRequester];
export let answer: GatewayAnswer | undefined;
export let state: TerminalStateSnapshot | undefined;
`;

const RESOLUTIONS: Record<string, Record<string, string>> = {
  node16: { module: 'node16', moduleResolution: 'node16' },
  bundler: { module: 'esnext', moduleResolution: 'bundler' },
  node10: { module: 'commonjs', moduleResolution: 'node10' },
};

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

interface Started {
  child: ChildProcessWithoutNullStreams;
  output(): string;
  /** Resolves with the first match of `pattern` in the output written after `from` (a length of output()). */
  waitFor(pattern: RegExp, from?: number): Promise<RegExpMatchArray>;
}

/** Starts a program (with this Node) and resolves once its output matches `ready`. */
async function startUntil(args: string[], cwd: string, ready: RegExp): Promise<Started & { match: RegExpMatchArray }> {
  const child = spawn(process.execPath, args, { cwd, stdio: ['pipe', 'pipe', 'pipe'] });
  let output = '';
  const waitFor = (pattern: RegExp, from = 0): Promise<RegExpMatchArray> =>
    new Promise((resolve, reject) => {
      const check = (): void => {
        const match = output.slice(from).match(pattern);
        if (!match) return;
        child.stdout.off('data', check);
        child.stderr.off('data', check);
        child.off('exit', exited);
        resolve(match);
      };
      const exited = (code: number | null): void => reject(new Error(`${path.basename(args[0])} exited (${code}) before ${pattern}:\n${output}`));
      child.stdout.on('data', check);
      child.stderr.on('data', check);
      child.once('exit', exited);
      check();
    });
  const collect = (chunk: Buffer): void => void (output += chunk.toString('utf8'));
  child.stdout.on('data', collect);
  child.stderr.on('data', collect);
  const match = await waitFor(ready);
  return { child, match, output: () => output, waitFor };
}

async function stop(child: ChildProcessWithoutNullStreams | undefined): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await exited;
}

function http(method: string, url: string, body?: unknown, headers: Record<string, string> = {}): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const data = body === undefined ? undefined : JSON.stringify(body);
    const req = request(url, { method, headers: { accept: 'application/json', ...(data ? { 'content-type': 'application/json' } : {}), ...headers } }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
    });
    req.once('error', reject);
    req.end(data);
  });
}

describe(`package: installed from the tarball (Node ${process.version}, Node-RED ${NODE_RED_VERSION})`, function () {
  this.timeout(180_000);
  let packed: Packed | undefined;
  let installed: Installed;

  before(() => {
    packed = packTarball();
    installed = installTarball(packed.tarball);
  });
  after(() => {
    installed?.cleanup();
    packed?.cleanup();
  });

  it('require(): every documented path, nothing internal, nothing heavy at load; an encrypted payment (require of ES modules)', () => {
    const out = JSON.parse(runNode(installed.dir, ['-e', REQUIRE_SCRIPT])) as Record<string, unknown>;
    assert.deepEqual(out.missing, []);
    assert.deepEqual(out.leaked, [], 'internals exported by the main');
    assert.deepEqual(out.heavy, [], 'modules loaded by require() of the main alone');
    assert.equal(out.version, PKG.version);
    assert.equal(out.internalPath, 'ERR_PACKAGE_PATH_NOT_EXPORTED');
    assert.equal(out.encryptedApproved, true);
    assert.equal(out.nobleLoaded, true);
  });

  it('import: every documented path from an ES module', () => {
    assert.equal(runNode(installed.dir, ['--input-type=module', '-e', IMPORT_SCRIPT]), '0');
  });

  for (const [name, options] of Object.entries(RESOLUTIONS)) {
    it(`types: a TypeScript program against the installed package compiles (moduleResolution ${name})`, () => {
      writeFileSync(path.join(installed.dir, 'consumer.ts'), CONSUMER_TS);
      const config = {
        compilerOptions: {
          ...options,
          target: 'ES2022',
          strict: true,
          noEmit: true,
          skipLibCheck: false,
          esModuleInterop: true,
          types: ['node'],
          typeRoots: [path.join(ROOT, 'node_modules', '@types')],
        },
        files: ['consumer.ts'],
      };
      writeFileSync(path.join(installed.dir, `tsconfig.${name}.json`), JSON.stringify(config, null, 2));
      runNode(installed.dir, [require.resolve('typescript/bin/tsc'), '-p', `tsconfig.${name}.json`]);
    });
  }

  it('bins: jpay --version and jpay-sim --version print the package version, jpay-sim --help its usage', () => {
    const bin = (name: string): string => path.join(installed.packageDir, PKG.bin[name]);
    assert.equal(runNode(installed.dir, [bin('jpay'), '--version']).trim(), PKG.version);
    assert.equal(runNode(installed.dir, [bin('jpay-sim'), '--version']).trim(), PKG.version);
    assert.match(runNode(installed.dir, [bin('jpay-sim'), '--help']), /^Usage: jpay-sim/);
  });

  it(`Node-RED ${NODE_RED_VERSION} loads every node and the sidebar plugin without error (the dashboard not installed with them), and a deployed flow takes an approved payment from the packaged jpay-sim`, async () => {
    let sim: ChildProcessWithoutNullStreams | undefined;
    let red: ChildProcessWithoutNullStreams | undefined;
    try {
      const simulator = await startUntil(
        [path.join(installed.packageDir, PKG.bin['jpay-sim']), '-p', '0', '--activator-port', '0', '--no-control', '--card-delay', '5'],
        installed.dir,
        /listening on 127\.0\.0\.1:(\d+)/,
      );
      sim = simulator.child;
      const simPort = Number(simulator.match[1]);

      const port = await freePort();
      writeFileSync(path.join(installed.dir, 'flows.json'), '[]');
      const started = await startUntil(
        [resolveNodeRed('node-red/red.js'), '--userDir', installed.dir, '--port', String(port), 'flows.json'],
        installed.dir,
        NODE_RED_READY,
      );
      red = started.child;
      const base = `http://127.0.0.1:${port}`;

      const nodes = JSON.parse((await http('GET', `${base}/nodes`)).body) as { module: string; types: string[]; enabled: boolean; err?: string }[];
      const ours = nodes.filter((set) => set.module === PACKAGE_NAME);
      assert.deepEqual(ours.map((set) => set.err).filter(Boolean), [], 'node sets that failed to load');
      assert.ok(ours.every((set) => set.enabled));
      assert.deepEqual(ours.flatMap((set) => set.types).sort(), Object.keys(PKG['node-red'].nodes).sort());
      // The editor sidebar plugin (plugins/jpay-sidebar) is registered; Dashboard 2.0, an optional peer, is not installed.
      const plugins = JSON.parse((await http('GET', `${base}/plugins`)).body) as { id: string; enabled: boolean; err?: string; plugins: { id: string }[] }[];
      const sidebar = plugins.find((set) => set.id === `${PACKAGE_NAME}/jpay-sidebar`);
      assert.ok(sidebar, `the jpay-sidebar plugin is not loaded: ${JSON.stringify(plugins)}`);
      assert.equal(sidebar.err, undefined);
      assert.deepEqual(sidebar.plugins.map((p) => p.id), ['jpay-sidebar']);
      assert.match((await http('GET', `${base}/plugins`, undefined, { accept: 'text/html' })).body, /RED\.sidebar\.addTab/, 'the plugin\'s editor part is served');
      assert.equal(existsSync(path.join(installed.dir, 'node_modules', '@flowfuse', 'node-red-dashboard')), false, 'the dashboard came with the package');

      const flow = [
        { id: 'smoke', type: 'tab', label: 'smoke' },
        { id: 'term', type: 'jpay-terminal', name: 'jpay-sim', host: '127.0.0.1', port: simPort, encrypt: false, language: 'auto' },
        { id: 'in', type: 'http in', z: 'smoke', url: '/jpay-smoke', method: 'get', wires: [['set']] },
        { id: 'set', type: 'change', z: 'smoke', rules: [{ t: 'set', p: 'payload', pt: 'msg', to: '{"type":"purchase","amount":1500}', tot: 'json' }], wires: [['pay']] },
        { id: 'pay', type: 'jpay-transaction', z: 'smoke', terminal: 'term', txType: 'purchase', wires: [['out'], [], []] },
        { id: 'out', type: 'http response', z: 'smoke', wires: [] },
        { id: 'catch', type: 'catch', z: 'smoke', scope: null, wires: [['fail']] },
        {
          id: 'fail',
          type: 'change',
          z: 'smoke',
          rules: [
            { t: 'set', p: 'statusCode', pt: 'msg', to: '500', tot: 'num' },
            { t: 'set', p: 'payload', pt: 'msg', to: 'error', tot: 'msg' },
          ],
          wires: [['out']],
        },
      ];
      const before = started.output().length;
      const deployed = await http('POST', `${base}/flows`, flow, { 'node-red-deployment-type': 'full' });
      assert.ok(deployed.status === 200 || deployed.status === 204, `deploy answered ${deployed.status}: ${deployed.body}`);
      // The deploy answers once the flows are saved; they start just after.
      await started.waitFor(/Started flows/, before);

      const paid = await http('GET', `${base}/jpay-smoke`);
      assert.equal(paid.status, 200, `${paid.body}\n${started.output()}`);
      const payload = JSON.parse(paid.body) as { status: string; approved: boolean; receipt?: { amountAuthorized?: number } };
      assert.equal(payload.status, 'ok');
      assert.equal(payload.approved, true);
      assert.equal(payload.receipt?.amountAuthorized, 1500);
      // The sidebar's board lists the deployed terminal with the payment's receipt.
      const board = JSON.parse((await http('GET', `${base}/jpay/terminals`)).body) as { terminals: { id: string; state: { state: string }; receipts: { amount: number }[] }[] };
      assert.deepEqual(board.terminals.map((t) => [t.id, t.state.state, t.receipts[0]?.amount]), [['term', 'online', 1500]]);
      assert.doesNotMatch(started.output(), /\[error\]|Waiting for missing types/);
    } finally {
      await stop(red);
      await stop(sim);
    }
  });
});

/**
 * The package as a user loads it: `main` (dist/lib/index.js, CommonJS, built by
 * `npm run build`) with plain `require()` on the Node running the tests, and the request
 * validators the build generates (ajv standalone) from lib/protocol/schemas.ts.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { CommandName } from '../../lib/protocol/types';
import { assertReceiptMessage } from '../../lib/publish/schema';
import { validateFault, validateMifareCard, validateOutcome, validateScenario } from '../../lib/simulator/scenario';
import { findRequestProblem, validateFields } from '../../lib/protocol/validation';
import type * as Validation from '../../lib/protocol/validation';

const ROOT = path.resolve(__dirname, '../..');
const pkg = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { main: string };
const DIST_VALIDATORS = path.join(ROOT, 'dist', 'lib', 'protocol', 'request-validators.js');

const TOKEN = 'DE9773A8CB888560AB0F89C07623FE03';

/** Valid and invalid parameters of every kind of rule: types, patterns, ranges, if/then/else, unknown fields. */
const CASES: [string, unknown][] = [
  ['login', { password: '12345678' }],
  ['login', { password: '1234' }],
  ['login', {}],
  ['login', { password: '12345678', clientHandshake: 'not base64!' }],
  ['logout', { token: TOKEN }],
  ['logout', { token: 'xyz' }],
  ['changepassword', { token: TOKEN, password: '12345678' }],
  ['transaction', { type: 'purchase', amount: 100 }],
  ['transaction', { type: 'purchase', amount: 1.5 }],
  ['transaction', { type: 'purchase', amount: -1 }],
  ['transaction', { type: 'purchase' }],
  ['transaction', { type: 'sale', amount: 1 }],
  ['transaction', { type: 'purchase', amount: 1, amountOther: 1 }],
  ['transaction', { type: 'purchase-with-cashback', amount: 1 }],
  ['transaction', { type: 'void' }],
  ['transaction', { type: 'void', number: 'first' }],
  ['transaction', { type: 'void', number: 'last' }],
  ['transaction', { type: 'refund', amount: 1, rrn: '123' }],
  ['transaction', { type: 'refund', amount: 1, rrn: '123', sbp: true }],
  ['transaction', { type: 'purchase', amount: 1, forced: true }],
  ['transaction', { type: 'purchase', amount: 1, manual: { pan: '4000000010000001', expiry: '2612' } }],
  ['transaction', { type: 'purchase', amount: 1, manual: { pan: '4000000010000001', expiry: '2613' }, password: '12345678' }],
  ['transaction', { type: 'purchase', amount: 1, password: '12345678' }],
  ['transaction', { type: 'void', number: 1, sbp: true }],
  ['transaction', { type: 'purchase', amount: 1, colour: 'red' }],
  ['report', { password: '12345678', reportType: 'weekly' }],
  ['resetpassword', undefined],
  ['sethostkey', { token: TOKEN, name: 'k\u0001', material: 'QUJDRA==' }],
  ['nosuchcommand', {}],
  ['transaction', 'not an object'],
];

describe('package entry (the built main, loaded by plain require)', () => {
  it('exports the client, the errors and the protocol objects; the simulator, recovery and publisher load only when read', () => {
    const script = `
      const lib = require(${JSON.stringify(path.join(ROOT, pkg.main))});
      const loaded = () => Object.keys(require.cache);
      const heavy = (files) => files.filter((f) => /[\\\\/](mqtt|@noble|fast-xml-parser)[\\\\/]|[\\\\/]dist[\\\\/]lib[\\\\/](simulator|recovery|publish)[\\\\/]/.test(f));
      const atLoad = heavy(loaded());
      const names = ['JpayClient', 'JpayValidationError', 'TransactionOutcomeUnknown', 'validateRequest', 'describeStatus', 'startSimulator', 'TransactionRecovery', 'createReceiptPublisher'];
      const missing = names.filter((n) => typeof lib[n] !== 'function');
      const internal = ['CommandRunner', 'runExchange', 'MessageDispatcher', 'ExchangeFailure', 'parsePacket', 'encodeFrame'].filter((n) => n in lib);
      const nodeRed = loaded().filter((f) => /[\\\\/]node-red[\\\\/]|@node-red/.test(f));
      process.stdout.write(JSON.stringify({ atLoad, afterUse: heavy(loaded()).length > 0, missing, internal, nodeRed }));
    `;
    const out = JSON.parse(execFileSync(process.execPath, ['-e', script], { cwd: ROOT, encoding: 'utf8' })) as Record<string, unknown>;
    assert.deepEqual(out.atLoad, [], 'heavy modules loaded by require() of the main');
    assert.equal(out.afterUse, true, 'reading the lazy names loads their modules');
    assert.deepEqual(out.missing, []);
    assert.deepEqual(out.internal, [], 'internals exported by the main');
    assert.deepEqual(out.nodeRed, [], 'the library pulls in no Node-RED module');
  });

  it("Node-RED's registration of every node and the plugin loads only the registration files: each type's code comes with its first node", () => {
    const script = `
      const pkg = require(${JSON.stringify(path.join(ROOT, 'package.json'))});
      const types = {};
      const listeners = {};
      let flows = [];
      const flowsStarted = () => (listeners['flows:started'] ?? []).forEach((fn) => fn());
      const RED = {
        nodes: { registerType: (type, ctor) => (types[type] = ctor), createNode: () => undefined, eachNode: (fn) => flows.forEach(fn), getNode: () => null },
        plugins: { registerPlugin: () => undefined },
        events: { on: (event, fn) => (listeners[event] ??= []).push(fn) },
        auth: { needsPermission: () => () => undefined },
        httpAdmin: { get: () => undefined, post: () => undefined },
        comms: { publish: () => undefined },
        settings: {},
        _: (key) => key,
      };
      const entries = [...Object.values(pkg['node-red'].nodes), ...Object.values(pkg['node-red'].plugins)];
      const before = new Set(Object.keys(require.cache));
      for (const file of entries) require(${JSON.stringify(ROOT)} + '/' + file)(RED);
      const ours = () => Object.keys(require.cache).filter((f) => !before.has(f)).map((f) => f.slice(${JSON.stringify(ROOT)}.length + 1));
      const atStart = ours();
      // A jpay-report node is created (without a terminal it refuses to start): its code loads now.
      const node = { on: () => undefined, status: () => undefined, error: () => undefined, warn: () => undefined, log: () => undefined };
      // Flows without the package's nodes start: the sidebar's board stays unloaded.
      flows = [{ id: 'f1', type: 'inject' }];
      flowsStarted();
      const afterOtherFlows = ours().filter((f) => !atStart.includes(f));
      types['jpay-report'].call(node, { id: 'r1', type: 'jpay-report', terminal: '' });
      const afterNode = ours().filter((f) => !atStart.includes(f));
      // Flows with one of them: the board loads.
      flows = [{ id: 'r1', type: 'jpay-report' }];
      flowsStarted();
      const afterJpayFlows = ours().filter((f) => !atStart.includes(f) && !afterNode.includes(f));
      process.stdout.write(JSON.stringify({ atStart, entries, afterOtherFlows, afterNode, afterJpayFlows }));
    `;
    const out = JSON.parse(execFileSync(process.execPath, ['-e', script], { cwd: ROOT, encoding: 'utf8' })) as Record<'atStart' | 'entries' | 'afterOtherFlows' | 'afterNode' | 'afterJpayFlows', string[]>;
    const registration = new Set([...out.entries, 'dist/nodes/shared/register.js']);
    assert.deepEqual(out.atStart.filter((f) => !registration.has(f)), [], 'modules loaded while Node-RED registers the package');
    assert.ok(out.afterNode.includes('dist/nodes/jpay-report/runtime.js'), `the first jpay-report node loads its code: ${out.afterNode.join(', ')}`);
    assert.deepEqual(out.afterOtherFlows, [], 'flows without jpay nodes load nothing of the package');
    assert.ok(out.afterJpayFlows.includes('dist/plugins/jpay-sidebar/runtime.js'), `flows with a jpay node load the sidebar's board: ${out.afterJpayFlows.join(', ')}`);
  });

  it('the built request validators are ajv standalone code, and decide exactly as the schemas do', () => {
    const generated = readFileSync(DIST_VALIDATORS, 'utf8');
    assert.match(generated, /ajv standalone/);
    const requires = [...generated.matchAll(/require\("([^"]+)"\)/g)].map((m) => m[1]);
    assert.ok(requires.every((r) => r.startsWith('ajv/dist/runtime/')), `the generated code requires only ajv's runtime helpers: ${requires.join(', ')}`);
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const built = require(path.join(ROOT, 'dist', 'lib', 'protocol', 'validation.js')) as typeof Validation;
    for (const [command, params] of CASES) {
      assert.deepEqual(built.findRequestProblem(command, params), findRequestProblem(command, params), `${command} ${JSON.stringify(params)}`);
      // The field validators (each field's own rule, the editor defaults' check): the same errors from both.
      const fieldsError = (validate: typeof validateFields): string | undefined => {
        try {
          validate(command as CommandName, params as Record<string, unknown>);
          return undefined;
        } catch (error) {
          return (error as Error).message;
        }
      };
      assert.equal(fieldsError(built.validateFields), fieldsError(validateFields), `fields of ${command} ${JSON.stringify(params)}`);
    }
    assert.throws(() => built.validateFields('transaction', { amount: 0 }), (e: unknown) => (e as { field?: unknown }).field === 'amount');
    built.validateFields('transaction', { rrn: '232796' });
  });

  it('the scenario and receipt validators are built standalone too: no ajv compiler at run time, the same decisions', () => {
    const script = `
      const scenario = require(${JSON.stringify(path.join(ROOT, 'dist/lib/simulator/scenario.js'))});
      const receipt = require(${JSON.stringify(path.join(ROOT, 'dist/lib/publish/schema.js'))});
      const messages = [];
      for (const run of [() => scenario.validateScenario({ cards: 5 }), () => scenario.validateOutcome({ bogus: 1 }), () => scenario.validateFault({}), () => scenario.validateMifareCard({ uid: 'xyz' }), () => receipt.assertReceiptMessage({ format: 'x' })]) {
        try { run(); messages.push(null); } catch (e) { messages.push(e.message); }
      }
      const compiler = Object.keys(require.cache).filter((f) => /[\\/]ajv[\\/]dist[\\/](ajv|core)\\.js$|[\\/]ajv[\\/]dist[\\/]compile[\\/]/.test(f));
      process.stdout.write(JSON.stringify({ messages, compiler }));
    `;
    const out = JSON.parse(execFileSync(process.execPath, ['-e', script], { cwd: ROOT, encoding: 'utf8' })) as { messages: (string | null)[]; compiler: string[] };
    assert.deepEqual(out.compiler, [], 'ajv compiles nothing at run time');
    const source: (string | null)[] = [];
    for (const run of [
      () => validateScenario({ cards: 5 }),
      () => validateOutcome({ bogus: 1 }),
      () => validateFault({}),
      () => validateMifareCard({ uid: 'xyz' }),
      () => assertReceiptMessage({ format: 'x' }),
    ]) {
      try {
        run();
        source.push(null);
      } catch (error) {
        source.push((error as Error).message);
      }
    }
    assert.deepEqual(out.messages, source);
    assert.ok(source.every((m) => m !== null), 'every case is refused');
  });
});

/**
 * Secret scan: every example flow (real runtime, built nodes), the `jpay` CLI (child
 * process) and the library client + MQTT receipt publisher run against the simulator in
 * ENCRYPTED sessions — so the terminal sends `plain-text-pan` — and everything they
 * produce is searched for full PANs, the admin passwords, tokens, session keys and key
 * material (the SAM host key, the loyalty program key): node msgs (sent and received), statuses, node and runtime logs, debug output,
 * the process's stdout/stderr, CLI stdout/stderr, the simulator's log lines and events,
 * MQTT payloads (a real mosquitto, subscribed to `#`, and the example's own broker), and
 * every file written (temp dirs, the Node-RED user dir, journals, the simulator log, the
 * broker's store; changed repository files for passwords and tokens). 0 hits.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { NodeMessage } from 'node-red';
import { JpayClient } from '../../lib/client';
import { JpayValidationError } from '../../lib/errors';
import type { Receipt } from '../../lib/protocol/types';
import { createReceiptPublisher, type ReceiptPublisher } from '../../lib/publish';
import { TEST_CARDS, type SimulatorHandle, type SimulatorOptions } from '../../lib/simulator';
import { startMosquitto, TestSubscriber, type MosquittoBroker } from '../helpers/mosquitto';
import { exampleFile, exampleFiles, helper, loadExample } from '../helpers/node-red-flows';
import { startTestBroker, type TestBroker } from '../helpers/node-red-mqtt';
import { startTestSimulator } from '../helpers/sim-fixtures';
import { runCli, type CliRun } from './cli-runner';
import { EXAMPLE_RUNS, GENERIC_RUN, type ExampleRun } from './example-runs';
import { NodeRedCapture } from './node-red-capture';
import { SecretScanner, textOf } from './scanner';

/** Distinctive admin passwords (8 digits, as the terminal wants): flows, CLI after changepassword, a wrong one. */
const FLOW_PASSWORD = '73195428';
const CLI_PASSWORD = '64082917';
const WRONG_PASSWORD = '19283746';
const DEFAULT_PASSWORD = '12345678';
/** A Luhn-valid PAN that is no test card: typed into `jpay manual`. */
const MANUAL_PAN = '4000056655665556';
const HOST_KEY = randomBytes(16).toString('base64');
/** The loyalty program's key (layout v2): a credential of the examples' jpay-loyalty nodes. */
const LOYALTY_KEY = randomBytes(16).toString('hex');
const ROOT = path.resolve(__dirname, '../..');

interface Recorded {
  source: string;
  text: string;
}

describe('security: secret scan (encrypted sessions: example flows, CLI, MQTT, files)', function () {
  this.timeout(240_000);
  const scanner = new SecretScanner();
  const recorded: Recorded[] = [];
  /** Node-RED's message ids seen in what was recorded: 16 random hex digits (see the allowed runs). */
  const messageIds = new Set<string>();
  const record = (source: string, text: string): void => {
    for (const m of text.matchAll(/"_?msgid":"([0-9a-f]{16})"/g)) messageIds.add(m[1]);
    recorded.push({ source, text });
  };
  const receipts: { from: string; receipt: Receipt }[] = [];
  const started = Date.now();
  let scannedUpTo = 0;
  let dir: string;
  let savedTmp: string | undefined;
  let mosquitto: MosquittoBroker;
  let subscriber: TestSubscriber;
  const sims: SimulatorHandle[] = [];
  const counts = { transactions: 0, encryptedTransactions: 0, logins: 0 };

  /** Scans what was recorded since the last call; the hits of this step. */
  function scanRecorded(): string[] {
    const before = scanner.hits.length;
    for (const { source, text } of recorded.slice(scannedUpTo)) scanner.scan(source, text);
    scannedUpTo = recorded.length;
    return scanner.hits.slice(before).map((h) => `${h.kind} in ${h.source}: …${h.context}…`);
  }

  /** A simulator whose tokens and session keys become secrets, and whose log lines and events are recorded. */
  async function simulator(label: string, options: SimulatorOptions): Promise<SimulatorHandle> {
    const lines: string[] = [];
    const sim = await startTestSimulator({
      ...options,
      logFile: path.join(dir, `sim-${label}.json`),
      logger: (line) => lines.push(line),
    });
    const terminal = (sim as unknown as { t: { token?: string; sessionKey?: Buffer } }).t;
    sim.on('event', (e) => {
      record(`sim-event:${label}`, JSON.stringify(e));
      if (e.type === 'command' && e.command === 'login' && e.status === 'ok') {
        counts.logins += 1;
        if (terminal.token) {
          scanner.addSecret('token', terminal.token);
          scanner.addSecret('token', terminal.token.toLowerCase());
        }
        if (terminal.sessionKey) scanner.addBinarySecret('session key', terminal.sessionKey);
      }
      if (e.type === 'command' && e.command === 'transaction') {
        counts.transactions += 1;
        if (e.encrypted) counts.encryptedTransactions += 1;
      }
    });
    sims.push(sim);
    const close = sim.close.bind(sim);
    sim.close = async () => {
      await close();
      for (const line of lines) record(`sim-log:${label}`, line);
    };
    return sim;
  }

  /** Writes of this process to stdout/stderr while `work` runs (passed through). */
  async function capturingOutput<T>(label: string, work: () => Promise<T>): Promise<T> {
    const streams = [process.stdout, process.stderr] as const;
    const originals = streams.map((s) => s.write.bind(s));
    streams.forEach((s, i) => {
      s.write = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
        record(`process-${i === 0 ? 'stdout' : 'stderr'}:${label}`, typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'));
        return (originals[i] as (c: string | Uint8Array, ...r: unknown[]) => boolean)(chunk, ...rest);
      }) as typeof s.write;
    });
    try {
      return await work();
    } finally {
      streams.forEach((s, i) => (s.write = originals[i] as typeof s.write));
    }
  }

  before(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'jpay-secret-scan-'));
    // The broker drops to its own user: it must be able to reach its directory inside ours.
    chmodSync(dir, 0o755);
    savedTmp = process.env.TMPDIR;
    // Whatever this process writes to the temp dir lands in ours (os.tmpdir() reads TMPDIR).
    mkdirSync(path.join(dir, 'tmp'), { mode: 0o777 });
    chmodSync(path.join(dir, 'tmp'), 0o777);
    process.env.TMPDIR = path.join(dir, 'tmp');
    helper.settings({ userDir: path.join(dir, 'node-red') });
    for (const card of TEST_CARDS) scanner.addPan(card.pan);
    scanner.addPan(MANUAL_PAN);
    for (const p of [FLOW_PASSWORD, CLI_PASSWORD, WRONG_PASSWORD]) scanner.addSecret('admin password', p);
    scanner.addSecret('host key material', HOST_KEY);
    scanner.addBinarySecret('host key material', Buffer.from(HOST_KEY, 'base64'));
    scanner.addBinarySecret('loyalty program key', Buffer.from(LOYALTY_KEY, 'hex'));
    // Epoch-millisecond timestamps (13 digits, e.g. an inject node's payload) are not PANs:
    // allowed only within the run's own time window.
    scanner.allowRun((run) => run.length === 13 && Number(run) >= started - 3_600_000 && Number(run) <= Date.now() + 3_600_000);
    // A message id made only of decimal digits (about one in 2,000) is Luhn-valid one time in
    // ten: allowed as the id it is, where the record shows it as `msgid` / `_msgid`.
    scanner.allowRun((run) => messageIds.has(run));
    mosquitto = await startMosquitto();
    subscriber = await TestSubscriber.connect(mosquitto.url, ['#']);
  });

  after(async () => {
    await helper.unload().catch(() => undefined);
    for (const sim of sims) await sim.close();
    await subscriber?.close();
    await mosquitto?.dispose();
    helper.settings({});
    if (savedTmp === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = savedTmp;
    rmSync(dir, { recursive: true, force: true });
  });

  it('the scanner finds each kind of secret (positive control)', () => {
    const probe = new SecretScanner();
    probe.addPan('4111111111111111');
    probe.addSecret('admin password', FLOW_PASSWORD);
    probe.addSecret('token', 'ABCDEF0123456789ABCDEF0123456789');
    probe.scan('probe:pan', '{"pan":"4111111111111111"}');
    probe.scan('probe:grouped', 'card 5555 5555 5555 4444 ok');
    probe.scan('probe:unknown-pan', 'x=6011111111111117;');
    probe.scan('probe:hex', Buffer.from('4111111111111111').toString('hex'));
    probe.scan('probe:password', `login ${FLOW_PASSWORD}`);
    probe.scan('probe:token', 'token=ABCDEF0123456789ABCDEF0123456789');
    probe.addBinarySecret('loyalty program key', Buffer.from(LOYALTY_KEY, 'hex'));
    probe.scan('probe:loyalty-key', `{"key":"${LOYALTY_KEY.toUpperCase()}"}`);
    probe.scan('probe:clean', 'pan ************1111, rrn 633223116908, amount 000000012300, masked 411111******1111');
    assert.deepEqual(
      probe.hits.map((h) => h.source),
      ['probe:pan', 'probe:grouped', 'probe:unknown-pan', 'probe:hex', 'probe:password', 'probe:token', 'probe:loyalty-key'],
      probe.report(),
    );
  });

  it('every example flow, encrypted: no secret in any msg, status, node or runtime log, debug output', async () => {
    const capture = new NodeRedCapture(record);
    const load = helper.load.bind(helper);
    // The examples' terminal, switched to an encrypted session.
    helper.load = ((nodes: unknown, flow: { type: string }[], ...rest: unknown[]) =>
      (load as (...args: unknown[]) => Promise<void>)(nodes, flow.map((n) => (n.type === 'jpay-terminal' ? { ...n, encrypt: true } : n)), ...rest)) as typeof helper.load;
    try {
      const runs: ExampleRun[] = exampleFiles().map((file) => EXAMPLE_RUNS.find((r) => file.startsWith(r.prefix)) ?? { prefix: file, ...GENERIC_RUN });
      for (const run of runs) {
        const file = exampleFile(run.prefix);
        const sim = await simulator(run.prefix.slice(0, 2), { ...run.simulator, terminal: { password: FLOW_PASSWORD } });
        let broker: TestBroker | undefined;
        const journalDir = run.mqtt ? mkdtempSync(path.join(tmpdir(), 'jpay-scan-outbox-')) : undefined;
        if (run.mqtt) {
          broker = await startTestBroker();
          broker.broker.on('publish', (packet) => record(`example-mqtt:${run.prefix}${packet.topic}`, Buffer.from(packet.payload).toString('utf8')));
        }
        capture.start(file);
        try {
          await capturingOutput(file, async () => {
            const subscribed = broker && Promise.all((run.subscriptions ?? ['jpay/+/receipt']).map((topic) => broker?.subscribed(topic)));
            const flow = await loadExample(file, { sim, controlUrl: sim.controlUrl, mqtt: broker, journalDir }, FLOW_PASSWORD, LOYALTY_KEY);
            await subscribed;
            const pressed = new Set<string>();
            const out: NodeMessage[] = await run.run(flow, sim, (name) => {
              pressed.add(name);
              flow.inject(name);
            });
            for (const n of flow.nodes) if (n.type === 'inject') assert.ok(pressed.has(String(n.name)), `${file}: "${n.name}" was not pressed`);
            for (const msg of out) {
              const receipt = (msg.payload as { receipt?: Receipt } | undefined)?.receipt;
              if (receipt) receipts.push({ from: file, receipt });
            }
            capture.collectSpies(helper, helper.getNode(flow.nodes.find((n) => n.type === 'jpay-terminal')?.id ?? ''));
          });
        } finally {
          capture.stop();
          await helper.unload();
          await sim.close();
          await broker?.close();
          if (journalDir) {
            // The receipts' outbox on disk is scanned too.
            for (const f of readdirSync(journalDir)) record(`example-outbox:${run.prefix}${f}`, readFileSync(path.join(journalDir, f), 'utf8'));
            rmSync(journalDir, { recursive: true, force: true });
          }
        }
      }
    } finally {
      helper.load = load;
    }
    assert.ok(capture.msgs > 100, `msgs were captured (${capture.msgs})`);
    assert.ok(counts.transactions > 10 && counts.encryptedTransactions === counts.transactions, `every transaction encrypted: ${JSON.stringify(counts)}`);
    assert.ok(receipts.length > 10, 'receipts came back');
    assert.deepEqual(scanRecorded(), []);
  });

  it('a flow that opts in to the full PAN (includePan) is caught: the capture sees what the flow sees (negative control)', async () => {
    const probe = new SecretScanner();
    for (const card of TEST_CARDS) probe.addPan(card.pan);
    const capture = new NodeRedCapture((source, text) => probe.scan(source, text));
    const load = helper.load.bind(helper);
    helper.load = ((nodes: unknown, flow: { type: string }[], ...rest: unknown[]) =>
      (load as (...args: unknown[]) => Promise<void>)(
        nodes,
        flow.map((n) => (n.type === 'jpay-terminal' ? { ...n, encrypt: true } : n.type === 'jpay-transaction' ? { ...n, includePan: true } : n)),
        ...rest,
      )) as typeof helper.load;
    const sim = await startTestSimulator({ terminal: { password: FLOW_PASSWORD } });
    capture.start('includePan');
    try {
      const flow = await loadExample(exampleFile('01 - '), { sim }, FLOW_PASSWORD);
      flow.inject('Pay 150.00 ₽');
      await flow.inbox('Result and receipt').next();
    } finally {
      capture.stop();
      helper.load = load;
      await helper.unload();
      await sim.close();
    }
    assert.ok(
      probe.hits.some((h) => h.kind === 'PAN' && h.source.startsWith('msg-sent:includePan:jpay-transaction')),
      `the full PAN the flow asked for is found in the msg: ${probe.report()}`,
    );
  });

  it('the jpay CLI, encrypted: no secret on stdout or stderr (changepassword, admin commands, every test card, manual entry, reports)', async () => {
    const sim = await simulator('cli', { timing: { keepaliveIntervalMs: 100 } });
    const cwd = mkdtempSync(path.join(dir, 'cli-'));
    const runs: CliRun[] = [];
    const jpay = async (args: string[], password = CLI_PASSWORD, expectCode: number | null = 0): Promise<CliRun> => {
      const r = await runCli(['--port', String(sim.port), '--encrypt', ...args], { cwd, env: { JPAY_PASSWORD: password } });
      runs.push(r);
      record(`cli-stdout:${args.join(' ')}`, r.stdout);
      record(`cli-stderr:${args.join(' ')}`, r.stderr);
      if (expectCode !== null) assert.equal(r.code, expectCode, `jpay ${args.join(' ')}: exit ${r.code}\n${r.stdout}\n${r.stderr}`);
      if (args.includes('--json')) {
        const receipt = (JSON.parse(r.stdout) as { result?: { receipt?: Receipt } }).result?.receipt;
        if (receipt) receipts.push({ from: `cli ${args[0]}`, receipt });
      }
      return r;
    };
    await jpay(['changepassword', '--new', CLI_PASSWORD], DEFAULT_PASSWORD);
    for (const command of ['login', 'getparameters', 'testconnection', 'updateconfiguration', 'loadworkkeys', 'loadmasterkeys']) {
      await jpay([command, '--json']);
    }
    await jpay(['sethostkey', '--name', 'host1', '--material', HOST_KEY]);
    for (const [i, card] of TEST_CARDS.entries()) {
      sim.setNextCard(card.id);
      await jpay(['purchase', '--amount', `1.${String(i).padStart(2, '0')}`, ...(i % 2 === 0 ? ['--json'] : [])], CLI_PASSWORD, null);
    }
    await jpay(['cashback', '--amount', '3', '--cashback', '1', '--json']);
    await jpay(['refund', '--amount', '1', '--forced', '--json']);
    await jpay(['void', '--number', 'last']);
    await jpay(['manual', '--type', 'purchase', '--amount', '2', '--pan', MANUAL_PAN, '--expiry', '3012', '--json']);
    await jpay(['manual', '--type', 'refund', '--amount', '1', '--pan', TEST_CARDS[0].pan, '--expiry', '3012', '--cardholder', 'TEST HOLDER']);
    await jpay(['report', '--full', '--json']);
    await jpay(['report', '--full']);
    await jpay(['settlement', '--json']);
    await jpay(['--password', CLI_PASSWORD, 'logout']);
    await jpay(['--password', WRONG_PASSWORD, 'login', '--json'], WRONG_PASSWORD, 1);
    await sim.close();
    assert.ok(runs.filter((r) => r.code === 0).length >= 20, 'the CLI ran');
    assert.ok(counts.logins >= 25, `each run logged in for its key exchange (${counts.logins} logins)`);
    assert.ok(counts.encryptedTransactions === counts.transactions, JSON.stringify(counts));
    assert.deepEqual(scanRecorded(), []);
  });

  it('the library client receives plain-text-pan; the MQTT receipt publisher to mosquitto carries none of it (subscriber on #, outbox journal)', async () => {
    const sim = await simulator('client', {});
    const logLines: string[] = [];
    const log = (level: string) => (msg: string, fields?: Record<string, unknown>) => logLines.push(`${level} ${msg} ${textOf(fields ?? {})}`);
    const client = new JpayClient({ host: sim.host, port: sim.port, password: FLOW_PASSWORD, encrypt: true, logger: { debug: log('debug'), info: log('info'), warn: log('warn') } });
    const publisher: ReceiptPublisher = await createReceiptPublisher({ url: mosquitto.url, journalPath: path.join(dir, 'outbox', 'outbox.log'), terminalId: 'sim', reconnectPeriodMs: 100 });
    try {
      // FLOW_PASSWORD: this simulator starts with the default one; change it through the client first.
      const admin = new JpayClient({ host: sim.host, port: sim.port, password: DEFAULT_PASSWORD, encrypt: true });
      await admin.changePassword(FLOW_PASSWORD);
      await admin.close();
      for (const card of TEST_CARDS.slice(0, 4)) {
        sim.setNextCard(card.id);
        const result = await client.transaction({ type: 'purchase', amount: 1234 });
        assert.equal(result.plainTextPan?.reveal(), card.pan, 'the terminal sent the full PAN (the scan has something to find)');
        record('client-result', textOf(result));
        assert.ok(result.receipt);
        // A careless caller puts the card number into the metadata: the publisher must scrub it.
        const pan = result.plainTextPan.reveal();
        const sent = await publisher.publishReceipt('sim', result.receipt, { meta: { note: `paid with ${pan}`, plainTextPan: pan, card: { number: pan.replace(/(\d{4})(?=\d)/g, '$1 ') } } });
        assert.equal(sent.alreadyQueued, false);
      }
      let published = TEST_CARDS.slice(0, 4).length;
      for (const { from, receipt } of receipts) {
        // Receipts without a header (a loyalty card's own) are not publishable: the publisher refuses them.
        const sent = await publisher.publishReceipt('sim', receipt, { meta: { from } }).catch((error: unknown) => {
          if (error instanceof JpayValidationError) return undefined;
          throw error;
        });
        if (sent && !sent.alreadyQueued) published += 1;
      }
      await subscriber.waitFor((m) => m.filter((x) => x.topic === 'jpay/sim/receipt').length >= published, 20_000, `${published} receipts`);
      publisher.publishEvent('sim', 'display', { text: 'Приложите карту' });
    } finally {
      await client.close();
      await publisher.close();
    }
    for (const m of subscriber.messages) record(`mqtt:${m.topic}`, m.payload);
    for (const line of logLines) record('client-log', line);
    await sim.close();
    assert.ok(subscriber.messages.length > 10, `MQTT messages were received (${subscriber.messages.length})`);
    assert.deepEqual(scanRecorded(), []);
  });

  it('every file written: temp dirs, Node-RED user dir, journals, simulator logs, the broker store; changed repository files', async () => {
    await mosquitto.stop(); // the broker saves its store on exit
    const files = walk(dir);
    for (const file of files) record(`file:${path.relative(dir, file)}`, readFileSync(file).toString('latin1'));
    assert.ok(files.some((f) => f.includes(`outbox${path.sep}`)), `the outbox journal is among the files: ${files.map((f) => path.relative(dir, f)).join(', ')}`);
    assert.ok(files.some((f) => path.basename(f).startsWith('sim-')), 'the simulator logs are among the files');
    const hits = scanRecorded();
    // Other work may run in this tree at the same time with its own test PANs: here, only this run's own secrets count.
    const repoScanner = new SecretScanner();
    for (const p of [FLOW_PASSWORD, CLI_PASSWORD, WRONG_PASSWORD]) repoScanner.addSecret('admin password', p);
    repoScanner.addSecret('host key material', HOST_KEY);
    repoScanner.addBinarySecret('loyalty program key', Buffer.from(LOYALTY_KEY, 'hex'));
    for (const file of walk(ROOT, (p) => /(^|\/)(node_modules|\.git|dist|\.dist-[^/]*)$/.test(p)).filter((f) => statSync(f).mtimeMs >= started)) {
      repoScanner.scan(`repo-file:${path.relative(ROOT, file)}`, readFileSync(file).toString('latin1'));
    }
    assert.deepEqual([...hits, ...repoScanner.hits.map((h) => `${h.kind} in ${h.source}: …${h.context}…`)], []);
  });

  it('summary: 0 hits across everything scanned', () => {
    const kinds = [...scanner.scanned.entries()].map(([k, v]) => `${k} ${v.sources}×/${v.bytes}B`).join(', ');
    if (process.env.SECRET_SCAN_REPORT) {
      console.log(`scanned: ${kinds}\nsecrets searched: ${scanner.secretCount}; ${JSON.stringify(counts)}; receipts ${receipts.length}`);
    }
    assert.ok(scanner.secretCount >= 20, `secrets searched: ${scanner.secretCount}`);
    assert.equal(scanner.hits.length, 0, `${scanner.report()}\nscanned: ${kinds}`);
    for (const kind of ['msg-sent', 'msg-received', 'runtime-log', 'cli-stdout', 'cli-stderr', 'mqtt', 'example-mqtt', 'file', 'sim-log', 'sim-event']) {
      assert.ok(scanner.scanned.has(kind), `nothing of kind ${kind} was scanned (${kinds})`);
    }
  });
});

/** Every file under `root` (directories matching `skip` left out). */
function walk(root: string, skip: (p: string) => boolean = () => false): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(root, { withFileTypes: true })) {
    const full = path.join(root, entry.name);
    if (skip(full)) continue;
    if (entry.isDirectory()) out.push(...walk(full, skip));
    else if (entry.isFile()) out.push(full);
  }
  return out;
}

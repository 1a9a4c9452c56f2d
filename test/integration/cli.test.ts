// The `jpay` CLI as a real child process against the simulator on a random port:
// stdout, stderr and the exit code, as a user or a script sees them.

import assert from 'node:assert/strict';
import { ChildProcess, spawn } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';
import { packet } from '../../lib/codec/packet';
import { startSimulator, type SimulatorHandle, type SimulatorOptions } from '../../lib/simulator';
import { acceptLogin, keepAlivesUntilHangUp, reply, ScriptedTerminal, slowSettlement } from '../helpers/scripted-terminal';

const ROOT = path.resolve(__dirname, '../..');
const CLI = path.join(ROOT, 'lib/cli/jpay.ts');
const PASSWORD = '12345678';
const PAN = '4111111111111111';

interface Run {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

interface Started {
  child: ChildProcess;
  done: Promise<Run>;
  /** Resolves when stderr has shown text matching re. */
  stderrMatch(re: RegExp): Promise<void>;
}

const children = new Set<ChildProcess>();

function start(args: readonly string[], env: NodeJS.ProcessEnv = {}): Started {
  const clean: NodeJS.ProcessEnv = { ...process.env };
  for (const k of ['JPAY_PASSWORD', 'JPAY_HOST', 'JPAY_PORT']) delete clean[k];
  const child = spawn(process.execPath, ['-r', 'tsx/cjs', CLI, ...args], {
    cwd: ROOT,
    env: { ...clean, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.add(child);
  let stdout = '';
  let stderr = '';
  const waiters: { re: RegExp; resolve: () => void }[] = [];
  child.stdout!.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr!.setEncoding('utf8').on('data', (d: string) => {
    stderr += d;
    for (const w of waiters.splice(0)) {
      if (w.re.test(stderr)) w.resolve();
      else waiters.push(w);
    }
  });
  const done = new Promise<Run>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => {
      children.delete(child);
      resolve({ code, signal, stdout, stderr });
    });
  });
  return {
    child,
    done,
    stderrMatch: (re) =>
      new Promise<void>((resolve, reject) => {
        if (re.test(stderr)) return resolve();
        waiters.push({ re, resolve });
        void done.then(() => reject(new Error(`process ended before stderr matched ${re}:\n${stderr}`)));
      }),
  };
}

function jpay(args: readonly string[], env: NodeJS.ProcessEnv = {}): Promise<Run> {
  return start(args, env).done;
}

/** A TCP relay in front of the simulator that counts connections and bytes from the client. */
class CountingProxy {
  connections = 0;
  bytes = 0;
  private readonly server: net.Server;
  private readonly sockets = new Set<net.Socket>();

  constructor(target: number) {
    this.server = net.createServer((client) => {
      this.connections += 1;
      const upstream = net.connect(target, '127.0.0.1');
      for (const s of [client, upstream]) {
        this.sockets.add(s);
        s.on('close', () => this.sockets.delete(s));
        s.on('error', () => undefined);
      }
      client.on('data', (d: Buffer) => (this.bytes += d.length));
      client.pipe(upstream).pipe(client);
    });
  }

  listen(): Promise<number> {
    return new Promise((resolve) => this.server.listen(0, '127.0.0.1', () => resolve((this.server.address() as net.AddressInfo).port)));
  }

  close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

const FAST: SimulatorOptions = {
  port: 0,
  activatorPort: 0,
  timing: { cardDelayMs: 20, hostDelayMs: 20, keepaliveIntervalMs: 100, cardTimeoutMs: 15_000 },
};

function parseOneJson(stdout: string): Record<string, unknown> {
  const lines = stdout.split('\n').filter((l) => l !== '');
  assert.equal(lines.length, 1, `exactly one JSON line on stdout, got:\n${stdout}`);
  const value: unknown = JSON.parse(lines[0]);
  assert.equal(typeof value, 'object');
  return value as Record<string, unknown>;
}

function commandEvents(sim: SimulatorHandle): string[] {
  return sim.events().filter((e) => e.type !== 'listening').map((e) => e.type);
}

describe('jpay CLI (child process against the simulator)', function () {
  this.timeout(30_000);
  let sim: SimulatorHandle | undefined;

  async function simulator(extra: SimulatorOptions = {}): Promise<SimulatorHandle> {
    sim = await startSimulator({ ...FAST, ...extra, timing: { ...FAST.timing, ...extra.timing } });
    return sim;
  }

  afterEach(async () => {
    for (const c of children) c.kill('SIGKILL');
    await sim?.close();
    sim = undefined;
  });

  it('purchase: progress on stderr in the terminal language, summary on stdout, exit 0', async () => {
    const s = await simulator();
    const r = await jpay(['--port', String(s.port), 'purchase', '--amount', '123.45']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^APPROVED {2}purchase 123\.45/);
    assert.match(r.stdout, /amount +123\.45 RUB/);
    assert.match(r.stderr, /\[keepalive\] 1/);
    assert.match(r.stderr, /\[display\] Приложите карту 123\.45 \(643\)/);
    assert.match(r.stderr, /\[display\] Одобрено/);
    assert.doesNotMatch(r.stdout, /\[display\]/);
    const log = s.log();
    assert.equal(log.length, 1);
    assert.equal(log[0].amount, 12345);
  });

  it('--json: exactly one JSON object on stdout, amounts in minor units', async () => {
    const s = await simulator();
    const r = await jpay(['purchase', '--amount', '0.1', '--json', '--port', String(s.port)]);
    assert.equal(r.code, 0, r.stderr);
    const out = parseOneJson(r.stdout);
    assert.equal(out.outcome, 'approved');
    assert.equal(out.approved, true);
    assert.equal(out.exitCode, 0);
    assert.deepEqual(out.request, { type: 'purchase', amount: 10 });
    assert.equal((out.result as { receipt: { amountAuthorized: number } }).receipt.amountAuthorized, 10);
    assert.match(r.stderr, /\[display\]/);
  });

  it('a declined card exits 1', async () => {
    const s = await simulator();
    const r = await jpay(['--port', String(s.port), 'purchase', '--amount', '777.41']);
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stdout, /^DECLINED/);
    assert.match(r.stdout, /decline reason +onlinedeclined/);
    assert.equal(s.log()[0].tstatus, 'declined');
  });

  it('a non-ok status exits 1 and the password is never printed', async () => {
    const s = await simulator();
    const wrong = '11112222';
    for (const extra of [[], ['--json']]) {
      const r = await jpay(['--port', String(s.port), '--password', wrong, 'getparameters', ...extra]);
      assert.equal(r.code, 1, r.stderr);
      assert.match(r.stdout + r.stderr, /notauthorized/);
      assert.ok(!r.stdout.includes(wrong) && !r.stderr.includes(wrong));
      assert.ok(!r.stdout.includes(PASSWORD) && !r.stderr.includes(PASSWORD));
    }
  });

  it('admin and report commands with env JPAY_PASSWORD; the password and token stay out of the output', async () => {
    const s = await simulator();
    const env = { JPAY_PASSWORD: PASSWORD };
    await jpay(['--port', String(s.port), 'purchase', '--amount', '5']);
    const runs = [
      await jpay(['--port', String(s.port), 'login', '--json'], env),
      await jpay(['--port', String(s.port), 'getparameters'], env),
      await jpay(['--port', String(s.port), 'testconnection'], env),
      await jpay(['--port', String(s.port), 'report', '--full'], env),
      await jpay(['--port', String(s.port), 'report', '--json'], env),
      await jpay(['--port', String(s.port), 'settlement'], env),
    ];
    for (const r of runs) {
      assert.equal(r.code, 0, r.stderr);
      assert.ok(!r.stdout.includes(PASSWORD) && !r.stderr.includes(PASSWORD));
      assert.doesNotMatch(r.stdout, /token|[0-9a-f]{32}/i);
    }
    assert.equal(parseOneJson(runs[0].stdout).outcome, 'ok');
    assert.match(runs[1].stdout, /tid +10000001/);
    assert.match(runs[3].stdout, /000001 {2}purchase {2}5\.00 RUB {2}approved/);
    const report = parseOneJson(runs[4].stdout).result as { report: { grandTotals: { totalSum: number } } };
    assert.equal(report.report.grandTotals.totalSum, 500);
    assert.match(runs[5].stdout, /^SETTLEMENT: PASSED/);
  });

  it('changepassword never prints either password', async () => {
    const s = await simulator();
    const next = '87654321';
    const r = await jpay(['--port', String(s.port), 'changepassword', '--new', next], { JPAY_PASSWORD: PASSWORD });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /password changed/);
    for (const secret of [PASSWORD, next]) assert.ok(!r.stdout.includes(secret) && !r.stderr.includes(secret));
    assert.equal((await jpay(['--port', String(s.port), 'report'], { JPAY_PASSWORD: PASSWORD })).code, 1);
    assert.equal((await jpay(['--port', String(s.port), 'report'], { JPAY_PASSWORD: next })).code, 0);
  });

  it('manual entry over an encrypted session: the PAN is masked, plain-text-pan never printed', async () => {
    const s = await simulator();
    const args = ['--port', String(s.port), '--encrypt', 'manual', '--type', 'purchase', '--amount', '1', '--pan', PAN, '--expiry', '2912'];
    const human = await jpay(args, { JPAY_PASSWORD: PASSWORD });
    const json = await jpay([...args, '--json'], { JPAY_PASSWORD: PASSWORD });
    for (const r of [human, json]) {
      assert.equal(r.code, 0, r.stderr);
      assert.ok(!r.stdout.includes(PASSWORD) && !r.stderr.includes(PASSWORD));
      assert.ok(!r.stdout.includes(PAN) && !r.stderr.includes(PAN), 'full PAN printed');
      assert.doesNotMatch(r.stdout, /plainTextPan|plain-text-pan/);
    }
    assert.match(human.stdout, /card 411111\*{6}1111/);
    const out = parseOneJson(json.stdout);
    assert.deepEqual((out.request as { manual: unknown }).manual, { pan: '411111******1111', expiry: '2912' });
    assert.ok(s.events().some((e) => e.type === 'command' && e.command === 'transaction' && e.encrypted));
  });

  it('void: the last transaction, and a partial void by receipt number', async () => {
    const s = await simulator();
    assert.equal((await jpay(['--port', String(s.port), 'purchase', '--amount', '10'])).code, 0);
    const last = await jpay(['--port', String(s.port), 'void', '--number', 'last']);
    assert.equal(last.code, 0, last.stderr);
    assert.match(last.stdout, /^APPROVED {2}void #last/);
    assert.equal((await jpay(['--port', String(s.port), 'purchase', '--amount', '10'])).code, 0);
    const partial = await jpay(['--port', String(s.port), 'void', '--number', '3', '--amount', '2.50', '--json']);
    assert.equal(partial.code, 0, partial.stderr);
    assert.deepEqual(parseOneJson(partial.stdout).request, { type: 'void', number: 3, amount: 250 });
    const again = await jpay(['--port', String(s.port), 'void', '--number', '999']);
    assert.equal(again.code, 1);
    assert.match(again.stdout, /transactionnotfound/);
  });

  it('SBP: the QR code URL goes to stderr as it happens', async () => {
    const s = await simulator({ sbp: { enabled: true, payDelayMs: 100, outcome: 'approved' } });
    const r = await jpay(['--port', String(s.port), 'purchase', '--amount', '10', '--sbp']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /\[qr\] scan to pay: https?:\/\/\S+/);
    assert.match(r.stdout, /^APPROVED {2}purchase 10\.00 \(SBP\)/);
    assert.match(r.stdout, /payment +SBP/);
  });

  it('connection refused exits 3 and says nothing was sent', async () => {
    const server = net.createServer();
    const port = await new Promise<number>((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as net.AddressInfo).port)));
    await new Promise<void>((resolve) => server.close(() => resolve()));
    const r = await jpay(['--port', String(port), 'purchase', '--amount', '1']);
    assert.equal(r.code, 3);
    assert.match(r.stderr, /cannot connect/);
    assert.match(r.stderr, /not sent/);
    assert.doesNotMatch(r.stdout + r.stderr, /UNKNOWN/);
  });

  it('outcome unknown (connection dropped after the payment was recorded): exit 3, UNKNOWN and how to check', async () => {
    const s = await simulator();
    const r = await jpay(['--port', String(s.port), 'purchase', '--amount', '777.81']);
    assert.equal(r.code, 3, r.stderr);
    assert.match(r.stdout, /^OUTCOME UNKNOWN {2}purchase 777\.81/);
    assert.match(r.stdout, /jpay report --full/);
    assert.match(r.stdout, /jpay void --number last/);
    assert.match(r.stderr, /outcome UNKNOWN/);
    const j = await jpay(['--port', String(s.port), 'purchase', '--amount', '777.81', '--json']);
    assert.equal(j.code, 3);
    const out = parseOneJson(j.stdout);
    assert.equal(out.outcome, 'unknown');
    assert.deepEqual(out.check, ['jpay report --full', 'jpay void --number last']);
    assert.equal((out.error as { type: string }).type, 'TransactionOutcomeUnknown');
    // The terminal did charge: the advice finds it.
    const report = await jpay(['--port', String(s.port), 'report', '--full'], { JPAY_PASSWORD: PASSWORD });
    assert.match(report.stdout, /777\.81 RUB {2}approved/);
  });

  it('a timeout during a transaction is an unknown outcome', async () => {
    const s = await simulator();
    const r = await jpay(['--port', String(s.port), '--timeout', '1', 'purchase', '--amount', '777.83']);
    assert.equal(r.code, 3, r.stderr);
    assert.match(r.stdout, /OUTCOME UNKNOWN/);
  });

  it('--cancel-after cancels through the next keepalive and reports the final answer', async () => {
    const s = await simulator({ autoPresent: false });
    // --cancel-after counts from the CLI's start: leave a loaded machine ample time to send
    // the command first (0.3 s was sometimes too short, and the cancel then came before the send).
    const r = await jpay(['--port', String(s.port), 'purchase', '--amount', '1', '--cancel-after', '1.5']);
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, /\[cancel\] --cancel-after 1\.5 s/);
    assert.match(r.stderr, /\[keepalive\] \d+ \(answering: cancelled\)/);
    assert.match(r.stdout, /^DECLINED/);
    assert.match(r.stdout, /terminal status +cancelled/);
    assert.ok(s.events().some((e) => e.type === 'message' && e.name === 'keepalive' && e.answer === 'cancelled'));
    assert.equal(s.log().filter((l) => l.tstatus === 'approved').length, 0);
  });

  it('Ctrl-C (SIGINT) cancels the transaction and still reports the final answer', async () => {
    const s = await simulator({ autoPresent: false });
    const run = start(['--port', String(s.port), 'purchase', '--amount', '1', '--json']);
    await run.stderrMatch(/\[keepalive\] 1/);
    run.child.kill('SIGINT');
    const r = await run.done;
    assert.equal(r.code, 1, r.stderr);
    assert.equal(r.signal, null);
    assert.match(r.stderr, /\[cancel\] Ctrl-C/);
    const out = parseOneJson(r.stdout);
    assert.equal(out.outcome, 'cancelled', 'the same word as the nodes');
    assert.equal(out.status, 'cancelled');
  });

  it('a second Ctrl-C stops waiting: the outcome is then UNKNOWN (exit 3)', async () => {
    const s = await simulator({ autoPresent: false, timing: { keepaliveIntervalMs: 5_000 } });
    const run = start(['--port', String(s.port), 'purchase', '--amount', '1']);
    await run.stderrMatch(/\[keepalive\] 1/);
    run.child.kill('SIGINT');
    await run.stderrMatch(/press Ctrl-C again/);
    run.child.kill('SIGINT');
    const r = await run.done;
    assert.equal(r.code, 3, r.stderr);
    assert.match(r.stderr, /no longer waiting/);
    assert.match(r.stdout, /^OUTCOME UNKNOWN/);
    assert.match(r.stdout, /jpay report --full/);
  });

  it('--help on jpay and on every command', async () => {
    const top = await jpay(['--help']);
    assert.equal(top.code, 0);
    assert.match(top.stdout, /^Usage: jpay /);
    assert.match(top.stdout, /purchase/);
    const cmd = await jpay(['purchase', '--help']);
    assert.equal(cmd.code, 0);
    assert.match(cmd.stdout, /^Usage: jpay \[global options\] purchase --amount A/);
    assert.match(cmd.stdout, /--cancel-after SECONDS/);
    const manual = await jpay(['manual', '--help']);
    assert.match(manual.stdout, /--pan PAN/);
  });

  describe('bad input: exit 2, a message naming the option, and no byte sent', () => {
    let proxy: CountingProxy | undefined;
    afterEach(async () => {
      await proxy?.close();
      proxy = undefined;
    });

    const cases: [string[], RegExp][] = [
      [['purchase', '--amount', '1.234'], /--amount/],
      [['purchase', '--amount=-1'], /--amount/],
      [['purchase', '--amount', '-1'], /--amount/],
      [['purchase', '--amount', '1e3'], /--amount/],
      [['purchase', '--amount', 'abc'], /--amount/],
      [['purchase', '--amount', ''], /--amount/],
      [['purchase'], /--amount/],
      [['refund', '--amount', '1.001'], /--amount/],
      [['cashback', '--amount', '1', '--cashback', '0.001'], /--cashback/],
      [['void', '--number', 'first'], /--number/],
      [['purchase', '--amount', '1', '--currency', 'RUB'], /--currency/],
      [['purchase', '--amount', '1', '--sbp', '--no-sbp'], /--sbp and --no-sbp/],
      [['report'], /needs the admin password/],
      [['--password', '1234', 'report'], /--password/],
      [['--password', PASSWORD, 'manual', '--type', 'purchase', '--amount', '1', '--pan', '41111111', '--expiry', '2912'], /--pan/],
      [['--password', PASSWORD, 'manual', '--type', 'purchase', '--amount', '1', '--pan', PAN, '--expiry', '2913'], /--expiry/],
      [['--password', PASSWORD, 'manual', '--type', 'purchase', '--amount', '1', '--pan', PAN, '--expiry', '2912', '--cardholder', 'X'.repeat(27)], /--cardholder/],
      [['frobnicate'], /unknown command/],
      [['purchase', '--amount', '1', '--bogus'], /--bogus/],
      [[], /no command/],
    ];

    it('for every case', async () => {
      const s = await simulator();
      proxy = new CountingProxy(s.port);
      const port = String(await proxy.listen());
      // Four at a time: each case is a process start.
      const runs: Run[] = [];
      for (let i = 0; i < cases.length; i += 4) {
        runs.push(...(await Promise.all(cases.slice(i, i + 4).map(([argv]) => jpay(['--port', port, ...argv])))));
      }
      for (const [i, [argv, message]] of cases.entries()) {
        const r = runs[i];
        assert.equal(r.code, 2, `${argv.join(' ')}: ${r.stderr}`);
        assert.match(r.stderr, message, argv.join(' '));
        assert.equal(r.stdout, '', argv.join(' '));
        assert.ok(!r.stderr.includes(PAN) && !r.stderr.includes(PASSWORD), `secret echoed for ${argv.join(' ')}`);
      }
      const j = await jpay(['--port', port, 'purchase', '--amount', '1.234', '--json']);
      assert.equal(j.code, 2);
      const out = parseOneJson(j.stdout);
      assert.equal(out.outcome, 'usage');
      assert.match((out.error as { message: string }).message, /^--amount/);
      assert.equal(proxy.connections, 0);
      assert.equal(proxy.bytes, 0);
      assert.deepEqual(commandEvents(s), []);
      assert.deepEqual(s.log(), []);
    });
  });
  describe('a terminal that does what the vendor document allows (issue 13)', () => {
    let terminal: ScriptedTerminal | undefined;
    afterEach(async () => {
      await terminal?.close();
      terminal = undefined;
    });

    it("keeps and sends back the token of §8.1's example (18 digits), and never prints it", async () => {
      const token = '392480923040932923';
      const parameters = { parameters: { tid: '10000001', sn: 'SN-1' } };
      terminal = await ScriptedTerminal.start([acceptLogin(token), reply('getparameters', 'ok', parameters), acceptLogin(token), reply('getparameters', 'ok', parameters)]);
      const env = { JPAY_PASSWORD: PASSWORD };
      const human = await jpay(['--port', String(terminal.port), 'getparameters'], env);
      const json = await jpay(['--port', String(terminal.port), 'getparameters', '--json'], env);
      await terminal.done();
      for (const r of [human, json]) {
        assert.equal(r.code, 0, r.stderr);
        assert.ok(!r.stdout.includes(token) && !r.stderr.includes(token));
      }
      assert.match(human.stdout, /tid +10000001/);
      assert.equal(parseOneJson(json.stdout).outcome, 'ok');
      assert.deepEqual(terminal.commands.filter((c) => c.name === 'getparameters').map((c) => c.body.token), [token, token]);
    });

    it('a settlement that sends keep-alives for longer than --idle-timeout succeeds: each one restarts it', async () => {
      terminal = await ScriptedTerminal.start([slowSettlement(8, 100)]);
      const r = await jpay(['--port', String(terminal.port), '--idle-timeout', '0.3', 'settlement'], { JPAY_PASSWORD: PASSWORD });
      await terminal.done();
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /^SETTLEMENT: PASSED/);
      assert.match(r.stderr, /\[keepalive\] 8/);
    });

    it('a terminal silent past --idle-timeout during a purchase: UNKNOWN, naming the idle limit and its flag', async () => {
      terminal = await ScriptedTerminal.start([
        async (conn) => {
          await conn.expect('transaction');
          await conn.message(packet('display', { code: '15' }));
          await conn.stall();
        },
      ]);
      const r = await jpay(['--port', String(terminal.port), '--idle-timeout', '0.3', 'purchase', '--amount', '1']);
      assert.equal(r.code, 3, r.stderr);
      assert.match(r.stdout, /^OUTCOME UNKNOWN/);
      assert.match(r.stderr, /idle limit of 300 ms reached: nothing from the terminal for that long \(timeouts\.idleMs\) \(set with --idle-timeout S\)/);
    });

    it('a settlement that sends keep-alives for ever stops at --timeout, naming the command cap', async () => {
      terminal = await ScriptedTerminal.start([
        async (conn) => {
          await conn.expect('settlement');
          await keepAlivesUntilHangUp(conn, 50);
        },
      ]);
      const r = await jpay(['--port', String(terminal.port), '--timeout', '0.5', '--json', 'settlement'], { JPAY_PASSWORD: PASSWORD });
      assert.equal(r.code, 3, r.stderr);
      assert.match(r.stderr, /command cap of 500 ms reached: the command did not finish \(timeouts\.commandMs\) \(set with --timeout S\)/);
      const error = parseOneJson(r.stdout).error as { phase: string; timeoutMs: number };
      assert.deepEqual([error.phase, error.timeoutMs], ['command', 500]);
    });

    for (const encrypt of [false, true]) {
      it(`a full report of 5,000 transactions (${encrypt ? 'encrypted, 2.07 MB' : 'plain, 1.56 MB'}): above 1 MiB, within the report limit`, async () => {
        const s = await simulator();
        await s.seedLog(5000);
        const r = await jpay(['--port', String(s.port), ...(encrypt ? ['--encrypt'] : []), 'report', '--full', '--json'], { JPAY_PASSWORD: PASSWORD });
        assert.equal(r.code, 0, r.stderr);
        const report = (parseOneJson(r.stdout).result as { report: { transactions: unknown[]; grandTotals: { totalCount: number } } }).report;
        assert.equal(report.transactions.length, 5000);
        assert.equal(report.grandTotals.totalCount, 5000);
      });
    }
  });
});

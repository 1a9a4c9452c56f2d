// `jpay --mqtt` as a real child process against gateways on a real Mosquitto: one
// terminal, --all with a table, payments by id, timeouts that name themselves, usage.

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { GATEWAY_COMMANDS } from '../../lib/gateway';
import { GatewayRig } from '../helpers/gateway';
import { freePort, startMosquitto, type MosquittoBroker } from '../helpers/mosquitto';
import { runCli, type CliRun } from '../security/cli-runner';

describe('integration: jpay --mqtt (child process, Mosquitto, gateways on simulators)', function () {
  this.timeout(60_000);
  let broker: MosquittoBroker;
  let rig: GatewayRig;
  let cwd: string;

  before(async () => {
    broker = await startMosquitto();
  });
  after(async () => {
    await broker.dispose();
  });
  beforeEach(() => {
    rig = new GatewayRig(broker.url);
    cwd = mkdtempSync(path.join(tmpdir(), 'jpay-cli-mqtt-'));
  });
  afterEach(async () => {
    await rig.close();
    rmSync(cwd, { recursive: true, force: true });
  });

  const jpay = (...args: string[]): Promise<CliRun> => runCli(['--mqtt', broker.url, ...args], { cwd, env: {} });

  it('runs a command on one terminal and prints it as the direct CLI does; --json gives the answer', async () => {
    const sim = await rig.simulator();
    await rig.gateway(rig.client(sim), { terminalId: 'kiosk-1', commands: ['getparameters', 'report'] });
    const params = await jpay('--tid', 'kiosk-1', 'getparameters');
    assert.equal(params.code, 0, params.stderr);
    assert.match(params.stdout, /Terminal parameters:/);
    assert.match(params.stdout, /tid\s+10000001/);
    const report = await jpay('--tid', 'kiosk-1', 'report', '--full', '--json');
    assert.equal(report.code, 0, report.stderr);
    const json = JSON.parse(report.stdout) as { command: string; outcome: string; terminalId: string; exitCode: number; result: { transactions: unknown[] } };
    assert.deepEqual([json.command, json.outcome, json.terminalId, json.exitCode], ['report', 'ok', 'kiosk-1', 0]);
    assert.ok(Array.isArray(json.result.transactions));
    const disabled = await jpay('--tid', 'kiosk-1', 'settlement');
    assert.equal(disabled.code, 1);
    assert.match(disabled.stderr, /refused by the gateway: disabled: settlement is not enabled/);
  });

  it('--all runs one command on every terminal with a state and prints a table (offline ones listed, not asked)', async () => {
    for (const tid of ['kiosk-1', 'kiosk-2', 'kiosk-3', 'kiosk-4']) {
      const sim = await rig.simulator();
      await rig.gateway(rig.client(sim), { terminalId: tid, commands: tid === 'kiosk-4' ? ['getparameters'] : ['settlement'] });
    }
    await rig.gateways[2].close();
    const run = await jpay('--all', 'settlement');
    assert.equal(run.code, 3, `an offline terminal did not settle\n${run.stdout}\n${run.stderr}`);
    const lines = run.stdout.trim().split('\n');
    assert.match(lines[0], /^TERMINAL\s+STATE\s+OUTCOME\s+STATUS\s+TIME\s+DETAIL$/);
    assert.match(lines[1], /^kiosk-1\s+online\s+ok\s+ok\s+[\d.]+ s\s+passed/);
    assert.match(lines[2], /^kiosk-2\s+online\s+ok\s+ok/);
    assert.match(lines[3], /^kiosk-3\s+offline\s+offline\s+-\s+-\s+not asked: its gateway is offline \(closed\)/);
    assert.match(lines[4], /^kiosk-4\s+online\s+refused\s+-\s+[\d.]+ s\s+disabled: settlement is not enabled/);
    assert.match(run.stdout, /4 terminals: 2 ok, 1 offline, 1 refused/);

    const json = await jpay('--all', 'settlement', '--json');
    const parsed = JSON.parse(json.stdout) as { exitCode: number; terminals: { terminalId: string; outcome: string }[] };
    assert.deepEqual(parsed.terminals.map((t) => [t.terminalId, t.outcome]), [['kiosk-1', 'ok'], ['kiosk-2', 'ok'], ['kiosk-3', 'offline'], ['kiosk-4', 'refused']]);
    assert.equal(parsed.exitCode, 3);
  });

  it('a payment with --id is charged once, however often it is asked; --all takes no payment', async () => {
    const sim = await rig.simulator();
    await rig.gateway(rig.client(sim), { terminalId: 'kiosk-1', commands: GATEWAY_COMMANDS, transactions: { journalPath: rig.journal } });
    const first = await jpay('--tid', 'kiosk-1', 'purchase', '--amount', '12.50', '--id', 'order-1001');
    assert.equal(first.code, 0, first.stderr);
    assert.match(first.stdout, /^APPROVED {2}purchase 12\.50\n/);
    assert.match(first.stdout, /card +\*+1111/);
    const again = await jpay('--tid', 'kiosk-1', 'purchase', '--amount', '12.50', '--id', 'order-1001');
    assert.equal(again.code, 0);
    assert.match(again.stdout, /^APPROVED/);
    assert.match(again.stderr, /stored answer of an earlier request with id order-1001/);
    const conflict = await jpay('--tid', 'kiosk-1', 'purchase', '--amount', '99.00', '--id', 'order-1001');
    assert.equal(conflict.code, 1);
    assert.match(conflict.stderr, /id-conflict/);
    assert.equal(sim.log().length, 1, 'charged once');
    const all = await jpay('--all', 'purchase', '--amount', '1.00');
    assert.equal(all.code, 2);
    assert.match(all.stderr, /--all does not take payments/);
  });

  it('a timeout names itself; a payment that timed out tells to ask again with its id', async () => {
    const quiet = await jpay('--tid', 'nobody', '--timeout', '0.3', 'testconnection');
    assert.equal(quiet.code, 3);
    assert.match(quiet.stderr, /no answer from terminal nobody within 0\.3 s \(the request timeout\)/);
    const pay = await jpay('--tid', 'nobody', '--timeout', '0.3', 'purchase', '--amount', '1.00', '--id', 'order-7', '--json');
    assert.equal(pay.code, 3);
    assert.match(pay.stderr, /outcome is UNKNOWN until its gateway answers: ask again with the same id \(--id order-7\)/);
    assert.deepEqual(JSON.parse(pay.stdout), {
      command: 'purchase',
      terminalId: 'nobody',
      id: 'order-7',
      ok: false,
      outcome: 'timeout',
      exitCode: 3,
      error: { code: 'timeout', message: 'no answer from terminal nobody within 0.3 s (the request timeout): its gateway may be offline, or the terminal busy; the request (id order-7) has expired and will not start later' },
    });
  });

  it('usage: the admin password is refused, a target is required, and only gateway commands go over MQTT', async () => {
    const cases: [string[], RegExp][] = [
      [['--tid', 'k', '--password', '12345678', 'report'], /--password is refused with --mqtt/],
      [['report'], /--mqtt needs either --tid T/],
      [['--tid', 'k', '--all', 'report'], /--mqtt needs either --tid T/],
      [['--tid', 'k', 'clear'], /clear is not available over MQTT/],
      [['--tid', 'k', 'runreset'], /runreset is not available over MQTT/],
      [['--tid', 'k', 'changepassword', '--new', '87654321'], /changepassword is not available over MQTT/],
      [['--tid', 'k', 'manual', '--type', 'purchase', '--amount', '1', '--pan', '4111111111111111', '--expiry', '2712'], /manual card entry is never sent over MQTT/],
      [['--tid', 'a/b', 'report'], /--tid: must not contain/],
      [['--all', '--id', 'x', 'report'], /--id is for one terminal/],
    ];
    for (const [args, message] of cases) {
      const run = await jpay(...args);
      assert.equal(run.code, 2, `${args.join(' ')}: ${run.stderr}`);
      assert.match(run.stderr, message, args.join(' '));
      assert.ok(!run.stderr.includes('12345678') && !run.stderr.includes('4111111111111111'));
    }
    const stray = await runCli(['--tid', 'k', 'report', '--password', '12345678'], { cwd, env: {} });
    assert.equal(stray.code, 2);
    assert.match(stray.stderr, /--tid is for --mqtt/);
  });

  it('a broker that cannot be reached is an error naming it', async () => {
    const port = await freePort();
    const run = await runCli(['--mqtt', `mqtt://127.0.0.1:${port}`, '--tid', 'k', 'testconnection'], { cwd, env: {} });
    assert.equal(run.code, 3);
    assert.match(run.stderr, new RegExp(`cannot connect to the broker mqtt://127\\.0\\.0\\.1:${port}`));
  });
});

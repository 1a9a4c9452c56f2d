/**
 * The command gateway (lib/gateway) against a real Mosquitto and the simulator over TCP:
 * every command round-trips, MQTT 5 and 3.1.1, bad requests are refused and change
 * nothing, a payment id charges once across restarts and crashes, floods stay bounded,
 * the live state is retained with a last will.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { GATEWAY_COMMANDS, type TerminalStateSnapshot } from '../../lib/gateway';
import { GatewayRig, servedCommands } from '../helpers/gateway';
import { FaultyFs } from '../helpers/faulty-fs';
import { startMosquitto, type MosquittoBroker } from '../helpers/mosquitto';

const expiresIn = (ms: number): string => new Date(Date.now() + ms).toISOString();
const FULL_PAN = '4000000000000002';

describe('integration: command gateway over Mosquitto', function () {
  this.timeout(20_000);
  let broker: MosquittoBroker;
  let rig: GatewayRig;

  beforeEach(async () => {
    broker = await startMosquitto();
    rig = new GatewayRig(broker.url);
  });
  afterEach(async () => {
    await rig.close();
    await broker.dispose();
  });

  it('every command round-trips over MQTT 5 and answers with the node results', async () => {
    const sim = await rig.simulator();
    await rig.gateway(rig.client(sim), { commands: GATEWAY_COMMANDS, transactions: { journalPath: rig.journal } });
    const office = await rig.requester();
    assert.equal(office.version, 5);

    const params = await office.request('T1', 'getparameters');
    assert.equal(params.outcome, 'ok');
    assert.equal(params.ok, true);
    assert.equal(params.status, 'ok');
    assert.equal(params.command, 'getparameters');
    assert.equal(params.terminalId, 'T1');
    assert.equal((params.result as { parameters: { tid: string } }).parameters.tid, '10000001');
    for (const command of ['testconnection', 'updateconfiguration']) {
      const a = await office.request('T1', command);
      assert.deepEqual([a.outcome, a.result], ['ok', { command, ok: true }]);
    }
    assert.equal(((await office.request('T1', 'loadworkkeys')).result as { command: string }).command, 'loadworkkeys');
    assert.equal(((await office.request('T1', 'loadmasterkeys')).result as { command: string }).command, 'loadmasterkeys');

    const paid = await office.request('T1', 'transaction', { type: 'purchase', amount: 15000 });
    assert.equal(paid.outcome, 'approved', JSON.stringify(paid));
    const payment = paid.result as { approved: boolean; receipt: { amountAuthorized: number; pan: string }; request: unknown };
    assert.equal(payment.approved, true);
    assert.equal(payment.receipt.amountAuthorized, 15000);
    assert.match(payment.receipt.pan, /^\d{0,6}\*+\d{4}$/, 'only the masked PAN travels');
    assert.deepEqual(payment.request, { type: 'purchase', amount: 15000 });
    const declined = await office.request('T1', 'transaction', { type: 'purchase', amount: 77741 });
    assert.deepEqual([declined.outcome, declined.ok], ['declined', false]);

    const report = await office.request('T1', 'report', { reportType: 'full' });
    assert.equal(report.outcome, 'ok');
    assert.equal((report.result as { transactions: unknown[] }).transactions.length, 2);
    const settled = await office.request('T1', 'settlement');
    assert.equal(settled.outcome, 'ok');
    assert.equal((settled.result as { passed: boolean }).passed, true);
    assert.deepEqual(
      servedCommands(sim).filter((c) => c !== 'login'),
      ['getparameters', 'testconnection', 'updateconfiguration', 'loadworkkeys', 'loadmasterkeys', 'transaction', 'transaction', 'report', 'settlement'],
    );
  });

  it('an MQTT 3.1.1 back office gets its answer on <prefix>/<tid>/res/<id>', async () => {
    const sim = await rig.simulator();
    await rig.gateway(rig.client(sim), { terminalId: 'kiosk-7', prefix: 'fleet/eu' });
    const watch = await rig.subscriber(['fleet/eu/kiosk-7/res/+']);
    const office = await rig.requester({ protocolVersion: 4, prefix: 'fleet/eu' });
    assert.equal(office.version, 4);
    const answer = await office.request('kiosk-7', 'testconnection', {}, { id: 'job-1' });
    assert.equal(answer.outcome, 'ok');
    await watch.waitFor((m) => m.some((x) => x.topic === 'fleet/eu/kiosk-7/res/job-1'));
  });

  it('honours an MQTT 5 response topic and correlation data; refuses one inside another terminal', async () => {
    const sim = await rig.simulator();
    await rig.gateway(rig.client(sim));
    const raw = await rig.raw(['office/replies/#', 'jpay/+/res/+', 'jpay/T2/#']);
    await raw.publish('jpay/T1/cmd/getparameters', JSON.stringify({ id: 'a1' }), { qos: 1, properties: { responseTopic: 'office/replies/42', correlationData: Buffer.from('c0ffee', 'hex') } });
    await raw.publish('jpay/T1/cmd/getparameters', JSON.stringify({ id: 'a2' }), { qos: 1, properties: { responseTopic: 'jpay/T2/state', correlationData: Buffer.from('beef', 'hex') } });
    const first = await raw.answer('a1');
    assert.equal(first.topic, 'office/replies/42');
    assert.equal(first.correlation, 'c0ffee');
    assert.equal(first.answer.outcome, 'ok');
    const second = await raw.answer('a2');
    assert.equal(second.topic, 'jpay/T1/res/a2', 'refused, and answered on its own topic, not on the one it named');
    assert.equal(second.correlation, 'beef');
    assert.deepEqual([second.answer.outcome, second.answer.error?.code, second.answer.error?.field], ['refused', 'bad-request', 'responseTopic']);
    assert.equal(raw.got.filter((g) => g.topic.startsWith('jpay/T2/')).length, 0);
    assert.deepEqual(servedCommands(sim).filter((c) => c !== 'login'), ['getparameters']);
  });

  it('refuses expired and malformed requests with a clear error, and nothing reaches the terminal', async () => {
    const sim = await rig.simulator();
    const running = await rig.gateway(rig.client(sim), { commands: ['getparameters', 'report', 'transaction'], transactions: { journalPath: rig.journal }, limits: { refusalsPerSecond: 1000 } });
    const accepted: string[] = [];
    running.gateway.on('accepted', (a) => accepted.push(a.id));
    const raw = await rig.raw();
    const expires = expiresIn(60_000);
    const purchase = { type: 'purchase', amount: 15000 };
    const cases: [command: string, body: unknown, code: string, field?: string][] = [
      ['getparameters', 'not json', 'bad-json'],
      ['getparameters', [1, 2], 'bad-request'],
      ['getparameters', {}, 'bad-id', 'id'],
      ['getparameters', { id: 'x'.repeat(65) }, 'bad-id', 'id'],
      ['getparameters', { id: '../up' }, 'bad-id', 'id'],
      ['getparameters', { id: 'r1', expires: new Date(Date.now() - 1000).toISOString() }, 'expired', 'expires'],
      ['getparameters', { id: 'r2', expires: 'tomorrow' }, 'bad-expires', 'expires'],
      ['getparameters', { id: 'r3', expires: '2099-01-01T00:00:00' }, 'bad-expires', 'expires'],
      ['getparameters', { id: 'r4', args: { password: '12345678' } }, 'secret-refused', 'args.password'],
      ['getparameters', { id: 'r5', password: '12345678' }, 'secret-refused', 'password'],
      ['getparameters', { id: 'r6', args: { foo: 1 } }, 'bad-args', 'args.foo'],
      ['getparameters', { id: 'r7', extra: 1 }, 'bad-request', 'extra'],
      ['getparameters', { id: 'r8', args: 'all' }, 'bad-args', 'args'],
      ['settlement', { id: 'r9' }, 'disabled'],
      ['runreset', { id: 'r10' }, 'unknown-command'],
      ['clear', { id: 'r11' }, 'unknown-command'],
      ['report', { id: 'r12', args: { reportType: 'all' } }, 'bad-args', 'args.reportType'],
      ['transaction', { id: 'r13', args: purchase }, 'bad-expires', 'expires'],
      ['transaction', { id: 'r14', expires, args: { type: 'purchase', amount: 150.5 } }, 'bad-args', 'args.amount'],
      ['transaction', { id: 'r15', expires, args: { type: 'purchase', amount: '15000' } }, 'bad-args', 'args.amount'],
      ['transaction', { id: 'r16', expires, args: { type: 'purchase', amount: 100, manual: { pan: FULL_PAN, expiry: '2712' } } }, 'secret-refused', 'args.manual'],
      ['transaction', { id: 'r17', expires, args: { type: 'void' } }, 'bad-args', 'args.number'],
      ['transaction', { id: 'r18', expires, args: { ...purchase, pad: 'x'.repeat(20_000) } }, 'too-large'],
    ];
    for (const [command, body] of cases) await raw.publish(`jpay/T1/cmd/${command}`, typeof body === 'string' ? body : JSON.stringify(body));
    // In order: once this answer is in, every refusal before it is.
    await raw.publish('jpay/T1/cmd/getparameters', JSON.stringify({ id: 'good' }));
    await raw.answer('good');
    const answers = raw.got.filter((g) => g.answer.id !== 'good');
    assert.equal(answers.length, cases.length);
    cases.forEach(([command, body, code, field], i) => {
      const { topic, answer } = answers[i];
      const id = typeof body === 'object' && body !== null && !Array.isArray(body) && typeof (body as { id?: unknown }).id === 'string' && code !== 'bad-id' && code !== 'too-large' ? (body as { id: string }).id : null;
      assert.deepEqual([answer.outcome, answer.error?.code, answer.error?.field, answer.id, answer.ok], ['refused', code, field, id, false], `${command} ${JSON.stringify(body).slice(0, 80)}`);
      assert.equal(topic, id === null ? 'jpay/T1/res/_invalid' : `jpay/T1/res/${id}`);
      assert.ok(answer.error && answer.error.message.length > 5);
    });
    const text = JSON.stringify(raw.got);
    assert.ok(!text.includes('12345678') && !text.includes(FULL_PAN), 'no secret comes back');
    assert.deepEqual(servedCommands(sim).filter((c) => c !== 'login'), ['getparameters'], 'only the good request reached the terminal');
    assert.deepEqual(accepted, ['good'], 'refused on arrival: none took a place in the queue');
    assert.equal(sim.log().length, 0);
  });

  it('transactions are off unless enabled (and then no journal is made); report and settlement too', async () => {
    const sim = await rig.simulator();
    await rig.gateway(rig.client(sim));
    const office = await rig.requester();
    for (const command of ['transaction', 'report', 'settlement', 'updateconfiguration', 'loadworkkeys', 'loadmasterkeys']) {
      const a = await office.request('T1', command, command === 'transaction' ? { type: 'purchase', amount: 100 } : {});
      assert.deepEqual([a.outcome, a.error?.code], ['refused', 'disabled'], command);
    }
    assert.equal((await office.request('T1', 'getparameters')).outcome, 'ok');
    assert.equal((await office.request('T1', 'testconnection')).outcome, 'ok');
    assert.equal(existsSync(rig.journal), false);
    assert.deepEqual(servedCommands(sim).filter((c) => c !== 'login'), ['getparameters', 'testconnection']);
  });

  it('a repeated transaction id charges once, also after the gateway restarts; the same id with other arguments is refused', async () => {
    const sim = await rig.simulator();
    const client = rig.client(sim);
    const options = { commands: ['transaction'] as const, transactions: { journalPath: rig.journal } };
    const first = await rig.gateway(client, options);
    const office = await rig.requester();
    const purchase = { type: 'purchase', amount: 15000 };
    const paid = await office.request('T1', 'transaction', purchase, { id: 'order-1001' });
    assert.equal(paid.outcome, 'approved');
    const again = await office.request('T1', 'transaction', purchase, { id: 'order-1001' });
    assert.equal(again.duplicate, true);
    assert.equal(again.outcome, 'approved');
    assert.deepEqual(again.result, paid.result, 'the stored answer, receipt and all');
    const other = await office.request('T1', 'transaction', { ...purchase, amount: 20000 }, { id: 'order-1001' });
    assert.deepEqual([other.outcome, other.error?.code], ['refused', 'id-conflict']);

    await first.close();
    rig.gateways.splice(rig.gateways.indexOf(first), 1);
    await rig.gateway(client, options);
    const afterRestart = await office.request('T1', 'transaction', purchase, { id: 'order-1001' });
    assert.deepEqual([afterRestart.outcome, afterRestart.duplicate], ['approved', true]);
    assert.deepEqual(afterRestart.result, paid.result);
    assert.equal(sim.log().filter((r) => r.operation === 'purchase').length, 1, 'charged once');
    assert.equal(servedCommands(sim).filter((c) => c === 'transaction').length, 1);
  });

  it('a payment in progress when the gateway stops is "outcome unknown" after the restart, and never started again', async () => {
    const sim = await rig.simulator();
    sim.setAutoPresent(false);
    const options = { commands: ['transaction'] as const, transactions: { journalPath: rig.journal } };
    await rig.gateway(rig.client(sim), options);
    const raw = await rig.raw();
    const request = JSON.stringify({ id: 'order-2002', expires: expiresIn(60_000), args: { type: 'purchase', amount: 4200 } });
    const waiting = sim.waitForEvent((e) => e.type === 'waiting-for-card');
    await raw.publish('jpay/T1/cmd/transaction', request);
    await waiting;
    await raw.publish('jpay/T1/cmd/transaction', request);
    await raw.until((got) => got.some((g) => g.answer.outcome === 'in-progress'));
    assert.equal(raw.got[0].answer.duplicate, true);
    // The power goes out now: the disk keeps what was synced.
    const disk = rig.snapshotJournal();
    sim.presentCard();
    await raw.until((got) => got.some((g) => g.answer.outcome === 'approved'));

    // The machine comes back with that disk, its gateway with a fresh client.
    await rig.gateway(rig.client(sim), { ...options, terminalId: 'T1-restarted', transactions: { journalPath: disk } });
    const office = await rig.requester();
    const asked = await office.request('T1-restarted', 'transaction', { type: 'purchase', amount: 4200 }, { id: 'order-2002' });
    assert.deepEqual([asked.outcome, asked.error?.code, asked.duplicate, asked.ok], ['outcome-unknown', 'gateway-restarted', true, false]);
    assert.equal(servedCommands(sim).filter((c) => c === 'transaction').length, 1, 'sent once');
    assert.equal(sim.log().length, 1);
  });

  it('a flood stays bounded: waiting requests are capped (busy), the rate is capped, and answers that run nothing beyond their rate are dropped', async () => {
    const sim = await rig.simulator();
    sim.setAutoPresent(false);
    const frozen = Date.now();
    const raw = await rig.raw();
    const ids = (from: number, to: number): string[] => Array.from({ length: to - from }, (_, i) => `p${from + i}`);
    const ask = async (terminal: string, list: string[]): Promise<void> => {
      for (const id of list) await raw.publish(`jpay/${terminal}/cmd/getparameters`, JSON.stringify({ id }));
    };
    const codes = (terminal: string, list: string[]): (string | undefined)[] =>
      list.map((id) => raw.got.find((g) => g.topic === `jpay/${terminal}/res/${id}`)?.answer.error?.code);

    // 1. A payment from elsewhere (a flow) holds the terminal: one request at the terminal, two wait, the rest are busy.
    const held = rig.client(sim);
    const busy = await rig.gateway(held, { terminalId: 'A', limits: { maxPending: 2 } });
    const waiting = sim.waitForEvent((e) => e.type === 'waiting-for-card');
    const payment = held.transaction({ type: 'purchase', amount: 100 });
    await waiting;
    await ask('A', ids(0, 6));
    await raw.until((got) => ids(3, 6).every((id) => got.some((g) => g.answer.id === id)));
    assert.equal(busy.gateway.pending, 3, 'one at the terminal, two waiting');
    assert.deepEqual(codes('A', ids(3, 6)), ['busy', 'busy', 'busy']);
    sim.presentCard();
    await payment;
    await raw.until((got) => ids(0, 3).every((id) => got.some((g) => g.answer.id === id && g.answer.outcome === 'ok')));

    // 2. The rate: a burst of 3 and the clock standing still, the fourth is refused.
    await rig.gateway(rig.client(sim), { terminalId: 'B', limits: { ratePerSecond: 1, burst: 3 }, now: () => frozen });
    await ask('B', ids(0, 4));
    await raw.until((got) => ids(0, 4).every((id) => got.some((g) => g.topic === `jpay/B/res/${id}`)));
    assert.deepEqual(codes('B', ids(0, 4)), [undefined, undefined, undefined, 'rate-limited']);

    // 3. Answers that run nothing (refusals, repeated ids): 3 per second, the rest dropped and counted.
    const flooded = await rig.gateway(rig.client(sim), { terminalId: 'C', limits: { refusalsPerSecond: 3 }, now: () => frozen });
    for (let i = 0; i < 10; i++) await raw.publish('jpay/C/cmd/getparameters', 'garbage');
    await ask('C', ['sync-1']);
    await raw.until((got) => got.some((g) => g.answer.id === 'sync-1'));
    await ask('C', ['sync-1', 'sync-2']);
    await raw.until((got) => got.some((g) => g.answer.id === 'sync-2'));
    assert.equal(raw.got.filter((g) => g.topic === 'jpay/C/res/_invalid').length, 3, 'three refusals answered');
    assert.equal(raw.got.filter((g) => g.answer.id === 'sync-1').length, 1, 'the repeated id is dropped too');
    assert.equal(flooded.gateway.dropped, 8);
    assert.equal(servedCommands(sim).filter((c) => c === 'getparameters').length, 3 + 3 + 2);
  });

  it('a request that expires while it waits for the terminal is refused, never sent', async () => {
    const sim = await rig.simulator();
    sim.setAutoPresent(false);
    const client = rig.client(sim);
    let now = Date.now();
    const running = await rig.gateway(client, { now: () => now });
    const raw = await rig.raw();
    const waiting = sim.waitForEvent((e) => e.type === 'waiting-for-card');
    const held = client.transaction({ type: 'purchase', amount: 100 });
    await waiting;
    const accepted = new Promise<void>((resolve) => running.gateway.on('accepted', (a) => a.id === 'late' && resolve()));
    await raw.publish('jpay/T1/cmd/getparameters', JSON.stringify({ id: 'first', expires: new Date(now + 60_000).toISOString() }));
    await raw.publish('jpay/T1/cmd/testconnection', JSON.stringify({ id: 'late', expires: new Date(now + 5_000).toISOString() }));
    await accepted;
    // Accepted on arrival; then the terminal stays busy past its expiry.
    now += 10_000;
    sim.presentCard();
    await held;
    const late = await raw.answer('late');
    assert.deepEqual([late.answer.outcome, late.answer.error?.code, late.answer.error?.field], ['refused', 'expired', 'expires']);
    assert.equal((await raw.answer('first')).answer.outcome, 'ok');
    assert.deepEqual(servedCommands(sim).filter((c) => c !== 'login'), ['transaction', 'getparameters'], 'the late one never reached the terminal');
  });

  it('a payment that cannot be recorded (disk full) is refused and never sent', async () => {
    const sim = await rig.simulator();
    const fs = new FaultyFs();
    await rig.gateway(rig.client(sim), { commands: ['transaction'], transactions: { journalPath: rig.journal, fs } });
    fs.faults = { spaceLimit: 10 };
    const office = await rig.requester();
    const answer = await office.request('T1', 'transaction', { type: 'purchase', amount: 100 }, { id: 'order-9' });
    assert.deepEqual([answer.outcome, answer.error?.code], ['refused', 'store-failed']);
    assert.match(answer.error?.message ?? '', /not sent/);
    assert.equal(servedCommands(sim).filter((c) => c === 'transaction').length, 0);
    fs.faults = {};
  });

  it('the back office takes an answer only from the topic of the terminal it asked (its correlation data elsewhere is ignored)', async () => {
    const office = await rig.requester();
    const spy = await rig.raw(['jpay/T1/cmd/+']);
    const asked = office.request('T1', 'getparameters', {}, { id: 'q-7', timeoutMs: 10_000 });
    await spy.until((got) => got.length === 1, 10_000, 'the request');
    const correlationData = Buffer.from(spy.got[0].correlation ?? '', 'hex');
    assert.equal(correlationData.length, 16);
    const forged = { format: 'jpay-answer/1', id: 'q-7', command: 'getparameters', terminalId: 'T1', ok: true, outcome: 'ok', status: 'forged', at: new Date().toISOString() };
    await spy.publish('jpay/T2/res/q-7', JSON.stringify(forged), { qos: 1, properties: { correlationData } });
    await spy.publish('jpay/T1/res/q-7', JSON.stringify({ ...forged, status: 'genuine' }), { qos: 1, properties: { correlationData } });
    assert.equal((await asked).status, 'genuine');
  });

  it('publishes the retained state with the last receipt and totals, Home Assistant discovery, a last will, and offline on close', async () => {
    const sim = await rig.simulator();
    const client = rig.client(sim);
    const watch = await rig.subscriber(['jpay/T1/state', 'homeassistant/#']);
    const running = await rig.gateway(client, { state: { intervalMs: 0, homeAssistant: {} } });
    const states = (): TerminalStateSnapshot[] => watch.json<TerminalStateSnapshot>('jpay/T1/state');
    await watch.waitFor(() => states().length > 0);
    assert.deepEqual(states()[0].commands, ['getparameters', 'testconnection']);
    assert.equal(states()[0].state, 'online');
    await watch.waitFor((m) => m.filter((x) => x.topic.startsWith('homeassistant/sensor/jpay_T1/')).length === 5);
    const config = watch.json<{ state_topic: string; unique_id: string; device: { identifiers: string[] } }>(/^homeassistant\/sensor\/jpay_T1\/state\/config$/)[0];
    assert.deepEqual([config.state_topic, config.unique_id, config.device.identifiers], ['jpay/T1/state', 'jpay_T1_state', ['jpay_T1']]);
    assert.ok(watch.messages.filter((x) => x.topic.startsWith('homeassistant/')).every((x) => x.retain === false || x.retain === true));

    await client.transaction({ type: 'purchase', amount: 15000 });
    await watch.waitFor(() => states().some((s) => s.lastReceipt !== undefined && s.state === 'online'));
    assert.ok(states().some((s) => s.state === 'busy' && s.command === 'transaction'), 'busy while it ran');
    assert.ok(states().some((s) => (s.display?.text ?? '') !== ''), 'the display text while it ran');
    const after = states().at(-1)!;
    assert.equal(after.lastReceipt?.amount, 15000);
    assert.equal(after.lastReceipt?.approved, true);
    assert.match(after.lastReceipt?.pan ?? '', /^\d{0,6}\*+\d{4}$/);
    assert.deepEqual([after.today.approved, after.today.net], [1, { '643': 15000 }]);
    assert.equal(after.link, 'reachable');

    // The connection breaks: the broker publishes the last will; the gateway comes back.
    const count = watch.messages.length;
    running.connection!.stream.destroy();
    await watch.waitFor((m) => m.slice(count).some((x) => x.topic === 'jpay/T1/state' && JSON.parse(x.payload).state === 'offline'));
    const will = states().find((s) => s.state === 'offline')!;
    assert.equal((will as { reason?: string }).reason, 'connection-lost');
    await watch.waitFor((m) => m.slice(count).some((x) => x.topic === 'jpay/T1/state' && JSON.parse(x.payload).state === 'online'));

    await running.close();
    await watch.waitFor(() => states().at(-1)?.state === 'offline' && states().at(-1)?.reason === 'closed');
    // A late subscriber reads the retained state.
    const late = await rig.subscriber(['jpay/T1/state']);
    await late.waitFor((m) => m.length === 1);
    assert.deepEqual([late.messages[0].retain, JSON.parse(late.messages[0].payload).state], [true, 'offline']);
  });
});

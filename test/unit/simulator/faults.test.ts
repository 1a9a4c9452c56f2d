import assert from 'node:assert/strict';
import { childText, packet } from '../../../lib/codec/packet';
import { JpayProtocolError } from '../../../lib/errors';
import type { SimulatorHandle } from '../../../lib/simulator';
import { startTestSimulator } from '../../helpers/sim-fixtures';
import { amountWire, displayCodes, openSocket, rawCommand, status } from '../../helpers/sim-raw-client';

const purchase = (amount = 100) => packet('transaction', { type: 'purchase', amount: amountWire(amount) });

describe('simulator fault injection', () => {
  let sim: SimulatorHandle;
  beforeEach(async () => {
    sim = await startTestSimulator({ maxFrameSize: 8192, timing: { faultDelayMs: 40 } });
  });
  afterEach(async () => {
    await sim.close();
  });

  it('777.80 drops before the record (log empty); 777.81 drops after it (approved record)', async () => {
    await assert.rejects(rawCommand(sim.port, purchase(77780)), /closed/);
    assert.equal(sim.log().length, 0);
    await assert.rejects(rawCommand(sim.port, purchase(77781)), /closed/);
    assert.equal(sim.log().length, 1);
    assert.equal(sim.log()[0].tstatus, 'approved');
    assert.equal(sim.log()[0].amount, 77781);
  });

  it('delay-response holds the response; stall never sends it', async () => {
    const started = Date.now();
    assert.equal(status(await rawCommand(sim.port, purchase(77782))), 'ok');
    assert.ok(Date.now() - started >= 35);
    await assert.rejects(rawCommand(sim.port, purchase(77783), { timeoutMs: 100 }), /no packet within 100 ms/);
  });

  it('garbage, oversized and half frames replace the response', async () => {
    await assert.rejects(rawCommand(sim.port, purchase(77784)), (e: unknown) => e instanceof JpayProtocolError && e.code === 'bad-xml');
    await assert.rejects(rawCommand(sim.port, purchase(77785)), (e: unknown) => e instanceof JpayProtocolError && e.code === 'frame-too-large');
    await assert.rejects(rawCommand(sim.port, purchase(77786)), (e: unknown) => e instanceof JpayProtocolError && e.code === 'frame-truncated');
    assert.equal(sim.log().length, 3, 'the transactions themselves happened');
  });

  it('host-unreachable and card-removed, one-shot and lasting', async () => {
    const down = await rawCommand(sim.port, purchase(77787));
    assert.equal(status(down), 'communicationerror');
    assert.deepEqual(displayCodes(down).slice(-3), ['D1', 'D2', 'D3']);
    const removed = await rawCommand(sim.port, purchase(77788));
    assert.equal(status(removed), 'tryagain');
    assert.equal(displayCodes(removed).at(-1), '21');
    sim.setHostReachable(false);
    assert.equal(status(await rawCommand(sim.port, purchase())), 'communicationerror');
    assert.equal(status(await rawCommand(sim.port, packet('settlement', { password: '12345678' }))), 'communicationerror');
    sim.setHostReachable(true);
    assert.equal(status(await rawCommand(sim.port, purchase())), 'ok');
  });

  it('queued faults target a command and count down', async () => {
    sim.injectFault({ kind: 'drop-after-record', command: 'report', times: 2 });
    const report = packet('report', { password: '12345678', 'report-type': 'brief' });
    await assert.rejects(rawCommand(sim.port, report));
    await assert.rejects(rawCommand(sim.port, report));
    assert.equal(status(await rawCommand(sim.port, report)), 'ok');
    sim.injectFault({ kind: 'garbage-frame', command: '*' });
    const socket = await openSocket(sim.port);
    try {
      await socket.send(packet('resetpassword'));
      await assert.rejects(socket.receive(1000), /XML/);
    } finally {
      socket.destroy();
    }
    assert.deepEqual(sim.faults(), []);
  });

  it('drop-before-record on settlement keeps the log; drop-after-record empties it', async () => {
    await rawCommand(sim.port, purchase());
    sim.injectFault({ kind: 'drop-before-record', command: 'settlement' });
    await assert.rejects(rawCommand(sim.port, packet('settlement', { password: '12345678' })));
    assert.equal(sim.log().length, 1);
    sim.injectFault({ kind: 'drop-after-record', command: 'settlement' });
    await assert.rejects(rawCommand(sim.port, packet('settlement', { password: '12345678' })));
    assert.equal(sim.log().length, 0);
    assert.equal(childText((await rawCommand(sim.port, packet('settlement', { password: '12345678' }))).response.body, 'status'), 'ok');
  });
});

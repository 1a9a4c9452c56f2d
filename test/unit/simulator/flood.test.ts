/**
 * Issue 11, case 4 (simulator side): a client that floods the simulator with small frames
 * after its command is cut off once the connection holds more than its queue allows; the
 * simulator lives on and serves the next client.
 */
import assert from 'node:assert/strict';
import { encodeFrame } from '../../../lib/codec/frame';
import { packet } from '../../../lib/codec/packet';
import { DEFAULT_MAX_QUEUED_PACKETS } from '../../../lib/codec/packet-socket';
import type { SimulatorHandle } from '../../../lib/simulator';
import type { SimulatorEvent } from '../../../lib/simulator/events';
import { startTestSimulator } from '../../helpers/sim-fixtures';
import { openSocket, rawCommand, status } from '../../helpers/sim-raw-client';

describe('simulator: bounded memory per connection', () => {
  let sim: SimulatorHandle;
  beforeEach(async () => {
    // A long linger after the response: without a bound the flood would be held for a minute.
    sim = await startTestSimulator({ timing: { firstPacketTimeoutMs: 60_000 } });
  });
  afterEach(async () => {
    await sim.close();
  });

  it('a client flooding small frames after login is cut off with a queue overflow; the simulator serves the next client', async () => {
    const overflow = new Promise<SimulatorEvent>((resolve) => {
      sim.on('event', (e) => {
        if (e.type === 'bad-input' && /more than \d+ packets/.test(e.reason)) resolve(e);
      });
    });
    const socket = await openSocket(sim.port);
    const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
    await socket.send(packet('login', { password: '12345678' }));
    assert.equal((await socket.receive(2000)).name, 'login');
    const tiny = encodeFrame('<k/>');
    const burst = Buffer.concat(Array.from({ length: 10_000 }, () => tiny));
    // Keep sending until the simulator cuts the line (it does after DEFAULT_MAX_QUEUED_PACKETS).
    for (let i = 0; i < 100 && !socket.isClosed; i++) await socket.sendRaw(burst).catch(() => undefined);
    const event = await overflow;
    assert.match((event as { reason: string }).reason, new RegExp(`more than ${DEFAULT_MAX_QUEUED_PACKETS} packets`));
    await closed;
    const x = await rawCommand(sim.port, packet('report', { password: '12345678', 'report-type': 'brief' }));
    assert.equal(status(x), 'ok');
  });
});

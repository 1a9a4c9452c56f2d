import assert from 'node:assert/strict';
import { childElement, childText, packet } from '../../../lib/codec/packet';
import { encodeFrame } from '../../../lib/codec/frame';
import type { SimulatorHandle } from '../../../lib/simulator';
import { startTestSimulator } from '../../helpers/sim-fixtures';
import { amountWire, errorTexts, openSocket, rawCommand, status } from '../../helpers/sim-raw-client';

const purchase = (amount = 100) => packet('transaction', { type: 'purchase', amount: amountWire(amount) });

async function stillServes(sim: SimulatorHandle): Promise<void> {
  const x = await rawCommand(sim.port, packet('report', { password: '12345678', 'report-type': 'brief' }));
  assert.equal(status(x), 'ok');
}

describe('simulator robustness', () => {
  let sim: SimulatorHandle;
  beforeEach(async () => {
    sim = await startTestSimulator({ maxFrameSize: 4096, timing: { frameTimeoutMs: 50, firstPacketTimeoutMs: 200 } });
  });
  afterEach(async () => {
    await sim.close();
  });

  it('bad XML gets an <error> formaterror answer', async () => {
    const socket = await openSocket(sim.port);
    try {
      await socket.sendRaw(encodeFrame('<transaction><type>purchase</typ>'));
      const answer = await socket.receive(2000);
      assert.equal(answer.name, 'error');
      assert.equal(childText(answer.body, 'status'), 'formaterror');
    } finally {
      socket.destroy();
    }
    await stillServes(sim);
  });

  it('garbage bytes, an oversized frame, a half frame and silence close the connection', async () => {
    for (const bytes of [Buffer.from([0xff, 0xff, 0xff, 0xff, 1, 2, 3]), Buffer.from([0, 0, 0, 50, 0x3c]), Buffer.alloc(0)]) {
      const socket = await openSocket(sim.port);
      const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
      if (bytes.length > 0) await socket.sendRaw(bytes);
      await closed;
    }
    const big = await openSocket(sim.port);
    const closed = new Promise<void>((resolve) => big.once('close', () => resolve()));
    await big.sendRaw(encodeFrame(`<report><password>${'1'.repeat(5000)}</password></report>`)).catch(() => undefined);
    await closed;
    await stillServes(sim);
  });

  it('an empty frame and an unknown root are answered, not crashed on', async () => {
    const socket = await openSocket(sim.port);
    try {
      await socket.sendRaw(encodeFrame(''));
      assert.equal(childText((await socket.receive(2000)).body, 'status'), 'formaterror');
    } finally {
      socket.destroy();
    }
    assert.equal(status(await rawCommand(sim.port, packet('keepalive'))), 'notimplemented');
  });

  it('a client that vanishes mid-transaction leaves nothing recorded and the terminal free', async () => {
    sim.setAutoPresent(false);
    const socket = await openSocket(sim.port);
    const waiting = sim.waitForEvent((e) => e.type === 'waiting-for-card');
    await socket.send(purchase());
    await socket.receive(2000); // keepalive, not answered
    await socket.send(packet('keepalive', { status: 'ok' }));
    await socket.receive(2000); // display 15
    socket.destroy();
    await sim.waitForEvent((e) => e.type === 'command' && e.status === 'client-gone');
    void waiting.catch(() => undefined);
    assert.equal(sim.log().length, 0);
    sim.setAutoPresent(true);
    assert.equal(status(await rawCommand(sim.port, purchase())), 'ok');
  });

  it('a message answer that never comes ends the command with timeout', async () => {
    await sim.close();
    sim = await startTestSimulator({ timing: { answerTimeoutMs: 30 } });
    const socket = await openSocket(sim.port);
    try {
      await socket.send(purchase());
      assert.equal((await socket.receive(2000)).name, 'keepalive');
      const response = await socket.receive(2000);
      assert.equal(response.name, 'transaction');
      assert.equal(childText(response.body, 'status'), 'timeout');
    } finally {
      socket.destroy();
    }
  });

  it('an answer with the wrong root name ends the command with failed', async () => {
    const x = await rawCommand(sim.port, purchase(), { answer: (m) => (m.name === 'keepalive' ? packet('display', { status: 'ok' }) : undefined) });
    assert.equal(status(x), 'failed');
    assert.match(errorTexts(x.response)[0], /expected an answer <keepalive>/);
  });

  it('many concurrent connections are all answered', async () => {
    const results = await Promise.all(
      Array.from({ length: 20 }, () => rawCommand(sim.port, packet('report', { password: '12345678', 'report-type': 'brief' }))),
    );
    assert.ok(results.every((x) => status(x) === 'ok'));
    assert.ok(childElement(results[0].response.body, 'xreport'));
  });
});

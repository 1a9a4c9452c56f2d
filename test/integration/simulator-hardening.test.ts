/**
 * The simulator is a tool people run: idle sockets must not starve logins, and its control
 * API must not serve web pages or read files. Real sockets and real HTTP throughout.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeFrame } from '../../lib/codec/frame';
import { packet } from '../../lib/codec/packet';
import type { SimulatorEvent, SimulatorHandle, SimulatorOptions } from '../../lib/simulator';
import { controlCall } from '../helpers/sim-control';
import { startTestSimulator } from '../helpers/sim-fixtures';
import { amountWire, rawCommand, status } from '../helpers/sim-raw-client';

/** A TCP connection that never sends a byte (with allowHalfOpen, never closes its side); resolves once connected. */
function idleSocket(port: number, allowHalfOpen = false): Promise<{ socket: Socket; closed: Promise<void> }> {
  return new Promise((resolve, reject) => {
    const socket = connect({ port, host: '127.0.0.1', allowHalfOpen });
    // A refused connection may be reset: that is its answer, not a test failure.
    socket.on('error', () => undefined);
    const closed = new Promise<void>((done) => socket.once('close', () => done()));
    socket.once('connect', () => resolve({ socket, closed }));
    closed.then(() => reject(new Error('closed before connecting')), () => undefined);
  });
}

/** Resolves after `count` events matching `match` (counted from now). */
function countEvents(sim: SimulatorHandle, count: number, match: (e: SimulatorEvent) => boolean): Promise<SimulatorEvent[]> {
  return new Promise((resolve) => {
    const seen: SimulatorEvent[] = [];
    const listener = (e: SimulatorEvent): void => {
      if (!match(e)) return;
      seen.push(e);
      if (seen.length === count) {
        sim.off('event', listener);
        resolve(seen);
      }
    };
    sim.on('event', listener);
  });
}

/** A raw HTTP request, with any Host header (fetch does not let a test set it). */
function rawHttp(url: string, method: string, headers: Record<string, string>, body = ''): Promise<{ code: number; headers: Record<string, unknown>; text: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method, headers }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.on('end', () => resolve({ code: res.statusCode ?? 0, headers: res.headers, text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

describe('simulator hardening', () => {
  let sim: SimulatorHandle;
  const start = async (options: SimulatorOptions = {}): Promise<void> => {
    sim = await startTestSimulator({ controlPort: 0, ...options });
  };
  afterEach(async () => {
    await sim?.close();
  });

  describe('idle connections do not starve logins', () => {
    // The deadlines leave the test time to open every socket before the first one expires.
    it('40 idle sockets against the default cap of 32: 8 refused with a log line, all closed at the first-packet deadline, then a login succeeds', async () => {
      const logLines: string[] = [];
      await start({ logger: (line) => logLines.push(line), timing: { firstPacketTimeoutMs: 1000 } });
      const refused = countEvents(sim, 8, (e) => e.type === 'connection-refused');
      const idle = await Promise.all(Array.from({ length: 40 }, () => idleSocket(sim.port)));
      const events = await refused;
      assert.ok(events.every((e) => e.type === 'connection-refused' && e.max === 32 && e.open === 32));
      // The simulator itself closes every one of them: the refused at once, the others at the deadline.
      await Promise.all(idle.map((s) => s.closed));
      assert.equal(status(await rawCommand(sim.port, packet('login', { password: '12345678' }))), 'ok');
      const refusals = logLines.filter((l) => /^connection from 127\.0\.0\.1:\d+ refused: 32 connections open, the limit is 32 \(maxConnections\)$/.test(l));
      assert.equal(refusals.length, 8);
      const timeouts = logLines.filter((l) => /^connection from 127\.0\.0\.1:\d+ closed: no command within 1000 ms \(firstPacketTimeoutMs\)$/.test(l));
      assert.equal(timeouts.length, 32);
    });

    it('the cap is configurable: one over it is refused, and the slots come back', async () => {
      await start({ maxConnections: 2, timing: { firstPacketTimeoutMs: 1000 } });
      const refused = countEvents(sim, 1, (e) => e.type === 'connection-refused');
      const idle = await Promise.all([idleSocket(sim.port), idleSocket(sim.port)]);
      const third = await idleSocket(sim.port);
      assert.deepEqual(
        (await refused).map((e) => e.type === 'connection-refused' && [e.open, e.max]),
        [[2, 2]],
      );
      await Promise.all([third, ...idle].map((s) => s.closed));
      assert.equal(status(await rawCommand(sim.port, packet('transaction', { type: 'purchase', amount: amountWire(100) }))), 'ok');
    });

    it('a client that never closes after its response is cut off at the same deadline, freeing its slot', async () => {
      await start({ maxConnections: 1, timing: { firstPacketTimeoutMs: 200 } });
      const { socket } = await idleSocket(sim.port, true);
      const ended = new Promise<void>((resolve) => socket.once('end', () => resolve()));
      const cutOff = sim.waitForEvent((e) => e.type === 'bad-input' && /not closed by the client within 200 ms/.test(e.reason), 10_000);
      socket.write(encodeFrame('<resetpassword/>'));
      socket.resume();
      await ended;
      await cutOff;
      assert.equal(status(await rawCommand(sim.port, packet('login', { password: '12345678' }))), 'ok');
      socket.destroy();
    });
  });

  describe('control API: no file names in requests', () => {
    let dir: string;
    beforeEach(async () => {
      dir = await mkdtemp(join(tmpdir(), 'jpay-sim-image-'));
    });
    afterEach(async () => {
      await rm(dir, { recursive: true, force: true });
    });

    it('PUT /mifare refuses imageFile: the file is neither read nor echoed, its size not told', async () => {
      await start();
      const secret = Buffer.alloc(1024, 0xa5);
      secret.set([0x11, 0x22, 0x33, 0x44, 0x11 ^ 0x22 ^ 0x33 ^ 0x44], 0);
      const image = join(dir, 'card.mfd');
      await writeFile(image, secret);
      const odd = join(dir, 'odd.bin');
      await writeFile(odd, Buffer.alloc(777, 1));
      for (const imageFile of [image, odd, '/etc/passwd']) {
        const x = await controlCall(sim, 'PUT', '/mifare', { imageFile });
        assert.equal(x.code, 400);
        assert.equal(x.json.field, 'imageFile');
        assert.match(String(x.json.error), /not accepted over the control API.*--mifare-image/);
        const text = JSON.stringify(x.json);
        assert.doesNotMatch(text, /a5a5|A5A5|777|1024 bytes|root:/);
      }
      assert.equal((await controlCall(sim, 'GET', '/mifare')).json.present, false);
      // The image itself, in the body, is how a card is laid in the field.
      const put = await controlCall(sim, 'PUT', '/mifare', { image: secret.toString('hex') });
      assert.equal(put.json.uid, '11223344');
    });
  });

  describe('control API: web pages cannot drive it', () => {
    it('POST and PUT need Content-Type: application/json (415, nothing changes)', async () => {
      await start();
      sim.queueOutcome({ status: 'readererror' });
      for (const [method, path, type] of [
        ['POST', '/reset', 'text/plain'],
        ['POST', '/faults', 'text/plain;charset=UTF-8'],
        ['POST', '/faults', 'application/x-www-form-urlencoded'],
        ['POST', '/faults', 'multipart/form-data; boundary=x'],
        ['PUT', '/host', 'text/plain'],
      ] as const) {
        const res = await fetch(`${sim.controlUrl}${path}`, { method, headers: { 'content-type': type }, body: '{"kind":"stall","reachable":false}' });
        assert.equal(res.status, 415, `${method} ${path} ${type}`);
        assert.match(((await res.json()) as { error: string }).error, /Content-Type: application\/json/);
      }
      const bare = await fetch(`${sim.controlUrl}/reset`, { method: 'POST' });
      assert.equal(bare.status, 415);
      await bare.body?.cancel();
      assert.equal(sim.outcomes().length, 1, 'not reset');
      assert.equal(sim.faults().length, 0, 'no fault injected');
      assert.equal((sim.state() as { hostReachable: boolean }).hostReachable, true);
      const json = await controlCall(sim, 'POST', '/faults', { kind: 'stall' }, { 'content-type': 'application/json; charset=utf-8' });
      assert.equal(json.code, 200);
    });

    it('a foreign Origin gets 403 and changes nothing; no Origin or the API\'s own loopback origin is served', async () => {
      await start();
      const port = new URL(sim.controlUrl ?? '').port;
      for (const origin of ['https://evil.example', 'http://evil.example:' + port, 'null', `http://127.0.0.1:${Number(port) + 1}`, `https://127.0.0.1:${port}`]) {
        const inject = await controlCall(sim, 'POST', '/faults', { kind: 'stall' }, { origin });
        assert.equal(inject.code, 403, origin);
        assert.match(String(inject.json.error), /cross-origin requests are refused/);
        assert.equal((await controlCall(sim, 'GET', '/log', undefined, { origin })).code, 403, origin);
      }
      assert.equal(sim.faults().length, 0);
      for (const origin of [`http://127.0.0.1:${port}`, `http://localhost:${port}`, `http://[::1]:${port}`]) {
        assert.equal((await controlCall(sim, 'GET', '/health', undefined, { origin })).code, 200, origin);
      }
      assert.equal((await controlCall(sim, 'POST', '/faults', { kind: 'stall' })).code, 200, 'no Origin: a local tool');
      const preflight = await rawHttp(`${sim.controlUrl}/faults`, 'OPTIONS', { origin: 'https://evil.example', 'access-control-request-method': 'POST' });
      assert.equal(preflight.code, 403);
      assert.equal(preflight.headers['access-control-allow-origin'], undefined);
    });

    it('on loopback, a Host that is not a loopback name gets 403 (DNS rebinding)', async () => {
      await start();
      const port = new URL(sim.controlUrl ?? '').port;
      const rebound = await rawHttp(`${sim.controlUrl}/log`, 'GET', { host: `attacker.example:${port}` });
      assert.equal(rebound.code, 403);
      assert.match(rebound.text, /Host header must name this machine/);
      const reset = await rawHttp(`${sim.controlUrl}/reset`, 'POST', { host: `attacker.example:${port}`, 'content-type': 'application/json' }, '{}');
      assert.equal(reset.code, 403);
      for (const host of [`localhost:${port}`, `127.0.0.1:${port}`, `[::1]:${port}`, 'localhost']) {
        assert.equal((await rawHttp(`${sim.controlUrl}/health`, 'GET', { host })).code, 200, host);
      }
    });
  });
});

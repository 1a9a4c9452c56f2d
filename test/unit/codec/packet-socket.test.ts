import assert from 'node:assert/strict';
import { once } from 'node:events';
import { mock } from 'node:test';
import { encodeFrame } from '../../../lib/codec/frame';
import { packet, Packet } from '../../../lib/codec/packet';
import { PacketSocket, PacketSocketOptions, ReceiveTimeoutError } from '../../../lib/codec/packet-socket';
import { serializePacket } from '../../../lib/codec/xml';
import { JpayError, JpayProtocolError, JpayValidationError } from '../../../lib/errors';
import { TcpPair, tcpPair } from '../../helpers/codec-tcp';

const LOGIN = packet('login', { password: '12345678' }, { 'client-handshake': 'AwAXQQRz' });
const DISPLAY = packet('display', { text: 'Приложите карту', code: 'D4', lines: { line: ['один', 'два'] } });

function frameOf(p: Packet): Buffer {
  return encodeFrame(serializePacket(p));
}

function protocolError(code: string) {
  return (error: unknown): boolean => {
    assert.ok(error instanceof JpayProtocolError, `expected JpayProtocolError, got ${String(error)}`);
    assert.equal(error.code, code);
    return true;
  };
}

/** The 'close' event (events.once would reject on the 'error' these tests provoke). */
function closeOf(emitter: { once(event: 'close', listener: () => void): unknown }): Promise<void> {
  return new Promise((resolve) => emitter.once('close', () => resolve()));
}

/** Write raw bytes from one end and resolve when the other end has received something. */
async function writeAndArrive(pair: TcpPair, bytes: Buffer): Promise<void> {
  const arrived = once(pair.peer, 'data');
  pair.client.write(bytes);
  await arrived;
}

describe('codec/PacketSocket over TCP', () => {
  let pairs: TcpPair[] = [];
  let sockets: PacketSocket[] = [];

  async function connect(options?: PacketSocketOptions): Promise<{ pair: TcpPair; client: PacketSocket; server: PacketSocket }> {
    const pair = await tcpPair();
    pairs.push(pair);
    const client = new PacketSocket(pair.client, options);
    const server = new PacketSocket(pair.peer, options);
    sockets.push(client, server);
    return { pair, client, server };
  }

  /** A PacketSocket on the accepted end only; the test writes raw bytes on pair.client. */
  async function rawClient(options?: PacketSocketOptions): Promise<{ pair: TcpPair; server: PacketSocket }> {
    const pair = await tcpPair();
    pairs.push(pair);
    const server = new PacketSocket(pair.peer, options);
    sockets.push(server);
    return { pair, server };
  }

  afterEach(async () => {
    mock.timers.reset();
    for (const socket of sockets) socket.destroy();
    await Promise.all(pairs.map((pair) => pair.close()));
    for (const pair of pairs) {
      assert.equal(pair.server.listening, false);
      assert.ok(pair.client.destroyed && pair.peer.destroyed);
    }
    pairs = [];
    sockets = [];
  });

  it('carries packets in both directions (pull API)', async () => {
    const { client, server } = await connect();
    await client.send(LOGIN);
    assert.deepEqual(await server.receive(), LOGIN);
    await server.send(DISPLAY);
    assert.deepEqual(await client.receive(), DISPLAY);
  });

  it('carries packets as events, in order, however the bytes are chunked', async () => {
    const { pair, server } = await rawClient();
    pair.client.setNoDelay(true);
    const seen: Packet[] = [];
    server.on('packet', (p) => seen.push(p));
    const bytes = Buffer.concat([frameOf(LOGIN), frameOf(DISPLAY), frameOf(LOGIN)]);
    // Split inside the header of the second frame and inside a Cyrillic character.
    const cut1 = frameOf(LOGIN).length + 2;
    const cut2 = cut1 + 30;
    const done = new Promise<void>((resolve) => server.on('packet', () => seen.length === 3 && resolve()));
    pair.client.write(bytes.subarray(0, cut1));
    pair.client.write(bytes.subarray(cut1, cut2));
    pair.client.write(bytes.subarray(cut2));
    await done;
    assert.deepEqual(seen, [LOGIN, DISPLAY, LOGIN]);
  });

  it('queues packets that arrive before receive() is called', async () => {
    const { pair, server } = await rawClient();
    await writeAndArrive(pair, Buffer.concat([frameOf(LOGIN), frameOf(DISPLAY)]));
    assert.deepEqual(await server.receive(), LOGIN);
    assert.deepEqual(await server.receive(), DISPLAY);
  });

  it('destroys a trickling sender with frame-timeout once a started frame exceeds frameTimeoutMs', async () => {
    const { pair, server } = await rawClient({ frameTimeoutMs: 100 });
    const started = Date.now();
    const failed = once(server, 'error');
    const closed = closeOf(server);
    const clientClosed = closeOf(pair.client);
    const pending = server.receive();
    const frame = frameOf(LOGIN);
    pair.client.write(frame.subarray(0, 10));
    const [error] = await failed;
    assert.ok(Date.now() - started >= 90, 'not before the deadline');
    protocolError('frame-timeout')(error);
    await assert.rejects(pending, protocolError('frame-timeout'));
    await closed;
    assert.ok(pair.peer.destroyed);
    assert.equal(server.isClosed, true);
    await clientClosed;
    await assert.rejects(server.receive(), protocolError('frame-timeout'));
  });

  it('gives every frame its own deadline, counted from its first byte', async () => {
    mock.timers.enable({ apis: ['setTimeout', 'Date'], now: 1_000_000 });
    const { pair, server } = await rawClient({ frameTimeoutMs: 100 });
    const errors: Error[] = [];
    server.on('error', (error) => errors.push(error));
    const seen: Packet[] = [];
    server.on('packet', (p) => seen.push(p));
    const a = frameOf(LOGIN);
    const b = frameOf(DISPLAY);
    await writeAndArrive(pair, a.subarray(0, 5));
    mock.timers.tick(70);
    // The rest of A and the start of B arrive together, 70 ms into A.
    await writeAndArrive(pair, Buffer.concat([a.subarray(5), b.subarray(0, 5)]));
    assert.deepEqual(seen, [LOGIN]);
    mock.timers.tick(70); // 140 ms after A started, 70 ms after B did.
    assert.deepEqual(errors, [], 'B must not inherit the deadline of A');
    mock.timers.tick(40); // 110 ms after B started.
    assert.equal(errors.length, 1);
    protocolError('frame-timeout')(errors[0]);
  });

  it('does not time out between frames', async () => {
    mock.timers.enable({ apis: ['setTimeout', 'Date'], now: 1_000_000 });
    const { pair, server } = await rawClient({ frameTimeoutMs: 100 });
    const errors: Error[] = [];
    server.on('error', (error) => errors.push(error));
    await writeAndArrive(pair, frameOf(LOGIN));
    mock.timers.tick(10_000);
    assert.deepEqual(errors, []);
    assert.deepEqual(await server.receive(), LOGIN);
  });

  it('destroys the socket with frame-too-large on an oversized declared length', async () => {
    const { pair, server } = await rawClient({ maxFrameSize: 1024 });
    const failed = once(server, 'error');
    const clientClosed = closeOf(pair.client);
    const pending = server.receive();
    pair.client.write(Buffer.from([0xff, 0xff, 0xff, 0xff]));
    const [error] = await failed;
    protocolError('frame-too-large')(error);
    await assert.rejects(pending, protocolError('frame-too-large'));
    await clientClosed;
    assert.ok(pair.peer.destroyed);
  });

  it('still delivers the packet that precedes an oversized header in the same chunk', async () => {
    const { pair, server } = await rawClient({ maxFrameSize: 1024 });
    const seen: Packet[] = [];
    server.on('packet', (p) => seen.push(p));
    const failed = once(server, 'error');
    pair.client.write(Buffer.concat([frameOf(LOGIN), Buffer.from([0x00, 0x00, 0x04, 0x01])]));
    protocolError('frame-too-large')((await failed)[0]);
    assert.deepEqual(seen, [LOGIN]);
  });

  it('reports a complete frame with bad XML as invalid and keeps the connection', async () => {
    const { pair, server } = await rawClient();
    const invalid = once(server, 'invalid');
    const packetEvent = once(server, 'packet');
    pair.client.write(Buffer.concat([encodeFrame('<transaction><type>void/type></transaction>'), frameOf(LOGIN)]));
    protocolError('bad-xml')((await invalid)[0]);
    assert.deepEqual((await packetEvent)[0], LOGIN);
    assert.equal(server.isClosed, false);
    assert.equal(pair.peer.destroyed, false);
    // And it still sends.
    await server.send(DISPLAY);
  });

  it('makes receive() reject with bad-xml for an invalid frame, and the next receive() get the next packet', async () => {
    const { pair, server } = await rawClient();
    // Both frames arrive before anyone waits: the error is not lost.
    await writeAndArrive(pair, Buffer.concat([encodeFrame('<a/><b/>'), frameOf(LOGIN)]));
    await assert.rejects(server.receive(), protocolError('bad-xml'));
    assert.deepEqual(await server.receive(), LOGIN);
    // And while waiting.
    const waiting = server.receive();
    pair.client.write(encodeFrame('plain garbage'));
    await assert.rejects(waiting, protocolError('bad-xml'));
    pair.client.write(frameOf(DISPLAY));
    assert.deepEqual(await server.receive(), DISPLAY);
  });

  it('treats a zero-length frame as invalid, not as a broken connection', async () => {
    const { pair, server } = await rawClient();
    await writeAndArrive(pair, Buffer.concat([encodeFrame(''), frameOf(LOGIN)]));
    await assert.rejects(server.receive(), protocolError('bad-xml'));
    assert.deepEqual(await server.receive(), LOGIN);
  });

  it('rejects receive(timeoutMs) with ReceiveTimeoutError, and the late packet goes to the next receive()', async () => {
    const { client, server } = await connect();
    const error = await server.receive(30).then(
      () => assert.fail('resolved without a packet'),
      (e: unknown) => e,
    );
    assert.ok(error instanceof ReceiveTimeoutError);
    assert.ok(error instanceof JpayError);
    assert.equal(error.timeoutMs, 30);
    await client.send(LOGIN);
    assert.deepEqual(await server.receive(1000), LOGIN);
  });

  it('fails with frame-truncated when the peer closes in the middle of a frame', async () => {
    const { pair, server } = await rawClient();
    const pending = server.receive();
    const failed = once(server, 'error');
    const closed = closeOf(server);
    const frame = frameOf(DISPLAY);
    pair.client.end(frame.subarray(0, frame.length - 3));
    await assert.rejects(pending, protocolError('frame-truncated'));
    protocolError('frame-truncated')((await failed)[0]);
    await closed;
    assert.equal(server.isClosed, true);
    await assert.rejects(server.receive(), protocolError('frame-truncated'));
  });

  it('fails with frame-truncated when the peer closes inside the header', async () => {
    const { pair, server } = await rawClient();
    const pending = server.receive();
    pair.client.end(Buffer.from([0x00, 0x00]));
    await assert.rejects(pending, protocolError('frame-truncated'));
  });

  it('reports a clean close between frames as a plain connection error', async () => {
    const { pair, server } = await rawClient();
    const pending = server.receive();
    const closed = closeOf(server);
    pair.client.end(frameOf(LOGIN));
    assert.deepEqual(await pending, LOGIN);
    await closed;
    const error = await server.receive().then(
      () => assert.fail('resolved after close'),
      (e: unknown) => e,
    );
    assert.ok(error instanceof JpayError);
    assert.ok(!(error instanceof JpayProtocolError));
    await assert.rejects(server.send(LOGIN), JpayError);
  });

  it('rejects send() of a packet above maxFrameSize or with a bad name', async () => {
    const { client } = await connect({ maxFrameSize: 64 });
    await assert.rejects(client.send(packet('x', { v: 'я'.repeat(40) })), protocolError('frame-too-large'));
    // A packet the serializer refuses rejects too, rather than throwing synchronously.
    await assert.rejects(client.send(packet('x', { 'a><b': '1' })), JpayValidationError);
  });

  it('refuses nonsensical options', async () => {
    const pair = await tcpPair();
    pairs.push(pair);
    const bad = [{ frameTimeoutMs: 0 }, { frameTimeoutMs: Number.NaN }, { frameTimeoutMs: Infinity }, { maxFrameSize: -1 }, { maxQueuedPackets: 0 }, { maxQueuedBytes: 1.5 }];
    for (const options of bad) {
      assert.throws(() => new PacketSocket(pair.client, options), JpayValidationError, JSON.stringify(options));
    }
  });

  describe('bounded memory (issue 11, case 4)', () => {
    const TINY = frameOf(packet('k'));

    it('a peer flooding packets nobody reads is cut off with queue-overflow; the queue never held more than the limit', async () => {
      const { pair, server } = await rawClient({ maxQueuedPackets: 16 });
      const failed = once(server, 'error');
      const closed = closeOf(server);
      // 100,000 packets in one go: without a bound every one of them would be held.
      pair.client.write(Buffer.concat(Array.from({ length: 100_000 }, () => TINY)));
      const [error] = await failed;
      protocolError('queue-overflow')(error);
      await closed;
      assert.equal(server.queuedPackets, 0, 'what was held is let go');
      assert.equal(server.peakQueue.packets, 16);
      await assert.rejects(server.receive(), protocolError('queue-overflow'));
    });

    it('counts bytes too: frames that fit the packet limit but not the byte limit', async () => {
      const big = frameOf(packet('display', { msg: 'x'.repeat(300) }));
      const { pair, server } = await rawClient({ maxQueuedPackets: 1000, maxQueuedBytes: 1000 });
      const failed = once(server, 'error');
      pair.client.write(Buffer.concat([big, big, big, big]));
      protocolError('queue-overflow')((await failed)[0]);
      assert.ok(server.peakQueue.bytes <= 1000 && server.peakQueue.bytes >= 900, String(server.peakQueue.bytes));
    });

    it('what receive() takes makes room again; the byte count follows', async () => {
      const { pair, server } = await rawClient({ maxQueuedPackets: 4 });
      for (let round = 0; round < 3; round++) {
        await writeAndArrive(pair, Buffer.concat([TINY, TINY, TINY, TINY]));
        while (server.queuedPackets < 4) await new Promise((resolve) => setImmediate(resolve));
        assert.equal(server.queuedBytes, 4 * (TINY.length - 4));
        for (let i = 0; i < 4; i++) assert.equal((await server.receive()).name, 'k');
        assert.equal(server.queuedBytes, 0);
      }
      assert.equal(server.isClosed, false);
    });

    it('writes a peer does not read pile up only to the byte limit: then the connection goes with queue-overflow', async () => {
      const { pair, server } = await rawClient({ maxQueuedBytes: 256 * 1024 });
      pair.client.pause();
      const chunk = Buffer.alloc(64 * 1024, 1);
      let refused: unknown;
      // Until the kernel's buffers are full writes leave at once; then they queue in memory.
      for (let sent = 0; sent < 256 * 1024 * 1024 && refused === undefined; sent += chunk.length) {
        server.sendRaw(chunk).catch((e: unknown) => (refused ??= e));
        await new Promise((resolve) => setImmediate(resolve));
      }
      protocolError('queue-overflow')(refused);
      assert.ok(server.socket.writableLength <= 256 * 1024 || server.socket.destroyed);
    });
  });
});

/**
 * Memory under a flood (issue 11, case 4), both ways, with the process's peak RSS:
 *  - a terminal that floods a JpayClient's transaction with keepalives and reads none of
 *    the answers (before the bound: 4.3 GB RSS);
 *  - a client that floods the simulator with small frames after its login (before: 2.3 GB).
 *
 *   node -r tsx/cjs scripts/flood.ts [--frames 2000000]
 *
 * Each side stops when its peer cuts the line (queue-overflow) or the frames are all sent.
 * Prints what each side saw and the peak RSS; exits 1 if the line was not cut.
 */
import { once } from 'node:events';
import net from 'node:net';
import { JpayClient } from '../lib/client';
import { encodeFrame } from '../lib/codec/frame';
import { packet } from '../lib/codec/packet';
import { PacketSocket } from '../lib/codec/packet-socket';
import { TransactionOutcomeUnknown } from '../lib/errors';
import { startSimulator } from '../lib/simulator';

const CHUNK_FRAMES = 10_000;

function peakRss(): { sample(): void; mb(): number; stop(): void } {
  let peak = process.memoryUsage.rss();
  const timer = setInterval(() => (peak = Math.max(peak, process.memoryUsage.rss())), 20);
  return {
    sample: () => (peak = Math.max(peak, process.memoryUsage.rss())),
    mb: () => Math.round(peak / 1024 / 1024),
    stop: () => clearInterval(timer),
  };
}

/** Writes `frames` copies of `frame`, in chunks, until the socket closes. Returns how many went out. */
async function flood(socket: net.Socket, frame: Buffer, frames: number): Promise<number> {
  const chunk = Buffer.concat(Array.from({ length: CHUNK_FRAMES }, () => frame));
  let sent = 0;
  while (sent < frames && !socket.destroyed) {
    if (!socket.write(chunk)) {
      await new Promise<void>((resolve) => {
        const done = (): void => {
          socket.off('drain', done).off('close', done);
          resolve();
        };
        socket.on('drain', done).on('close', done);
      });
    }
    sent += CHUNK_FRAMES;
  }
  return sent;
}

async function terminalFloodsClient(frames: number): Promise<{ cut: boolean; sent: number; outcome: string }> {
  let flooding: Promise<number> = Promise.resolve(0);
  const server = net.createServer((socket) => {
    socket.on('error', () => undefined);
    socket.once('data', () => {
      socket.pause(); // never reads an answer
      flooding = flood(socket, encodeFrame('<keepalive/>'), frames).finally(() => socket.destroy());
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const client = new JpayClient({ host: '127.0.0.1', port: (server.address() as net.AddressInfo).port, timeouts: { transactionMs: 600_000, idleMs: 600_000 } });
  let outcome = 'answered';
  try {
    await client.transaction({ type: 'purchase', amount: 100 });
  } catch (error) {
    outcome = error instanceof TransactionOutcomeUnknown ? `unknown (${error.reason})` : String(error);
  }
  const sent = await flooding;
  await client.close();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return { cut: outcome === 'unknown (queue-overflow)', sent, outcome };
}

async function clientFloodsSimulator(frames: number): Promise<{ cut: boolean; sent: number }> {
  const sim = await startSimulator({ port: 0, activatorPort: 0, timing: { firstPacketTimeoutMs: 600_000 } });
  let cut = false;
  sim.on('event', (e) => {
    if (e.type === 'bad-input' && /more than \d+ packets/.test(e.reason)) cut = true;
  });
  // Half-open allowed: the simulator's FIN after the login response does not stop the flood.
  const socket = net.connect({ host: '127.0.0.1', port: sim.port, allowHalfOpen: true });
  await once(socket, 'connect');
  socket.on('error', () => undefined);
  const ps = new PacketSocket(socket);
  await ps.send(packet('login', { password: '12345678' }));
  await ps.receive(5_000);
  const sent = await flood(socket, encodeFrame('<k/>'), frames);
  socket.destroy();
  await sim.close();
  return { cut, sent };
}

async function main(): Promise<void> {
  const i = process.argv.indexOf('--frames');
  const frames = i > 0 ? Number(process.argv[i + 1]) : 2_000_000;
  if (!Number.isInteger(frames) || frames < 1) throw new Error('--frames needs a positive integer');
  const rss = peakRss();
  const before = Math.round(process.memoryUsage.rss() / 1024 / 1024);
  const a = await terminalFloodsClient(frames);
  rss.sample();
  const b = await clientFloodsSimulator(frames);
  rss.stop();
  process.stdout.write(
    [
      `Flood of up to ${frames} frames each way (node ${process.version}); RSS at start ${before} MB.`,
      `- terminal → JpayClient (answers unread): ${a.outcome} after ${a.sent} frames written`,
      `- client → simulator (after login): ${b.cut ? 'cut off (queue-overflow)' : 'NOT cut off'} after ${b.sent} frames written`,
      `Peak RSS: ${rss.mb()} MB`,
      '',
    ].join('\n'),
  );
  if (!a.cut || !b.cut) process.exitCode = 1;
}

void main();

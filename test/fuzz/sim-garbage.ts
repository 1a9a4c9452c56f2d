/**
 * The simulator over TCP as a fuzz target: each input is one connection that sends garbage
 * (raw bytes, frames of random or mutated packets, lying headers, truncated frames,
 * undecryptable blocks), then a fresh connection logs in, and every 25 inputs (and at the
 * end) a whole purchase runs. The simulator must answer or close every garbage connection
 * within its own timeouts, keep serving, and never reach its "internal error" path.
 */
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import fc from 'fast-check';
import { encodeFrame } from '../../lib/codec/frame';
import { childText, packet } from '../../lib/codec/packet';
import { buildRequest } from '../../lib/protocol';
import type { SimulatorHandle } from '../../lib/simulator';
import { rawCommand } from '../helpers/sim-raw-client';
import { startTestSimulator } from '../helpers/sim-fixtures';
import { anyPacketText, xmlish } from './mutate';
import { serializePacket } from '../../lib/codec/xml';

export const SIM_PASSWORD = '12345678';
const MAX_FRAME = 64 * 1024;
/** Longer than any of the simulator's own timeouts below: past it, a connection hangs. */
const HANG_MS = 3000;

export interface GarbageStats {
  inputs: number;
  /** The simulator sent something back (an error answer, a response, a message). */
  answered: number;
  /** The simulator closed without a word (framing broke, nothing came in time). */
  closed: number;
  /** Neither within HANG_MS: a finding. */
  hung: number;
  loginsOk: number;
  purchasesOk: number;
  /** Simulator events of type bad-input, by reason prefix. */
  badInput: Map<string, number>;
  ms: number;
}

interface Garbage {
  bytes: Buffer;
  /** Half-close after writing (else keep the connection open and let the simulator time out). */
  end: boolean;
}

const frame = (text: string | Buffer): Buffer => {
  const body = typeof text === 'string' ? Buffer.from(text, 'utf8') : text;
  return encodeFrame(body.subarray(0, MAX_FRAME), MAX_FRAME);
};

const header = (length: number): Buffer => {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(length, 0);
  return b;
};

export const garbageArbitrary: fc.Arbitrary<Garbage> = fc.record({
  bytes: fc.oneof(
    { weight: 4, arbitrary: anyPacketText.map(frame) },
    fc.uint8Array({ maxLength: 200 }).map((b) => Buffer.from(b)),
    fc.uint8Array({ maxLength: 200 }).map((b) => frame(Buffer.from(b))),
    xmlish.map(frame),
    fc.array(anyPacketText, { minLength: 2, maxLength: 4 }).map((texts) => Buffer.concat(texts.map(frame))),
    fc.integer({ min: MAX_FRAME + 1, max: 0xffffffff }).map((n) => Buffer.concat([header(n), Buffer.from('<transaction>')])),
    fc.tuple(fc.integer({ min: 20, max: 5000 }), anyPacketText).map(([n, t]) => Buffer.concat([header(n), Buffer.from(t).subarray(0, n - 1)])),
    fc.uint8Array({ minLength: 1, maxLength: 120 }).map((b) =>
      frame(serializePacket(packet('transaction', { encrypted: Buffer.from(b).toString('base64') }))),
    ),
  ),
  end: fc.boolean(),
});

function openRaw(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect({ port, host: '127.0.0.1' }, () => {
      socket.off('error', reject);
      socket.on('error', () => undefined);
      resolve(socket);
    });
    socket.once('error', reject);
  });
}

/** Sends one garbage input; how the simulator reacted. */
async function sendGarbage(port: number, g: Garbage): Promise<'answered' | 'closed' | 'hung'> {
  const socket = await openRaw(port);
  return new Promise((resolve) => {
    const finish = (how: 'answered' | 'closed' | 'hung'): void => {
      clearTimeout(timer);
      socket.removeAllListeners('data');
      socket.removeAllListeners('close');
      socket.destroy();
      resolve(how);
    };
    const timer = setTimeout(() => finish('hung'), HANG_MS);
    // The first byte back settles it; the client then leaves (an exchange would wait for answers).
    socket.once('data', () => finish('answered'));
    socket.once('close', () => finish('closed'));
    socket.write(g.bytes, () => {
      if (g.end) socket.end();
    });
  });
}

async function login(port: number): Promise<string | undefined> {
  const { response } = await rawCommand(port, buildRequest('login', { password: SIM_PASSWORD }));
  return childText(response.body, 'status');
}

/** A whole purchase (the terminal is not stuck busy); waits out a garbage transaction still running. */
async function purchase(sim: SimulatorHandle): Promise<void> {
  for (let attempt = 0; attempt < 20; attempt++) {
    if (sim.state().busy !== null) {
      await sim.waitForEvent((e) => e.type === 'command', HANG_MS);
      continue;
    }
    const { response } = await rawCommand(sim.port, buildRequest('transaction', { type: 'purchase', amount: 100 }));
    const status = childText(response.body, 'status');
    if (status === 'failed' && sim.state().busy !== null) continue;
    assert.equal(status, 'ok', `purchase after garbage: ${status}`);
    return;
  }
  assert.fail('the simulator stayed busy');
}

export async function startFuzzSimulator(logLines: string[]): Promise<SimulatorHandle> {
  return startTestSimulator({
    maxFrameSize: MAX_FRAME,
    logger: (line) => logLines.push(line),
    timing: { firstPacketTimeoutMs: 200, frameTimeoutMs: 150, answerTimeoutMs: 300, cardTimeoutMs: 500 },
  });
}

/** Runs `runs` garbage connections against a fresh simulator (closed at the end). */
export async function runSimulatorGarbage(runs: number, seed?: number): Promise<GarbageStats> {
  const started = Date.now();
  const logLines: string[] = [];
  const sim = await startFuzzSimulator(logLines);
  const stats: GarbageStats = { inputs: 0, answered: 0, closed: 0, hung: 0, loginsOk: 0, purchasesOk: 0, badInput: new Map(), ms: 0 };
  const onEvent = (e: { type: string; reason?: string }): void => {
    if (e.type !== 'bad-input' || e.reason === undefined) return;
    const key = e.reason.replace(/\d+/g, 'N').replace(/[:(][\s\S]*$/, '').slice(0, 60).trim();
    stats.badInput.set(key, (stats.badInput.get(key) ?? 0) + 1);
  };
  sim.on('event', onEvent);
  try {
    await fc.assert(
      fc.asyncProperty(garbageArbitrary, async (g) => {
        stats.inputs += 1;
        const how = await sendGarbage(sim.port, g);
        stats[how] += 1;
        assert.notEqual(how, 'hung', 'the simulator neither answered nor closed');
        assert.equal(await login(sim.port), 'ok', 'a login after the garbage');
        stats.loginsOk += 1;
        if (stats.inputs % 25 === 0) {
          await purchase(sim);
          stats.purchasesOk += 1;
        }
        const internal = logLines.find((l) => l.startsWith('internal error'));
        assert.equal(internal, undefined, internal);
      }),
      { numRuns: runs, ...(seed === undefined ? {} : { seed }), endOnFailure: true },
    );
    await purchase(sim);
    stats.purchasesOk += 1;
  } finally {
    sim.off('event', onEvent);
    await sim.close();
  }
  stats.ms = Date.now() - started;
  return stats;
}

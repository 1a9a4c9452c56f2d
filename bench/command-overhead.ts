/**
 * Measurement 1 — command overhead: `testconnection` with a cached token (the simulator's
 * own work is one status line) through JpayClient vs. the hand-written client that frames
 * the request and parses the answer with fast-xml-parser (hand-client.ts: the baseline of
 * the target), and vs. the raw client sending pre-built bytes without a parse (reported).
 * Three identical simulated terminals in a child process, one per client, so no client's
 * login replaces another's token or session key; every delay is off.
 */
import {
  decodeServerHandshake,
  decryptPacket,
  deriveSessionKey,
  encodeClientHandshake,
  generateEphemeralKeyPair,
} from '../dist/lib/codec/crypto';
import { childText, packet } from '../dist/lib/codec/packet';
import { parsePacket, serializePacket } from '../dist/lib/codec/xml';
import { JpayClient } from '../dist/lib/client';
import { buildRequest } from '../dist/lib/protocol/requests';
import { Child } from './child';
import { handTestConnection } from './hand-client';
import { encryptedBlock, frame, open, rawExchange, seal } from './raw-client';
import { interleaveSides, median, type Comparison } from './stats';

export interface CommandOverheadOptions {
  encrypted: boolean;
  /** Commands per round and side. */
  iterations: number;
  rounds: number;
  /**
   * Commands per side before the first round, the three sides taking turns command by
   * command. V8 optimises the library's ≈ 40 functions on the path over the first thousands
   * of commands (the hand client's few much sooner): the rounds measure the steady state a
   * long-running Node-RED reaches, and the warm-up is reported on its own (`cold`).
   */
  warmup: number;
}

export interface CommandOverheadResult {
  encrypted: boolean;
  /** Round trip, µs (median of round medians), vs. the hand client. */
  latency: Comparison;
  /** CPU of the client process per command, µs, vs. the hand client. */
  cpu: Comparison;
  /** The same against the raw client (no parse). */
  raw: { latency: Comparison; cpu: Comparison };
  /** Round trip over the warm-up's `warmup` commands (a fresh process), µs: median of each side, vs. the hand client. */
  cold: Comparison;
  warmup: number;
}

const PASSWORD = '12345678';
const OK = Buffer.from('<status>ok</status>');

interface RawSession {
  token: string;
  key?: Buffer;
}

/** Login over the raw path (setup, not timed): token, and the session key when encrypted. */
async function rawLogin(port: number, encrypted: boolean): Promise<RawSession> {
  if (!encrypted) {
    const reply = await rawExchange(port, frame(serializePacket(packet('login', { password: PASSWORD }))));
    const token = childText(parsePacket(reply.toString('utf8')).body, 'token');
    if (!token) throw new Error('raw login failed');
    return { token };
  }
  const pair = generateEphemeralKeyPair();
  const request = packet('login', { password: PASSWORD }, { 'client-handshake': encodeClientHandshake(pair.publicKey) });
  const reply = parsePacket((await rawExchange(port, frame(serializePacket(request)))).toString('utf8'));
  const key = deriveSessionKey(pair.privateKey, decodeServerHandshake(reply.attrs['server-handshake'] ?? ''));
  const token = childText(decryptPacket(reply, key).body, 'token');
  if (!token) throw new Error('raw secure login failed');
  return { token, key };
}

/** The raw client's command: pre-built bytes (plain) or the same inner XML sealed per call (encrypted). */
function rawCommand(port: number, session: RawSession): () => Promise<void> {
  const request = buildRequest('testconnection', { token: session.token });
  const key = session.key;
  if (!key) {
    const bytes = frame(serializePacket(request));
    return async () => {
      const reply = await rawExchange(port, bytes);
      if (reply.indexOf(OK) < 0) throw new Error('raw testconnection failed');
    };
  }
  const inner = Buffer.from(serializePacket({ name: 'encrypted-data', attrs: {}, body: request.body }), 'utf8');
  return async () => {
    const bytes = frame(`<testconnection><encrypted>${seal(key, inner)}</encrypted></testconnection>`);
    const reply = await rawExchange(port, bytes);
    if (open(key, encryptedBlock(reply)).indexOf(OK) < 0) throw new Error('raw encrypted testconnection failed');
  };
}

/** One command's round trip, µs. */
async function timed(command: () => Promise<void>): Promise<number> {
  const start = process.hrtime.bigint();
  await command();
  return Number(process.hrtime.bigint() - start) / 1e3;
}

/** One round: `iterations` sequential commands; median round trip and CPU per command, µs. */
async function round(command: () => Promise<void>, iterations: number): Promise<{ latency: number; cpu: number }> {
  const samples: number[] = [];
  const cpuBefore = process.cpuUsage();
  for (let i = 0; i < iterations; i++) samples.push(await timed(command));
  const cpu = process.cpuUsage(cpuBefore);
  return { latency: median(samples), cpu: (cpu.user + cpu.system) / iterations };
}

export async function benchCommandOverhead(options: CommandOverheadOptions): Promise<CommandOverheadResult> {
  const host = Child.start('sim-host.ts');
  let client: JpayClient | undefined;
  try {
    const [subjectPort, handPort, rawPort] = await host.call<number[]>('start', { count: 3 });
    client = new JpayClient({ host: '127.0.0.1', port: subjectPort, password: PASSWORD, encrypt: options.encrypted });
    const jpay = client;
    const subject = async (): Promise<void> => {
      await jpay.testConnection();
    };
    const hand = handTestConnection(handPort, await rawLogin(handPort, options.encrypted));
    const raw = rawCommand(rawPort, await rawLogin(rawPort, options.encrypted));
    const cold = { subject: [] as number[], hand: [] as number[] };
    for (let i = 0; i < options.warmup; i++) {
      cold.subject.push(await timed(subject));
      cold.hand.push(await timed(hand));
      await raw();
    }
    if (options.encrypted && !jpay.encrypted) throw new Error('JpayClient did not establish an encrypted session');
    const [vsHand, vsRaw] = await interleaveSides(options.rounds, ['latency', 'cpu'] as const, [subject, hand, raw].map((c) => () => round(c, options.iterations)));
    const coldSubject = median(cold.subject);
    const coldHand = median(cold.hand);
    const coldRatio = { subject: coldSubject, baseline: coldHand, ratio: coldSubject / coldHand, rounds: [] };
    return { encrypted: options.encrypted, latency: vsHand.latency, cpu: vsHand.cpu, raw: vsRaw, cold: coldRatio, warmup: options.warmup };
  } finally {
    await client?.close();
    await host.stop();
  }
}

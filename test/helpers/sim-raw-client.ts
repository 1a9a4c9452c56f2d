/**
 * A raw JPAY client for simulator tests: sends one command packet over a real TCP
 * connection, answers the terminal's messages (encrypted when the command was), and
 * returns the response and every message seen. No lib/client involved.
 */
import { connect, type Socket } from 'node:net';
import {
  decodeServerHandshake,
  decryptPacket,
  deriveSessionKey,
  encodeClientHandshake,
  encryptPacket,
  generateEphemeralKeyPair,
  isEncryptedPacket,
} from '../../lib/codec/crypto';
import { childText, packet, type Packet, type XmlElement } from '../../lib/codec/packet';
import { PacketSocket } from '../../lib/codec/packet-socket';

export type Answerer = (message: Packet) => XmlElement | Packet | undefined;

export interface RawOptions {
  /** Session key: encrypt the command and messages' answers, decrypt what comes back. */
  key?: Buffer;
  /** Custom answers; undefined falls back to the defaults (ok; card: notimplemented). */
  answer?: Answerer;
  timeoutMs?: number;
  /** Send this answer for the message in plain text even with a key (negative tests). */
  plainAnswers?: boolean;
  /** Largest frame this client accepts (default: the codec's 1 MiB). */
  maxFrameSize?: number;
}

export interface RawExchange {
  response: Packet;
  /** Messages as received (decrypted). */
  messages: Packet[];
  /** Whether the response arrived encrypted. */
  encrypted: boolean;
}

export function defaultAnswer(message: Packet): XmlElement {
  if (message.name === 'card') return { status: 'notimplemented' };
  if (['keepalive', 'keep-alive', 'display', 'displayqrcode', 'dex'].includes(message.name)) return { status: 'ok' };
  return { status: 'notimplemented' };
}

/** A connected raw socket (plain net.Socket), e.g. one that stays idle. */
export function connectRaw(port: number, host = '127.0.0.1'): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = connect({ port, host }, () => {
      s.off('error', reject);
      resolve(s);
    });
    s.once('error', reject);
  });
}

export async function openSocket(port: number, host = '127.0.0.1', maxFrameSize?: number): Promise<PacketSocket> {
  const socket = await connectRaw(port, host);
  return new PacketSocket(socket, { frameTimeoutMs: 5000, ...(maxFrameSize === undefined ? {} : { maxFrameSize }) });
}

/** Displays codes of an exchange, in order. */
export function displayCodes(exchange: RawExchange): string[] {
  return exchange.messages.filter((m) => m.name === 'display').map((m) => childText(m.body, 'code') ?? '');
}

export function messageNames(exchange: RawExchange): string[] {
  return exchange.messages.map((m) => m.name);
}

export async function rawCommand(port: number, command: Packet, options: RawOptions = {}): Promise<RawExchange> {
  const socket = await openSocket(port, '127.0.0.1', options.maxFrameSize);
  try {
    return await exchangeOn(socket, command, options);
  } finally {
    socket.destroy();
  }
}

export async function exchangeOn(socket: PacketSocket, command: Packet, options: RawOptions = {}): Promise<RawExchange> {
  const { key, timeoutMs = 5000 } = options;
  await socket.send(key ? encryptPacket(command, key) : command);
  const messages: Packet[] = [];
  for (;;) {
    let received = await socket.receive(timeoutMs);
    const encrypted = isEncryptedPacket(received);
    if (key && encrypted) received = decryptPacket(received, key);
    if (received.name === command.name) return { response: received, messages, encrypted };
    messages.push(received);
    const custom = options.answer?.(received);
    const answer: Packet =
      custom && 'name' in custom && 'body' in custom && typeof custom.name === 'string'
        ? (custom as Packet)
        : packet(received.name, (custom as XmlElement | undefined) ?? defaultAnswer(received));
    await socket.send(key && !options.plainAnswers ? encryptPacket(answer, key) : answer);
  }
}

/** login with a client-handshake: returns the token and the session key. */
export async function secureLogin(port: number, password = '12345678'): Promise<{ token: string; key: Buffer; response: Packet }> {
  const pair = generateEphemeralKeyPair();
  const socket = await openSocket(port);
  try {
    await socket.send(packet('login', { password }, { 'client-handshake': encodeClientHandshake(pair.publicKey) }));
    const raw = await socket.receive(5000);
    const serverHandshake = raw.attrs['server-handshake'];
    if (!serverHandshake) throw new Error(`login answered without a handshake: ${JSON.stringify(raw.body)}`);
    const key = deriveSessionKey(pair.privateKey, decodeServerHandshake(serverHandshake));
    const response = decryptPacket(raw, key);
    return { token: childText(response.body, 'token') ?? '', key, response };
  } finally {
    socket.destroy();
  }
}

export async function plainLogin(port: number, password = '12345678'): Promise<string> {
  const { response } = await rawCommand(port, packet('login', { password }));
  const token = childText(response.body, 'token');
  if (!token) throw new Error(`login failed: ${childText(response.body, 'status')}`);
  return token;
}

export function status(exchange: RawExchange): string | undefined {
  return childText(exchange.response.body, 'status');
}

/** The hex-decoded error stack of a response. */
export function errorTexts(p: Packet): string[] {
  const stack = p.body['error-stack'];
  if (!stack || typeof stack !== 'object' || Array.isArray(stack)) return [];
  const errors = stack.error;
  const list = Array.isArray(errors) ? errors : errors === undefined ? [] : [errors];
  return list.map((e) => Buffer.from(String(e), 'hex').toString('utf8'));
}

export function amountWire(minor: number): string {
  return String(minor).padStart(12, '0');
}

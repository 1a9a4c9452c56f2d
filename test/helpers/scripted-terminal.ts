/**
 * A scripted JPAY terminal for client tests: a real TCP server on 127.0.0.1, random port.
 * Each accepted connection runs the next script in order; a script is an async function
 * that expects packets, answers, sends messages, drops or stalls. The terminal keeps one
 * session key like a real one (forgetKey() = the terminal restarted), decrypts what the
 * client encrypted and encrypts its messages and response when the command was encrypted.
 */
import { once } from 'node:events';
import net from 'node:net';
import { packet, Packet, XmlElement } from '../../lib/codec/packet';
import { PacketSocket } from '../../lib/codec/packet-socket';
import {
  decodeClientHandshake,
  decryptPacket,
  deriveSessionKey,
  encodeServerHandshake,
  encryptPacket,
  generateEphemeralKeyPair,
  isEncryptedPacket,
} from '../../lib/codec/crypto';
import { buildResponse } from '../../lib/protocol/responses';

export const TEST_TOKEN = 'C0FFEE00C0FFEE00C0FFEE00C0FFEE00';
const EXPECT_TIMEOUT_MS = 5_000;
const SCRIPT_MAX_FRAME_SIZE = 64 * 1024 * 1024;

export interface ReceivedPacket {
  /** Connection number, from 0. */
  conn: number;
  /** The packet, decrypted when it arrived encrypted and the terminal held the key. */
  packet: Packet;
  encrypted: boolean;
}

export type Script = (conn: ScriptedConnection) => Promise<void>;

export interface RespondOptions {
  errors?: string[];
  attrs?: Record<string, string>;
  /** Answer in plain text even though the command came encrypted. */
  plain?: boolean;
}

export class ScriptedConnection {
  /** Root name of the last command received: the root of respond(). */
  command = '';
  /** The last command arrived encrypted (and decrypted with the terminal's key). */
  encrypted = false;
  /** The last packet received, as it came over the wire (still encrypted): for replaying it. */
  lastRaw: Packet | undefined;
  readonly closed: Promise<void>;

  constructor(
    readonly index: number,
    readonly socket: PacketSocket,
    private readonly terminal: ScriptedTerminal,
  ) {
    this.closed = new Promise((resolve) => socket.once('close', () => resolve()));
  }

  private unwrap(p: Packet): { packet: Packet; encrypted: boolean } {
    if (!isEncryptedPacket(p)) return { packet: p, encrypted: false };
    const key = this.terminal.key;
    return key ? { packet: decryptPacket(p, key), encrypted: true } : { packet: p, encrypted: true };
  }

  private wrap(p: Packet, plain = false): Packet {
    return this.encrypted && !plain && this.terminal.key ? encryptPacket(p, this.terminal.key) : p;
  }

  /** The next packet from the client (a command or an answer); asserts its root name when given. */
  async expect(name?: string): Promise<Packet> {
    const raw = await this.socket.receive(EXPECT_TIMEOUT_MS);
    this.lastRaw = raw;
    const { packet: p, encrypted } = this.unwrap(raw);
    this.terminal.received.push({ conn: this.index, packet: p, encrypted });
    if (name !== undefined && p.name !== name) throw new Error(`conn ${this.index}: expected <${name}>, got <${p.name}>`);
    if (this.command === '') {
      this.command = p.name;
      this.encrypted = encrypted;
    }
    return p;
  }

  /** Sends a message (encrypted like the command) and returns the client's answer. */
  async message(m: Packet, expectName = m.name): Promise<Packet> {
    await this.send(m);
    return this.expect(expectName);
  }

  async send(p: Packet, opts: { plain?: boolean } = {}): Promise<void> {
    await this.socket.send(this.wrap(p, opts.plain));
  }

  /** The response packet respond() would send, sealed like it (for sending it again later). */
  sealedResponse(status: string, body: XmlElement = {}): Packet {
    return this.wrap(buildResponse(this.command, status, body));
  }

  /** The response to the command: root = the command's name. */
  async respond(status: string, body: XmlElement = {}, opts: RespondOptions = {}): Promise<void> {
    await this.send(buildResponse(this.command, status, body, opts.errors ?? [], opts.attrs ?? {}), { plain: opts.plain === true });
  }

  async raw(bytes: Buffer): Promise<void> {
    await this.socket.sendRaw(bytes);
  }

  drop(): void {
    this.socket.destroy();
  }

  /** Says nothing until the client closes the connection. */
  async stall(): Promise<void> {
    await this.closed;
  }

  /**
   * Answers a login. With a client-handshake: a fresh terminal key pair, the session key
   * derived and installed, and the response encrypted with it (§9).
   */
  async acceptLogin(login: Packet, token = TEST_TOKEN): Promise<void> {
    const clientHandshake = login.attrs['client-handshake'];
    if (!clientHandshake) {
      await this.respond('ok', { token });
      return;
    }
    const pair = generateEphemeralKeyPair();
    const key = deriveSessionKey(pair.privateKey, decodeClientHandshake(clientHandshake));
    this.terminal.key = key;
    const response = buildResponse('login', 'ok', { token }, [], { 'server-handshake': encodeServerHandshake(pair.publicKey) });
    await this.socket.send(encryptPacket(response, key));
  }
}

export class ScriptedTerminal {
  /** The terminal's session key (set by acceptLogin). */
  key: Buffer | undefined;
  readonly received: ReceivedPacket[] = [];
  readonly errors: Error[] = [];
  connections = 0;
  open = 0;
  maxConcurrent = 0;
  private readonly server: net.Server;
  private readonly running: Promise<void>[] = [];
  private readonly sockets = new Set<net.Socket>();

  private constructor(private readonly scripts: Script[]) {
    this.server = net.createServer((socket) => this.onConnection(socket));
  }

  static async start(scripts: Script[]): Promise<ScriptedTerminal> {
    const terminal = new ScriptedTerminal(scripts);
    terminal.server.listen(0, '127.0.0.1');
    await once(terminal.server, 'listening');
    return terminal;
  }

  get port(): number {
    return (this.server.address() as net.AddressInfo).port;
  }

  /** Commands received (packets that opened a connection), in order. */
  get commands(): Packet[] {
    const firsts = new Map<number, Packet>();
    for (const r of this.received) if (!firsts.has(r.conn)) firsts.set(r.conn, r.packet);
    return [...firsts.values()];
  }

  forgetKey(): void {
    this.key = undefined;
  }

  private onConnection(socket: net.Socket): void {
    socket.on('error', () => undefined);
    this.sockets.add(socket);
    const index = this.connections++;
    this.open += 1;
    this.maxConcurrent = Math.max(this.maxConcurrent, this.open);
    // Large enough to send a report of tens of thousands of transactions: the client's limits are under test.
    const conn = new ScriptedConnection(index, new PacketSocket(socket, { maxFrameSize: SCRIPT_MAX_FRAME_SIZE }), this);
    // The client's FIN ends its use of the connection (it closes after the response).
    let counted = true;
    const finished = (): void => {
      if (counted) this.open -= 1;
      counted = false;
    };
    socket.once('end', finished);
    socket.once('close', () => {
      finished();
      this.sockets.delete(socket);
    });
    const script = this.scripts[index];
    if (!script) {
      this.errors.push(new Error(`unexpected connection #${index}`));
      socket.destroy();
      return;
    }
    this.running.push(
      script(conn)
        .catch((error: unknown) => {
          this.errors.push(error instanceof Error ? error : new Error(String(error)));
        })
        .finally(async () => {
          // The client closes after the response; give it the chance, then make sure.
          let timer: NodeJS.Timeout | undefined;
          await Promise.race([conn.closed, new Promise((resolve) => (timer = setTimeout(resolve, 1_000)))]);
          clearTimeout(timer);
          socket.destroy();
        }),
    );
  }

  /** Resolves when every connection so far finished its script; rejects with the first script error. */
  async done(): Promise<void> {
    await Promise.all(this.running);
    if (this.errors.length > 0) throw this.errors[0];
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
    await Promise.allSettled(this.running);
  }
}

// ---- Script building blocks ----

/** Expect `command`, answer `status` with `body`. */
export function reply(command: string, status = 'ok', body: XmlElement = {}, opts: RespondOptions = {}): Script {
  return async (conn) => {
    await conn.expect(command);
    await conn.respond(status, body, opts);
  };
}

/** A login that succeeds (handshaking when the client asks for it). */
export function acceptLogin(token = TEST_TOKEN): Script {
  return async (conn) => {
    const login = await conn.expect('login');
    await conn.acceptLogin(login, token);
  };
}

export function keepalive(): Packet {
  return packet('keepalive');
}

/** A passed settlement's answer body. */
export const SETTLEMENT_PASSED: XmlElement = {
  sreport: { 'resp-code': '000', 'orig-amount': 'D000000010000', amount: 'D000000010000', tnum: '1', 'settlement-result': 'passed' },
};

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** `count` keep-alives `everyMs` apart, each answered ok; resolves with their answers. */
export async function keepAlives(conn: ScriptedConnection, count: number, everyMs: number): Promise<Packet[]> {
  const answers: Packet[] = [];
  for (let i = 0; i < count; i++) {
    await sleep(everyMs);
    answers.push(await conn.message(keepalive()));
  }
  return answers;
}

/** Keep-alives `everyMs` apart until the client hangs up (a terminal that never finishes). */
export async function keepAlivesUntilHangUp(conn: ScriptedConnection, everyMs = 10): Promise<void> {
  try {
    for (;;) {
      await conn.message(keepalive());
      await sleep(everyMs);
    }
  } catch {
    // the client hung up
  }
}

/** A settlement over a slow bank link: `count` keep-alives `everyMs` apart, then passed. */
export function slowSettlement(count: number, everyMs: number): Script {
  return async (conn) => {
    await conn.expect('settlement');
    await keepAlives(conn, count, everyMs);
    await conn.respond('ok', SETTLEMENT_PASSED);
  };
}

/** An approved card receipt body for a transaction response. */
export function approvedReceipt(amount = 12300, extra: XmlElement = {}): XmlElement {
  return {
    receipt: {
      tid: '1000000001',
      mid: '012345678912345',
      seq: '000009',
      type: 'purchase',
      state: 'active',
      tstatus: 'approved',
      'amount-authorized': String(amount).padStart(12, '0'),
      currency: '643',
      pan: '************1234',
      rrn: '120157645346',
      'resp-code': '000',
      ...extra,
    },
  };
}

export interface LogLine {
  level: 'debug' | 'info' | 'warn';
  msg: string;
  fields?: Record<string, unknown>;
}

/** A logger that keeps every line, for assertions (and for checking that no secret leaks). */
export function recordingLogger(): { lines: LogLine[]; logger: Record<LogLine['level'], (msg: string, fields?: Record<string, unknown>) => void>; text(): string } {
  const lines: LogLine[] = [];
  const at =
    (level: LogLine['level']) =>
    (msg: string, fields?: Record<string, unknown>): void => {
      lines.push(fields === undefined ? { level, msg } : { level, msg, fields });
    };
  return {
    lines,
    logger: { debug: at('debug'), info: at('info'), warn: at('warn') },
    text: () => lines.map((l) => `${l.level} ${l.msg} ${JSON.stringify(l.fields ?? {})}`).join('\n'),
  };
}

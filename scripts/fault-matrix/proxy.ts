/**
 * A fault-injecting TCP proxy between the client and the simulator. It reads the JPAY
 * frames going both ways, so a fault strikes at an exact point of a transaction: before
 * the command reaches the terminal, right after, at the first keepalive, at a display
 * (D4: the host answered, nothing recorded yet), at the dex question, after the terminal
 * recorded it (triggered from the simulator's `record` event), or on the response.
 * Line faults: drop (both sides closed; on the response: half of it, then closed), stall
 * (nothing passes any more, nothing is closed), garbage (a non-XML frame to the client
 * instead), restart (both sides closed at once; the caller restarts the simulator).
 * A man in the middle, who holds no key: replay (the last transaction answer the client
 * received, played back instead), inject-plain (a forged plain-text `failed` answer),
 * contradict (an answer with two statuses, `failed` first: on the response phase the
 * terminal's own answer with a `failed` added, its receipt kept). From the strike on,
 * nothing more passes to the client; the terminal sees the client go once it closes.
 * Only the first `transaction` connection after arm() is hit; everything else passes.
 *
 * For the Node-RED path (node-red.ts), two switches that arm nothing: `deafToCancel` (the
 * client's "cancelled" keep-alive answers reach the terminal as "ok": a terminal that goes
 * on and approves although the client asked to cancel) and `holdResponses` (transaction
 * responses wait in the proxy until release(): an answer in flight for as long as a test needs).
 */
import { EventEmitter } from 'node:events';
import net from 'node:net';
import { FrameDecoder, encodeFrame } from '../../lib/codec/frame';
import { childText, packet } from '../../lib/codec/packet';
import { parsePacket, serializePacket } from '../../lib/codec/xml';

export const PHASES = ['before-send', 'after-send', 'keepalive', 'display', 'dex', 'after-record', 'response'] as const;
export type Phase = (typeof PHASES)[number];
export const FAULTS = ['drop', 'stall', 'garbage', 'restart', 'replay', 'inject-plain', 'contradict'] as const;
export type Fault = (typeof FAULTS)[number];

export interface ArmedFault {
  phase: Phase;
  fault: Fault;
}

/** The display code `display` faults wait for: the host answered, the terminal has not recorded yet. */
export const DISPLAY_CODE = 'D4';
const MAX_FRAME = 16 * 1024 * 1024;
const GARBAGE = Buffer.from('\u0000\u00ff<<line noise: not an XML packet>>', 'latin1');
/** What anyone on the line can write: a plain-text failure (a terminal that lost its key answers like this). */
const FORGED_FAILURE = Buffer.from('<transaction><status>failed</status></transaction>', 'utf8');

/** The frame with a `failed` status before its own; a forged answer with two statuses when there is none. */
function contradiction(frame: Buffer | undefined): Buffer {
  if (frame && rootName(frame) === 'transaction') {
    try {
      const p = parsePacket(frame.toString('utf8'));
      const own = p.body.status;
      const body = { ...p.body, status: ['failed', ...(own === undefined ? [] : Array.isArray(own) ? own : [own])] };
      return Buffer.from(serializePacket(packet(p.name, body, { ...p.attrs })), 'utf8');
    } catch {
      // Not readable (encrypted or broken): forged below.
    }
  }
  return Buffer.from('<transaction><status>failed</status><status>ok</status></transaction>', 'utf8');
}

type Mode = 'pass' | 'stalled' | 'dead';

function rootName(frame: Buffer): string {
  const m = /^\s*(?:<\?xml[^>]*\?>\s*)?<([A-Za-z][\w.-]*)/.exec(frame.subarray(0, 256).toString('utf8'));
  return m ? m[1] : '';
}

function displayCode(frame: Buffer): string | undefined {
  try {
    return childText(parsePacket(frame.toString('utf8')).body, 'code');
  } catch {
    return undefined;
  }
}

class Pair {
  mode: Mode = 'pass';
  target = false;
  private first = true;
  private readonly fromClient = new FrameDecoder(MAX_FRAME);
  private readonly fromTerminal = new FrameDecoder(MAX_FRAME);

  constructor(
    private readonly proxy: FaultProxy,
    readonly client: net.Socket,
    readonly upstream: net.Socket,
  ) {
    client.on('error', () => undefined);
    upstream.on('error', () => undefined);
    client.on('data', (chunk: Buffer) => this.onClientData(chunk));
    upstream.on('data', (chunk: Buffer) => this.onTerminalData(chunk));
    client.on('end', () => {
      if (this.mode === 'pass') upstream.end();
    });
    upstream.on('end', () => {
      if (this.mode === 'pass') client.end();
    });
    client.on('close', () => {
      upstream.destroy();
      proxy.forget(this);
    });
    upstream.on('close', () => {
      // A stalled line stays open until the client gives up.
      if (this.mode !== 'stalled') client.end();
    });
  }

  destroy(): void {
    this.client.destroy();
    this.upstream.destroy();
  }

  private onClientData(chunk: Buffer): void {
    if (this.mode !== 'pass') return;
    let frames: Buffer[];
    try {
      frames = this.fromClient.push(chunk);
    } catch {
      this.destroy();
      return;
    }
    for (const frame of frames) {
      if (this.mode !== 'pass') return;
      const first = this.first;
      this.first = false;
      const name = rootName(frame);
      if (this.proxy.deafToCancel && (name === 'keepalive' || name === 'keep-alive') && /<status>\s*cancelled\s*<\/status>/i.test(frame.toString('utf8'))) {
        this.upstream.write(encodeFrame(Buffer.from(`<${name}><status>ok</status></${name}>`, 'utf8'), MAX_FRAME));
        continue;
      }
      if (first && name === 'transaction') {
        this.proxy.transactionsSeen += 1;
        if (this.proxy.claimTarget(this)) {
          if (this.proxy.armed?.phase === 'before-send') {
            this.proxy.strike(this);
            return;
          }
          this.proxy.commandForwarded = true;
          if (this.proxy.armed?.phase === 'after-send') {
            // Applied once the command is handed to the terminal's side of the line.
            this.upstream.write(encodeFrame(frame, MAX_FRAME), () => this.proxy.strike(this));
            continue;
          }
        }
      }
      this.upstream.write(encodeFrame(frame, MAX_FRAME));
    }
  }

  private onTerminalData(chunk: Buffer): void {
    if (this.mode !== 'pass') return;
    let frames: Buffer[];
    try {
      frames = this.fromTerminal.push(chunk);
    } catch {
      this.destroy();
      return;
    }
    for (const frame of frames) {
      if (this.mode !== 'pass') return;
      if (this.target && this.proxy.strikesAt(frame)) {
        this.proxy.strike(this, frame);
        return;
      }
      if (rootName(frame) === 'transaction') {
        this.proxy.lastAnswer = frame;
        if (this.proxy.holdResponses) {
          const bytes = encodeFrame(frame, MAX_FRAME);
          this.proxy.held.push(() => this.client.write(bytes));
          continue;
        }
      }
      this.client.write(encodeFrame(frame, MAX_FRAME));
    }
  }
}

export interface FaultProxyEvents {
  /** The armed fault struck (for `restart`: restart the simulator now). */
  applied: [ArmedFault];
}

export class FaultProxy extends EventEmitter<FaultProxyEvents> {
  armed: ArmedFault | undefined;
  applied = false;
  /** The targeted transaction command was passed on to the terminal. */
  commandForwarded = false;
  /** Every `transaction` command any client sent through the proxy. */
  transactionsSeen = 0;
  /** The last transaction answer that reached a client (what `replay` plays back). */
  lastAnswer: Buffer | undefined;
  /** The client's "cancelled" keep-alive answers go on as "ok" (the terminal does not hear the cancel). */
  deafToCancel = false;
  /** Transaction responses wait here until release(). */
  holdResponses = false;
  /** @internal the held responses' writes. */
  readonly held: (() => void)[] = [];
  private targetPair: Pair | undefined;
  private readonly pairs = new Set<Pair>();

  private constructor(
    private readonly server: net.Server,
    readonly port: number,
    private readonly upstreamPort: number,
    private readonly upstreamHost: string,
  ) {
    super();
    server.on('connection', (client) => this.onConnection(client));
  }

  static async start(upstreamPort: number, upstreamHost = '127.0.0.1'): Promise<FaultProxy> {
    const server = net.createServer();
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    const address = server.address() as net.AddressInfo;
    return new FaultProxy(server, address.port, upstreamPort, upstreamHost);
  }

  /** Arms a fault for the next transaction connection. */
  arm(fault: ArmedFault): void {
    this.armed = fault;
    this.applied = false;
    this.commandForwarded = false;
    this.targetPair = undefined;
  }

  disarm(): void {
    this.armed = undefined;
    this.targetPair = undefined;
  }

  /** `after-record`: the simulator just recorded the targeted transaction. */
  trigger(): boolean {
    if (!this.armed || this.applied || this.armed.phase !== 'after-record' || !this.targetPair) return false;
    this.strike(this.targetPair);
    return true;
  }

  claimTarget(pair: Pair): boolean {
    if (!this.armed || this.applied || this.targetPair) return false;
    this.targetPair = pair;
    pair.target = true;
    return true;
  }

  strikesAt(frame: Buffer): boolean {
    if (!this.armed || this.applied) return false;
    const name = rootName(frame);
    switch (this.armed.phase) {
      case 'keepalive':
        return name === 'keepalive' || name === 'keep-alive';
      case 'display':
        return name === 'display' && displayCode(frame) === DISPLAY_CODE;
      case 'dex':
        return name === 'dex';
      case 'response':
        return name === 'transaction';
      default:
        return false;
    }
  }

  strike(pair: Pair, frame?: Buffer): void {
    const armed = this.armed;
    if (!armed || this.applied) return;
    this.applied = true;
    switch (armed.fault) {
      case 'drop':
        pair.mode = 'dead';
        if (frame && armed.phase === 'response') {
          const bytes = encodeFrame(frame, MAX_FRAME);
          pair.client.write(bytes.subarray(0, Math.max(5, Math.floor(bytes.length / 2))), () => pair.client.destroy());
        } else {
          pair.client.destroy();
        }
        pair.upstream.end();
        break;
      case 'stall':
        pair.mode = 'stalled';
        break;
      case 'garbage':
        pair.mode = 'dead';
        pair.client.write(encodeFrame(GARBAGE, MAX_FRAME));
        break;
      case 'restart':
        pair.mode = 'dead';
        pair.destroy();
        break;
      case 'replay':
      case 'inject-plain':
      case 'contradict': {
        pair.mode = 'dead';
        const forged = armed.fault === 'replay' ? (this.lastAnswer ?? FORGED_FAILURE) : armed.fault === 'inject-plain' ? FORGED_FAILURE : contradiction(frame);
        pair.client.write(encodeFrame(forged, MAX_FRAME));
        break;
      }
    }
    this.emit('applied', armed);
  }

  /** Lets the held transaction responses go on to the client, and stops holding. */
  release(): void {
    this.holdResponses = false;
    for (const write of this.held.splice(0)) write();
  }

  forget(pair: Pair): void {
    this.pairs.delete(pair);
  }

  /** Closes every proxied connection (a terminal restart takes its connections with it). */
  destroyConnections(): void {
    for (const pair of this.pairs) pair.destroy();
  }

  async close(): Promise<void> {
    this.destroyConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private onConnection(client: net.Socket): void {
    client.setNoDelay(true);
    const upstream = net.connect({ host: this.upstreamHost, port: this.upstreamPort });
    upstream.setNoDelay(true);
    this.pairs.add(new Pair(this, client, upstream));
  }
}

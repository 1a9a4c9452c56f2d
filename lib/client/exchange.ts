/**
 * One exchange on one connection (§3): connect → command → messages (each answered)
 * → response → close. Encryption of the command, the messages and the answers happens
 * here when a session key is given. Failures come out as ExchangeFailure, which says how
 * far the exchange got (was the command sent?) and what went wrong; the client maps that
 * to its public errors.
 *
 * Every command runs this, so it does the least it can per command: the request is framed
 * before the connection opens and written as soon as it is open; one timer watches every
 * limit of the exchange (connect, the cap, the idle limit, the wait for the close) and turns
 * TCP keep-alive on for a connection that outlives its first tick; the client's close
 * reaches it through a KillSwitch rather than an AbortSignal listener.
 */
import net from 'node:net';
import { isEncryptedPacket } from '../codec/crypto';
import { encodeFrame } from '../codec/frame';
import { Packet } from '../codec/packet';
import { PacketSocket, type PacketSocketOptions } from '../codec/packet-socket';
import { serializePacket } from '../codec/xml';
import { JpayConnectionError, JpayError, JpayProtocolError, JpayTimeoutError } from '../errors';
import type { CommandName } from '../protocol/types';
import { JpayAbortError } from './abort';
import type { MessageDispatcher } from './message-dispatch';
import type { PacketCipher } from './secure-session';

/** How long to wait for the terminal to close its side after the response. */
const CLOSE_WAIT_MS = 1_000;
/**
 * The watchdog sleeps at most this long, then looks again: a command that ends within it
 * (most do) arms one timer in all, as the close wait never needs an earlier one.
 */
const WATCHDOG_TICK_MS = CLOSE_WAIT_MS;

/**
 * TCP keep-alive probes start after this much silence on the socket. A terminal may stay
 * silent for minutes (the idle limit), so a terminal that lost power or its cable would be
 * noticed only then; the probes (Node sets 1 s apart, 10 of them), turned on at the
 * watchdog's first tick, notice a dead peer in about 26 s, while a live but quiet terminal
 * answers them and keeps its connection.
 */
export const TCP_KEEPALIVE_DELAY_MS = 15_000;

export type ExchangePhase = 'connect' | 'sending' | 'awaiting-response' | 'in-dialogue';

/** timeout: the whole-exchange cap; idle: silence from the terminal; closed: the client was closed. */
export type FailureKind = 'connect' | 'aborted' | 'timeout' | 'idle' | 'protocol' | 'connection' | 'closed';

/** Timeouts (`timeout`, `idle`) carry a JpayTimeoutError naming the limit that fired as `error`. */
export class ExchangeFailure extends JpayError {
  constructor(
    readonly phase: ExchangePhase,
    readonly kind: FailureKind,
    readonly error: Error,
    readonly sentAt: Date | undefined,
  ) {
    super(error.message, { cause: error });
  }

  /** True once the command's first byte may have reached the terminal. */
  get mayHaveSent(): boolean {
    return this.phase !== 'connect';
  }
}

/** Ends every running exchange of a client at once (JpayClient.close()). */
export class KillSwitch {
  private killed = false;
  private readonly victims = new Set<() => void>();

  get isKilled(): boolean {
    return this.killed;
  }

  /** `victim` runs when the switch is thrown (at once if it was); the returned function unregisters it. */
  register(victim: () => void): () => void {
    if (this.killed) victim();
    else this.victims.add(victim);
    return () => this.victims.delete(victim);
  }

  kill(): void {
    this.killed = true;
    const victims = [...this.victims];
    this.victims.clear();
    for (const victim of victims) victim();
  }
}

export interface ExchangeOptions {
  host: string;
  port: number;
  connectMs: number;
  maxFrameSize: number;
  maxQueuedPackets?: number;
  maxQueuedBytes?: number;
  command: CommandName;
  /** The command, plain; encrypted here when `cipher` is set. */
  request: Packet;
  /** The session: seals the command and answers, opens messages and the response (refusing copies). */
  cipher?: PacketCipher;
  /** The cap of the whole exchange, from connected to response (never extended). */
  deadlineMs: number;
  /** Which limit the cap is: `command` or `transaction` (transactions and runreset). */
  cap: 'command' | 'transaction';
  /**
   * Longest silence from the terminal: from the command sent to its first packet, and
   * between packets. Every message (a keep-alive, a display…) starts it again (§3: the
   * terminal may send keep-alives during any long operation, and need not).
   */
  idleMs: number;
  /** Answers the terminal's messages; made at the first message (most commands see none). */
  dispatcher: () => MessageDispatcher;
  /** The caller's signal: aborted once connected, nothing is sent (JpayAbortError). */
  signal?: AbortSignal;
  /**
   * Runs while the connection opens (a journal's synced write overlaps the TCP handshake);
   * the first byte is written only once both are done. Throwing aborts with nothing sent.
   */
  beforeSend?(): void | Promise<void>;
  /** Aborts everything (the client is closing). */
  kill: KillSwitch;
}

export interface ExchangeResult {
  /** The response, decrypted when it was encrypted and a cipher was given. */
  response: Packet;
  /** Whether the response arrived encrypted. */
  encrypted: boolean;
  sentAt: Date;
  /** When the response arrived. */
  receivedAt: Date;
}

export function runExchange(o: ExchangeOptions): Promise<ExchangeResult> {
  return new Exchange(o).run();
}

/**
 * What the watchdog enforces now: the connect limit; the cap alone (before the command is
 * sent, while a handler answers a message); the cap and the idle limit (waiting for the
 * terminal); the wait for the terminal's close after the response.
 */
type Watch = 'connect' | 'cap' | 'cap-and-idle' | 'close-wait';

class Exchange {
  private phase: ExchangePhase = 'connect';
  private sentAt: Date | undefined;
  private socket: PacketSocket | undefined;
  private tcp: net.Socket | undefined;
  /** The limit that fired (the socket was destroyed for it). */
  private expired: 'connect' | 'cap' | 'idle' | undefined;
  /** The terminal closed its side of the connection. */
  private closed = false;
  private onClosed: (() => void) | undefined;
  // One timer for every limit: it fires at `dueAt`, and then looks at what is due.
  private timer: NodeJS.Timeout | undefined;
  private dueAt = 0;
  private watch: Watch = 'connect';
  private connectFrom = 0;
  private connectedAt = 0;
  private idleFrom = 0;
  private closeFrom = 0;
  /** TCP keep-alive is on (keepTcpAlive). */
  private keptAlive = false;

  constructor(private readonly o: ExchangeOptions) {}

  async run(): Promise<ExchangeResult> {
    const { o } = this;
    const unregister = o.kill.register(() => this.tcp?.destroy());
    try {
      const frame = this.frame();
      // The hook (a journal's synced write) runs while the connection opens; without one,
      // the command goes out the moment the connection is open.
      const ready = o.beforeSend ? Promise.resolve().then(() => o.beforeSend?.()) : undefined;
      ready?.catch(() => undefined);
      let socket: PacketSocket;
      try {
        socket = await this.connect(ready ? undefined : frame);
      } catch (error) {
        // The hook ends first, so that whoever it told (a journal) hears that nothing was sent.
        await ready?.catch(() => undefined);
        throw error;
      }
      if (ready) {
        try {
          await ready;
        } catch (error) {
          throw new ExchangeFailure('connect', 'aborted', error as Error, undefined);
        }
        this.checkStillWanted();
        this.send(socket, frame);
      }
      for (;;) {
        const raw = await socket.receive();
        const receivedAt = new Date();
        const encrypted = isEncryptedPacket(raw);
        if (raw.name === o.command) {
          // §3 step 6: the client closes (the PacketSocket ended our side on the frame already).
          this.closeFrom = Date.now();
          this.expect('close-wait');
          socket.end();
          // The login response is decrypted by the caller once it derived the key; a plain
          // response to an encrypted command is the caller's to judge (the terminal may have lost its key).
          const response = encrypted && o.cipher ? o.cipher.open(raw) : raw;
          await this.whenClosed();
          // send() set sentAt before anything could be received.
          return { response, encrypted, sentAt: this.sentAt as Date, receivedAt };
        }
        this.phase = 'in-dialogue';
        let message = raw;
        if (o.cipher) {
          if (!encrypted) {
            throw new JpayProtocolError('plain-text', `plain-text <${raw.name.slice(0, 64)}> message inside an encrypted session`);
          }
          message = o.cipher.open(raw);
        } else if (encrypted) {
          throw new JpayProtocolError('bad-crypto', `encrypted <${raw.name.slice(0, 64)}> message without a session key`);
        }
        // A handler's time is not the terminal's silence; the connection going away ends the
        // wait, so a running handler does not hold us up.
        this.expect('cap');
        const answer = await Promise.race([o.dispatcher().answer(message), this.whenClosed()]);
        if (!answer) throw new JpayError('connection closed by peer');
        await socket.send(o.cipher ? o.cipher.seal(answer) : answer);
        this.phase = 'in-dialogue';
        this.waitForTerminal();
      }
    } catch (error) {
      throw this.classify(error);
    } finally {
      clearTimeout(this.timer);
      unregister();
      this.tcp?.destroy();
    }
  }

  /**
   * Writes the command. `sending` until the OS took the bytes, then `awaiting-response`;
   * not awaited: a failed write fails the next receive().
   */
  private send(socket: PacketSocket, frame: Buffer): void {
    this.phase = 'sending';
    this.sentAt = new Date();
    socket.endAfter(this.o.command);
    socket.sendRaw(frame).then(
      () => {
        if (this.phase === 'sending') this.phase = 'awaiting-response';
      },
      () => undefined,
    );
    this.waitForTerminal();
  }

  /** The command as it goes on the wire; refused (nothing sent) when it cannot be. */
  private frame(): Buffer {
    const { request, cipher, maxFrameSize } = this.o;
    return encodeFrame(serializePacket(cipher ? cipher.seal(request) : request), maxFrameSize);
  }

  /**
   * The TCP connection and its PacketSocket; `frame` is written as soon as it is open. Every
   * failure here is a JpayConnectionError: nothing was sent.
   */
  private connect(frame: Buffer | undefined): Promise<PacketSocket> {
    const { o } = this;
    this.checkStillWanted();
    return new Promise<PacketSocket>((resolve, reject) => {
      const tcp = net.connect({ host: o.host, port: o.port });
      tcp.setNoDelay(true);
      this.tcp = tcp;
      this.connectFrom = Date.now();
      this.expect('connect');
      const onError = (error: Error): void => {
        tcp.off('connect', onConnect);
        reject(this.connectError(error.message, error));
      };
      const onConnect = (): void => {
        const limits: PacketSocketOptions = { maxFrameSize: o.maxFrameSize };
        if (o.maxQueuedPackets !== undefined) limits.maxQueuedPackets = o.maxQueuedPackets;
        if (o.maxQueuedBytes !== undefined) limits.maxQueuedBytes = o.maxQueuedBytes;
        const socket = new PacketSocket(tcp, limits);
        this.socket = socket;
        this.connectedAt = Date.now();
        try {
          this.checkStillWanted();
        } catch (error) {
          reject(error);
          return;
        }
        // The command before anything else: the terminal works on it while the rest is set up.
        if (frame) this.send(socket, frame);
        else this.expect('cap');
        tcp.off('error', onError);
        // The terminal closed its side (its FIN, or the whole connection went): nothing more can come.
        const hungUp = (): void => {
          this.closed = true;
          this.onClosed?.();
        };
        tcp.once('end', hungUp);
        socket.once('close', hungUp);
        // The PacketSocket reports later errors through receive()/send().
        tcp.on('error', () => undefined);
        resolve(socket);
      };
      tcp.once('connect', onConnect);
      tcp.once('error', onError);
      tcp.once('close', () => {
        if (this.socket) return;
        tcp.off('connect', onConnect);
        tcp.off('error', onError);
        const why = this.expired === 'connect' ? new JpayTimeoutError('connect', o.connectMs) : undefined;
        reject(this.connectError(why ? why.message : o.kill.isKilled ? 'abandoned' : 'connection closed', why));
      });
    });
  }

  private connectError(reason: string, cause?: Error): ExchangeFailure {
    const { o } = this;
    const error = new JpayConnectionError(`cannot connect to ${o.host}:${o.port}: ${reason}`, o.host, o.port, cause ? { cause } : undefined);
    return new ExchangeFailure('connect', o.kill.isKilled ? 'closed' : 'connect', error, undefined);
  }

  /** The client closing or the caller aborting stops the exchange before a byte is sent. */
  private checkStillWanted(): void {
    if (this.o.kill.isKilled) throw new ExchangeFailure('connect', 'closed', new JpayError('client closed'), undefined);
    if (this.o.signal?.aborted) throw new ExchangeFailure('connect', 'aborted', new JpayAbortError(), undefined);
  }

  // ---- The watchdog: one timer for the exchange's limits ----

  /** The terminal's turn: its silence counts from now. */
  private waitForTerminal(): void {
    this.idleFrom = Date.now();
    this.expect('cap-and-idle');
  }

  /** From now on the watchdog enforces `watch`. */
  private expect(watch: Watch): void {
    this.watch = watch;
    this.arm();
  }

  /** When the limit being watched passes. */
  private due(): number {
    const { o } = this;
    switch (this.watch) {
      case 'connect':
        return this.connectFrom + o.connectMs;
      case 'close-wait':
        return this.closeFrom + CLOSE_WAIT_MS;
      case 'cap':
        return this.connectedAt + o.deadlineMs;
      case 'cap-and-idle':
        return Math.min(this.connectedAt + o.deadlineMs, this.idleFrom + o.idleMs);
    }
  }

  /**
   * Arms the timer for the limit watched (a tick at the latest), unless it is armed for an
   * earlier moment already: a limit that moved later (the idle limit after each message) is
   * taken up when it fires.
   */
  private arm(): void {
    const now = Date.now();
    const at = Math.min(this.due(), now + WATCHDOG_TICK_MS);
    if (this.timer && this.dueAt <= at) return;
    clearTimeout(this.timer);
    this.dueAt = at;
    this.timer = setTimeout(() => this.fire(), Math.max(1, at - now));
  }

  private fire(): void {
    this.timer = undefined;
    if (Date.now() < this.due()) {
      this.keepTcpAlive();
      this.arm();
      return;
    }
    const { o } = this;
    if (this.watch === 'close-wait') {
      // The terminal did not close its side in time: done waiting, the response stands.
      this.closed = true;
      this.onClosed?.();
      return;
    }
    if (this.watch === 'connect') this.expired = 'connect';
    else if (Date.now() >= this.connectedAt + o.deadlineMs) this.expired = 'cap';
    else this.expired = 'idle';
    this.tcp?.destroy();
  }

  /**
   * TCP keep-alive for a connection that outlived the watchdog's first tick (most commands
   * end before it, and spare the four socket options): a terminal that lost power or its
   * cable during a long, quiet command is noticed in seconds rather than at the idle limit.
   */
  private keepTcpAlive(): void {
    if (this.keptAlive || !this.socket || this.watch === 'close-wait') return;
    this.keptAlive = true;
    this.tcp?.setKeepAlive(true, TCP_KEEPALIVE_DELAY_MS);
  }

  /**
   * Resolves (with nothing) once the terminal closed its side. No error is built here: only
   * the exchange turns a close into one, and only when it happens.
   */
  private whenClosed(): Promise<void> {
    if (this.closed) return Promise.resolve();
    return new Promise<void>((resolve) => (this.onClosed = resolve));
  }

  private classify(error: unknown): ExchangeFailure {
    if (error instanceof ExchangeFailure) return error;
    const e = error instanceof Error ? error : new JpayError(String(error));
    const { phase, sentAt, o } = this;
    if (o.kill.isKilled) return new ExchangeFailure(phase, 'closed', new JpayError('client closed', { cause: e }), sentAt);
    if (this.expired === 'idle') return new ExchangeFailure(phase, 'idle', new JpayTimeoutError('idle', o.idleMs), sentAt);
    if (this.expired !== undefined) return new ExchangeFailure(phase, 'timeout', new JpayTimeoutError(o.cap, o.deadlineMs), sentAt);
    if (e instanceof JpayProtocolError) return new ExchangeFailure(phase, 'protocol', e, sentAt);
    return new ExchangeFailure(phase, 'connection', e, sentAt);
  }
}

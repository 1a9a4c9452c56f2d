/**
 * One exchange on one connection (§3): connect → command → messages (each answered)
 * → response → close. Encryption of the command, the messages and the answers happens
 * here when a session key is given. Failures come out as ExchangeFailure, which says how
 * far the exchange got (was the command sent?) and what went wrong; the client maps that
 * to its public errors.
 */
import { Packet } from '../codec/packet';
import { PacketSocket, ReceiveTimeoutError } from '../codec/packet-socket';
import { isEncryptedPacket } from '../codec/crypto';
import { JpayError, JpayProtocolError, JpayTimeoutError } from '../errors';
import type { CommandName } from '../protocol/types';
import { openConnection } from './connect';
import type { MessageDispatcher } from './message-dispatch';
import type { PacketCipher } from './secure-session';

/** How long to wait for the terminal to close its side after the response. */
const CLOSE_WAIT_MS = 1_000;

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

export interface ExchangeOptions {
  host: string;
  port: number;
  connectMs: number;
  maxFrameSize?: number;
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
  dispatcher: MessageDispatcher;
  /**
   * Runs while the connection opens (a journal's synced write overlaps the TCP handshake);
   * the first byte is written only once both are done. Throwing aborts with nothing sent.
   */
  beforeSend?(): void | Promise<void>;
  /** The command was handed to the OS. */
  onSent?(sentAt: Date): void;
  /** Aborts everything (the client is closing). */
  kill: AbortSignal;
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

export async function runExchange(o: ExchangeOptions): Promise<ExchangeResult> {
  const ready = o.beforeSend ? Promise.resolve().then(() => o.beforeSend?.()) : undefined;
  ready?.catch(() => undefined);
  let socket: PacketSocket;
  try {
    socket = await openConnection({
      host: o.host,
      port: o.port,
      timeoutMs: o.connectMs,
      signal: o.kill,
      ...(o.maxFrameSize === undefined ? {} : { maxFrameSize: o.maxFrameSize }),
      ...(o.maxQueuedPackets === undefined ? {} : { maxQueuedPackets: o.maxQueuedPackets }),
      ...(o.maxQueuedBytes === undefined ? {} : { maxQueuedBytes: o.maxQueuedBytes }),
    });
  } catch (error) {
    // The hook ends first, so that whoever it told (a journal) hears that nothing was sent.
    await ready?.catch(() => undefined);
    throw new ExchangeFailure('connect', o.kill.aborted ? 'closed' : 'connect', error as Error, undefined);
  }
  return new Exchange(o, socket, ready).run();
}

class Exchange {
  private phase: ExchangePhase = 'connect';
  private sentAt: Date | undefined;
  private timedOut = false;
  private readonly startedAt = Date.now();
  private closed = false;
  private onClosed: (() => void) | undefined;

  constructor(
    private readonly o: ExchangeOptions,
    private readonly socket: PacketSocket,
    /** beforeSend, begun while the connection opened. */
    private readonly ready: Promise<void> | undefined,
  ) {}

  async run(): Promise<ExchangeResult> {
    const { o, socket } = this;
    const deadline = setTimeout(() => {
      this.timedOut = true;
      socket.destroy();
    }, o.deadlineMs);
    const onKill = (): void => socket.destroy();
    o.kill.addEventListener('abort', onKill, { once: true });
    socket.once('close', () => {
      this.closed = true;
      this.onClosed?.();
    });
    try {
      if (o.kill.aborted) throw new JpayError('client closed');
      try {
        await this.ready;
      } catch (error) {
        throw new ExchangeFailure('connect', 'aborted', error as Error, undefined);
      }
      if (o.kill.aborted) throw new JpayError('client closed');
      this.phase = 'sending';
      this.sentAt = new Date();
      await socket.send(o.cipher ? o.cipher.seal(o.request) : o.request);
      o.onSent?.(this.sentAt);
      this.phase = 'awaiting-response';
      for (;;) {
        const raw = await this.receive();
        const receivedAt = new Date();
        const encrypted = isEncryptedPacket(raw);
        if (raw.name === o.command) {
          // The login response is decrypted by the caller once it derived the key; a plain
          // response to an encrypted command is the caller's to judge (the terminal may have lost its key).
          const response = encrypted && o.cipher ? o.cipher.open(raw) : raw;
          await this.closeGracefully();
          return { response, encrypted, sentAt: this.sentAt, receivedAt };
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
        // The connection going away ends the wait, so a running handler does not hold us up.
        const answer = await Promise.race([o.dispatcher.answer(message), this.whenClosed()]);
        if (!answer) throw new JpayError('connection closed by peer');
        await socket.send(o.cipher ? o.cipher.seal(answer) : answer);
      }
    } catch (error) {
      throw this.classify(error);
    } finally {
      clearTimeout(deadline);
      o.kill.removeEventListener('abort', onKill);
      socket.destroy();
    }
  }

  /**
   * §3 step 6: the client closes. A FIN first, then wait (briefly) for the terminal to
   * close its side, so the next command's connection never overlaps this one.
   */
  private async closeGracefully(): Promise<void> {
    this.socket.end();
    if (this.closed) return;
    let timer: NodeJS.Timeout | undefined;
    const cap = new Promise<void>((resolve) => (timer = setTimeout(resolve, CLOSE_WAIT_MS)));
    try {
      await Promise.race([this.whenClosed(), cap]);
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * Resolves (with nothing) once the connection is closed. No error is built here: only
   * the dialogue turns a close into one, and only when it happens.
   */
  private whenClosed(): Promise<void> {
    if (this.closed) return Promise.resolve();
    return new Promise<void>((resolve) => (this.onClosed = resolve));
  }

  private receive(): Promise<Packet> {
    const remaining = Math.max(1, this.o.deadlineMs - (Date.now() - this.startedAt));
    const idle = this.o.idleMs;
    // The cap destroys the socket; a receive timeout here is the idle limit.
    return idle < remaining ? this.socket.receive(idle) : this.socket.receive();
  }

  private classify(error: unknown): ExchangeFailure {
    if (error instanceof ExchangeFailure) return error;
    const e = error instanceof Error ? error : new JpayError(String(error));
    const { phase, sentAt } = this;
    if (this.o.kill.aborted) return new ExchangeFailure(phase, 'closed', new JpayError('client closed', { cause: e }), sentAt);
    if (this.timedOut) return new ExchangeFailure(phase, 'timeout', new JpayTimeoutError(this.o.cap, this.o.deadlineMs), sentAt);
    if (e instanceof ReceiveTimeoutError) return new ExchangeFailure(phase, 'idle', new JpayTimeoutError('idle', this.o.idleMs), sentAt);
    if (e instanceof JpayProtocolError) return new ExchangeFailure(phase, 'protocol', e, sentAt);
    return new ExchangeFailure(phase, 'connection', e, sentAt);
  }
}

/**
 * The message side of one command: sends terminal messages (encrypted when the command
 * was), waits for the client's answer, and paces keepalives while the terminal waits.
 */
import { isEncryptedPacket, decryptPacket, encryptPacket } from '../codec/crypto';
import { Packet, packetStatus } from '../codec/packet';
import { PacketSocket, ReceiveTimeoutError } from '../codec/packet-socket';
import { JpayProtocolError } from '../errors';
import { messageToPacket } from '../protocol';
import type { TerminalMessage } from '../protocol/types';
import { ClientGone, CommandAbort } from './errors';

export interface MessageTiming {
  answerTimeoutMs: number;
  keepaliveIntervalMs: number;
}

export type MessageListener = (message: TerminalMessage, answerStatus: string | undefined) => void;

const KEEPALIVE_NAMES = new Set(['keepalive', 'keep-alive']);

export class MessageDispatch {
  private readonly gone: Promise<never>;

  constructor(
    private readonly socket: PacketSocket,
    /** Session key when the command was encrypted: messages and answers are encrypted too. */
    readonly key: Buffer | undefined,
    private readonly timing: MessageTiming,
    private readonly onMessage: MessageListener = () => undefined,
  ) {
    this.gone = new Promise<never>((_, reject) => {
      if (socket.isClosed) reject(new ClientGone());
      else socket.once('close', () => reject(new ClientGone()));
    });
    this.gone.catch(() => undefined);
  }

  get encrypted(): boolean {
    return this.key !== undefined;
  }

  /** Sends a message and returns the client's answer (decrypted, root name checked). */
  async ask(message: TerminalMessage, timeoutMs = this.timing.answerTimeoutMs): Promise<Packet> {
    if (this.socket.isClosed) throw new ClientGone();
    const plain = messageToPacket(message);
    try {
      await this.socket.send(this.key ? encryptPacket(plain, this.key) : plain);
    } catch {
      throw new ClientGone('connection closed while sending a message');
    }
    let answer: Packet;
    try {
      answer = await this.socket.receive(timeoutMs);
    } catch (error) {
      if (error instanceof ReceiveTimeoutError) throw new CommandAbort('timeout', [`no answer to <${plain.name}> within ${timeoutMs} ms`]);
      if (error instanceof JpayProtocolError && error.code === 'bad-xml') {
        throw new CommandAbort('formaterror', [`answer to <${plain.name}> is not valid XML`]);
      }
      throw new ClientGone(error instanceof Error ? error.message : 'connection closed');
    }
    if (this.key) {
      if (!isEncryptedPacket(answer)) throw new CommandAbort('failed', [`answer to <${plain.name}> was not encrypted`]);
      try {
        answer = decryptPacket(answer, this.key);
      } catch {
        throw new CommandAbort('failed', [`answer to <${plain.name}> could not be decrypted`]);
      }
    }
    const sameName = answer.name === plain.name || (KEEPALIVE_NAMES.has(answer.name) && KEEPALIVE_NAMES.has(plain.name));
    if (!sameName) throw new CommandAbort('failed', [`expected an answer <${plain.name}>, got <${answer.name}>`]);
    this.onMessage(message, packetStatus(answer));
    return answer;
  }

  /** keepalive; a `cancelled` answer aborts the command. */
  async keepalive(): Promise<void> {
    const answer = await this.ask({ name: 'keepalive' });
    if (packetStatus(answer)?.toLowerCase() === 'cancelled') throw new CommandAbort('cancelled');
  }

  /** Sends a message whose answer only has to arrive (display, displayqrcode). */
  async tell(message: TerminalMessage): Promise<void> {
    await this.ask(message);
  }

  /** Waits for `promise`, sending a keepalive every interval; rejects when the client goes away. */
  async waitFor<T>(promise: Promise<T>): Promise<T> {
    const settled = promise.then((value) => ({ value }));
    settled.catch(() => undefined);
    for (;;) {
      const winner = await afterTimer(this.timing.keepaliveIntervalMs, (tick) => Promise.race([settled, tick, this.gone]));
      if (winner !== undefined) return winner.value;
      await this.keepalive();
    }
  }

  /** Waits ms with keepalives (the terminal is busy, e.g. talking to the host). */
  async pause(ms: number): Promise<void> {
    if (ms > 0) await afterTimer(ms, (done) => this.waitFor(done));
    else if (this.socket.isClosed) throw new ClientGone();
  }

  /** Silent wait (no keepalives), e.g. a delayed response; rejects if the client goes away. */
  async silent(ms: number): Promise<void> {
    await afterTimer(ms, (done) => Promise.race([done, this.gone]));
  }

  /** Resolves when the client closes the connection (stall fault). */
  async untilClosed(): Promise<void> {
    await this.gone.catch(() => undefined);
  }
}

/** Runs `wait` with a promise that resolves after ms, and clears the timer however `wait` ends. */
export async function afterTimer<T>(ms: number, wait: (elapsed: Promise<undefined>) => Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const elapsed = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => resolve(undefined), ms);
  });
  try {
    return await wait(elapsed);
  } finally {
    clearTimeout(timer);
  }
}

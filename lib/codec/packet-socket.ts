import { EventEmitter } from 'node:events';
import type { Socket } from 'node:net';
import { JpayError, JpayProtocolError } from '../errors';
import { DEFAULT_MAX_FRAME_SIZE, FrameDecoder, encodeFrame } from './frame';
import { Packet } from './packet';
import { parsePacket, serializePacket } from './xml';

export const DEFAULT_FRAME_TIMEOUT_MS = 10_000;

export interface PacketSocketOptions {
  /** Largest accepted frame payload in bytes (default 1 MiB). */
  maxFrameSize?: number;
  /** Longest time a frame may take from its first byte to its last (default 10 s). */
  frameTimeoutMs?: number;
}

export interface PacketSocketEvents {
  /** A complete, well-formed packet arrived. */
  packet: [Packet];
  /** A complete frame arrived but is not a valid packet; the connection stays usable. */
  invalid: [JpayProtocolError];
  /** The framing broke (oversized, trickling): the socket has been destroyed. */
  error: [JpayProtocolError | Error];
  close: [];
}

type Waiter = { resolve: (p: Packet) => void; reject: (e: Error) => void };

/**
 * A TCP socket that speaks JPAY packets: length-prefixed UTF-8 XML. Used by both the
 * client and the simulator. Packets can be consumed as events or pulled with receive().
 */
export class PacketSocket extends EventEmitter<PacketSocketEvents> {
  private readonly decoder: FrameDecoder;
  private readonly maxFrameSize: number;
  private readonly frameTimeoutMs: number;
  private frameTimer: NodeJS.Timeout | undefined;
  private readonly queue: Packet[] = [];
  private readonly waiters: Waiter[] = [];
  private failure: Error | undefined;
  private closed = false;

  constructor(
    readonly socket: Socket,
    options: PacketSocketOptions = {},
  ) {
    super();
    this.maxFrameSize = options.maxFrameSize ?? DEFAULT_MAX_FRAME_SIZE;
    this.frameTimeoutMs = options.frameTimeoutMs ?? DEFAULT_FRAME_TIMEOUT_MS;
    this.decoder = new FrameDecoder(this.maxFrameSize);
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('error', (error) => this.fail(error));
    socket.on('close', () => this.onClose());
  }

  get isClosed(): boolean {
    return this.closed;
  }

  private onData(chunk: Buffer): void {
    let frames: Buffer[];
    try {
      frames = this.decoder.push(chunk);
    } catch (error) {
      this.fail(error as Error);
      this.socket.destroy();
      return;
    }
    for (const frame of frames) this.onFrame(frame);
    this.armFrameTimer();
  }

  private onFrame(frame: Buffer): void {
    let p: Packet;
    try {
      p = parsePacket(frame.toString('utf8'));
    } catch (error) {
      const invalid =
        error instanceof JpayProtocolError ? error : new JpayProtocolError('bad-xml', (error as Error).message, { cause: error });
      const waiter = this.waiters.shift();
      if (waiter) waiter.reject(invalid);
      if (this.listenerCount('invalid') > 0) this.emit('invalid', invalid);
      return;
    }
    const waiter = this.waiters.shift();
    if (waiter) waiter.resolve(p);
    else if (this.listenerCount('packet') > 0) this.emit('packet', p);
    else this.queue.push(p);
  }

  private armFrameTimer(): void {
    if (!this.decoder.inFrame) {
      if (this.frameTimer) clearTimeout(this.frameTimer);
      this.frameTimer = undefined;
      return;
    }
    if (this.frameTimer) return;
    this.frameTimer = setTimeout(() => {
      this.frameTimer = undefined;
      this.fail(new JpayProtocolError('frame-timeout', `frame not completed within ${this.frameTimeoutMs} ms`));
      this.socket.destroy();
    }, this.frameTimeoutMs);
  }

  private fail(error: Error): void {
    if (this.failure) return;
    this.failure = error;
    this.rejectWaiters(error);
    if (this.listenerCount('error') > 0) this.emit('error', error);
  }

  private onClose(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.frameTimer) clearTimeout(this.frameTimer);
    this.frameTimer = undefined;
    const truncated = this.decoder.inFrame;
    this.decoder.reset();
    this.rejectWaiters(
      this.failure ??
        (truncated
          ? new JpayProtocolError('frame-truncated', 'connection closed in the middle of a frame')
          : new JpayError('connection closed by peer')),
    );
    this.emit('close');
  }

  private rejectWaiters(error: Error): void {
    for (const waiter of this.waiters.splice(0)) waiter.reject(error);
  }

  /** Serialise, frame and write one packet; resolves when the bytes are handed to the OS. */
  send(p: Packet): Promise<void> {
    return this.sendRaw(encodeFrame(serializePacket(p), this.maxFrameSize));
  }

  /** Write raw bytes (fault injection in the simulator and tests). */
  sendRaw(bytes: Buffer): Promise<void> {
    return new Promise((resolve, reject) => {
      if (this.closed || this.socket.destroyed) {
        reject(this.failure ?? new JpayError('connection is closed'));
        return;
      }
      this.socket.write(bytes, (error) => (error ? reject(error) : resolve()));
    });
  }

  /**
   * The next packet. Rejects with the framing/XML error, on close, or after timeoutMs
   * (a JpayError whose message says so; callers map it to their own timeout type).
   */
  receive(timeoutMs?: number): Promise<Packet> {
    const queued = this.queue.shift();
    if (queued) return Promise.resolve(queued);
    if (this.failure) return Promise.reject(this.failure);
    if (this.closed) return Promise.reject(new JpayError('connection closed by peer'));
    return new Promise<Packet>((resolve, reject) => {
      let timer: NodeJS.Timeout | undefined;
      const waiter: Waiter = {
        resolve: (p) => {
          if (timer) clearTimeout(timer);
          resolve(p);
        },
        reject: (e) => {
          if (timer) clearTimeout(timer);
          reject(e);
        },
      };
      if (timeoutMs !== undefined) {
        timer = setTimeout(() => {
          const index = this.waiters.indexOf(waiter);
          if (index >= 0) this.waiters.splice(index, 1);
          reject(new ReceiveTimeoutError(timeoutMs));
        }, timeoutMs);
      }
      this.waiters.push(waiter);
    });
  }

  /** Half-close after pending writes; the peer sees a clean end. */
  end(): void {
    if (!this.closed) this.socket.end();
  }

  destroy(): void {
    this.socket.destroy();
  }
}

export class ReceiveTimeoutError extends JpayError {
  constructor(readonly timeoutMs: number) {
    super(`no packet within ${timeoutMs} ms`);
  }
}

import { EventEmitter } from 'node:events';
import type { Socket } from 'node:net';
import { JpayError, JpayProtocolError, JpayValidationError, timeoutMessage } from '../errors';
import { DEFAULT_MAX_FRAME_SIZE, FrameDecoder, encodeFrame } from './frame';
import { Packet } from './packet';
import { parsePacket, serializePacket } from './xml';

export const DEFAULT_FRAME_TIMEOUT_MS = 10_000;
/**
 * Packets received and not yet taken by receive(). A JPAY peer sends one packet and waits
 * for its answer (§3), so a handful is already generous; a peer far past it is flooding.
 */
export const DEFAULT_MAX_QUEUED_PACKETS = 64;
/** Bytes of those packets (frame payloads), and of writes not yet handed to the OS. */
export const DEFAULT_MAX_QUEUED_BYTES = 4 * 1024 * 1024;

export interface PacketSocketOptions {
  /** Largest accepted frame payload in bytes (default 1 MiB). */
  maxFrameSize?: number;
  /** Longest time a frame may take from its first byte to its last (default 10 s). */
  frameTimeoutMs?: number;
  /** Most packets held for receive() before the peer is cut off with `queue-overflow` (default 64). */
  maxQueuedPackets?: number;
  /**
   * Most bytes held for receive(), and most bytes waiting to be written, before the
   * connection is cut off with `queue-overflow` (default 4 MiB, at least twice maxFrameSize).
   */
  maxQueuedBytes?: number;
}

export interface PacketSocketEvents {
  /** A complete, well-formed packet arrived. */
  packet: [Packet];
  /** A complete frame arrived but is not a valid packet; the connection stays usable. */
  invalid: [JpayProtocolError];
  /**
   * The framing broke (frame-too-large, frame-timeout, frame-truncated) or the socket
   * failed: the socket has been (or is being) destroyed.
   */
  error: [JpayProtocolError | Error];
  close: [];
}

type Waiter = { resolve: (p: Packet) => void; reject: (e: Error) => void };
/** What receive() will hand out next: a packet, or the bad-XML error of an invalid frame; with its frame's size. */
type Queued = ({ packet: Packet } | { invalid: JpayProtocolError }) & { bytes: number };

// setTimeout fires at once for anything above this (and warns), so it is the ceiling.
const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * A TCP socket that speaks JPAY packets: length-prefixed UTF-8 XML. Used by both the
 * client and the simulator. Packets can be consumed as events or pulled with receive().
 */
export class PacketSocket extends EventEmitter<PacketSocketEvents> {
  private readonly decoder: FrameDecoder;
  private readonly maxFrameSize: number;
  private readonly frameTimeoutMs: number;
  private readonly maxQueuedPackets: number;
  private readonly maxQueuedBytes: number;
  private queuedBytesNow = 0;
  private peakPackets = 0;
  private peakBytes = 0;
  private frameTimer: NodeJS.Timeout | undefined;
  /** frameStartedAt of the frame the running timer guards. */
  private timedFrameStart: number | undefined;
  private readonly queue: Queued[] = [];
  private readonly waiters: Waiter[] = [];
  private failure: Error | undefined;
  private closed = false;
  /** Root element of the frame after which our side is ended (see endAfter). */
  private lastRoot: string | undefined;

  constructor(
    readonly socket: Socket,
    options: PacketSocketOptions = {},
  ) {
    super();
    this.maxFrameSize = options.maxFrameSize ?? DEFAULT_MAX_FRAME_SIZE;
    this.frameTimeoutMs = options.frameTimeoutMs ?? DEFAULT_FRAME_TIMEOUT_MS;
    if (!(this.frameTimeoutMs > 0 && this.frameTimeoutMs <= MAX_TIMER_MS)) {
      throw new JpayValidationError('frameTimeoutMs', `must be a number of ms from 1 to ${MAX_TIMER_MS}`);
    }
    this.maxQueuedPackets = options.maxQueuedPackets ?? DEFAULT_MAX_QUEUED_PACKETS;
    if (!(Number.isInteger(this.maxQueuedPackets) && this.maxQueuedPackets >= 1)) {
      throw new JpayValidationError('maxQueuedPackets', 'must be an integer of at least 1');
    }
    this.maxQueuedBytes = options.maxQueuedBytes ?? Math.max(DEFAULT_MAX_QUEUED_BYTES, 2 * this.maxFrameSize);
    if (!(Number.isInteger(this.maxQueuedBytes) && this.maxQueuedBytes >= 1)) {
      throw new JpayValidationError('maxQueuedBytes', 'must be an integer of at least 1');
    }
    this.decoder = new FrameDecoder(this.maxFrameSize);
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('error', (error) => this.fail(error));
    socket.on('close', () => this.onClose());
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** Packets received and waiting for receive(). */
  get queuedPackets(): number {
    return this.queue.length;
  }

  /** Frame bytes of those packets. */
  get queuedBytes(): number {
    return this.queuedBytesNow;
  }

  /** The most packets and bytes ever held at once on this connection (never above the limits). */
  get peakQueue(): { packets: number; bytes: number } {
    return { packets: this.peakPackets, bytes: this.peakBytes };
  }

  private onData(chunk: Buffer): void {
    if (this.failure) return;
    // Frames completed before a broken header in the same chunk are still delivered.
    const frames: Buffer[] = [];
    let broken: Error | undefined;
    try {
      this.decoder.pushEach(chunk, (frame) => frames.push(frame));
    } catch (error) {
      broken = error as Error;
    }
    for (const frame of frames) {
      if (this.failure) return;
      this.onFrame(frame);
    }
    if (broken) {
      this.fail(broken);
      this.socket.destroy();
      return;
    }
    this.armFrameTimer();
  }

  private onFrame(frame: Buffer): void {
    if (this.lastRoot !== undefined && startsWithRoot(frame, this.lastRoot)) this.end();
    let p: Packet;
    try {
      p = parsePacket(frame.toString('utf8'));
    } catch (error) {
      const invalid =
        error instanceof JpayProtocolError ? error : new JpayProtocolError('bad-xml', (error as Error).message, { cause: error });
      // A puller learns of it too: the next receive() rejects with it, whether or not it
      // was already waiting when the frame arrived.
      const waiter = this.waiters.shift();
      if (waiter) waiter.reject(invalid);
      else if (this.listenerCount('packet') === 0) this.enqueue({ invalid, bytes: frame.length });
      if (this.listenerCount('invalid') > 0) this.emit('invalid', invalid);
      return;
    }
    const waiter = this.waiters.shift();
    if (waiter) waiter.resolve(p);
    else if (this.listenerCount('packet') > 0) this.emit('packet', p);
    else this.enqueue({ packet: p, bytes: frame.length });
  }

  /** Holds a packet for receive(); a peer that runs past the limits is cut off. */
  private enqueue(item: Queued): void {
    const packets = this.queue.length + 1;
    const bytes = this.queuedBytesNow + item.bytes;
    if (packets > this.maxQueuedPackets || bytes > this.maxQueuedBytes) {
      this.overflow(`the peer sent more than ${this.maxQueuedPackets} packets or ${this.maxQueuedBytes} bytes ahead of the reader`);
      return;
    }
    this.queue.push(item);
    this.queuedBytesNow = bytes;
    if (packets > this.peakPackets) this.peakPackets = packets;
    if (bytes > this.peakBytes) this.peakBytes = bytes;
  }

  /** The queue limit was passed: drop what is held, fail every waiter, cut the connection. */
  private overflow(message: string): void {
    this.queue.length = 0;
    this.queuedBytesNow = 0;
    this.fail(new JpayProtocolError('queue-overflow', message));
    this.socket.destroy();
  }

  /** One deadline per frame, counted from that frame's first byte. */
  private armFrameTimer(): void {
    const started = this.decoder.frameStartedAt;
    if (started === this.timedFrameStart && (started === undefined || this.frameTimer)) return;
    this.clearFrameTimer();
    if (started === undefined) return;
    this.timedFrameStart = started;
    const remaining = Math.max(0, this.frameTimeoutMs - (Date.now() - started));
    this.frameTimer = setTimeout(() => {
      this.frameTimer = undefined;
      this.fail(new JpayProtocolError('frame-timeout', timeoutMessage('frame', this.frameTimeoutMs)));
      this.socket.destroy();
    }, remaining);
  }

  private clearFrameTimer(): void {
    if (this.frameTimer) clearTimeout(this.frameTimer);
    this.frameTimer = undefined;
    this.timedFrameStart = undefined;
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
    this.clearFrameTimer();
    const truncated = this.decoder.inFrame;
    this.decoder.reset();
    if (truncated) this.fail(new JpayProtocolError('frame-truncated', 'connection closed in the middle of a frame'));
    // Built only when someone waits: capturing a stack on every close is measurable.
    if (this.waiters.length > 0) this.rejectWaiters(this.failure ?? new JpayError('connection closed by peer'));
    this.emit('close');
  }

  private rejectWaiters(error: Error): void {
    for (const waiter of this.waiters.splice(0)) waiter.reject(error);
  }

  /**
   * Serialise, frame and write one packet; resolves when the bytes are handed to the OS.
   * A packet that cannot be serialised or is too large rejects (never throws).
   */
  send(p: Packet): Promise<void> {
    let frame: Buffer;
    try {
      frame = encodeFrame(serializePacket(p), this.maxFrameSize);
    } catch (error) {
      return Promise.reject(error);
    }
    return this.sendRaw(frame);
  }

  /** Write raw bytes (fault injection in the simulator and tests). */
  sendRaw(bytes: Buffer): Promise<void> {
    return new Promise((resolve, reject) => {
      if (this.closed || this.socket.destroyed) {
        reject(this.failure ?? new JpayError('connection is closed'));
        return;
      }
      // Writes the peer does not read pile up in memory: past the limit the connection goes.
      if (this.socket.writableLength + bytes.length > this.maxQueuedBytes) {
        this.overflow(`more than ${this.maxQueuedBytes} bytes waiting to be written: the peer is not reading`);
        reject(this.failure ?? new JpayError('connection is closed'));
        return;
      }
      this.socket.write(bytes, (error) => (error ? reject(error) : resolve()));
    });
  }

  /**
   * The next packet. Rejects with the framing/XML error, on close, or after timeoutMs
   * with a ReceiveTimeoutError (callers map it to their own timeout type).
   */
  receive(timeoutMs?: number): Promise<Packet> {
    const queued = this.queue.shift();
    if (queued) {
      this.queuedBytesNow -= queued.bytes;
      return 'packet' in queued ? Promise.resolve(queued.packet) : Promise.reject(queued.invalid);
    }
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

  /**
   * Half-close as soon as a frame whose root element is `root` arrives, before it is parsed:
   * a client ends the connection after the response (§3), and the terminal can close its
   * side while the response is read.
   */
  endAfter(root: string): void {
    this.lastRoot = root;
  }

  /** Half-close after pending writes; the peer sees a clean end. */
  end(): void {
    const { socket } = this;
    if (!this.closed && !socket.destroyed && !socket.writableEnded) socket.end();
  }

  destroy(): void {
    this.socket.destroy();
  }
}

/** The frame opens with `<root` and then `>`, `/` or white space. One with a prolog or a BOM does not match: its reader ends later. */
function startsWithRoot(frame: Buffer, root: string): boolean {
  if (frame.length <= root.length + 1 || frame[0] !== 0x3c) return false;
  for (let i = 0; i < root.length; i++) if (frame[i + 1] !== root.charCodeAt(i)) return false;
  const next = frame[root.length + 1];
  return next === 0x3e || next === 0x2f || next === 0x20 || next === 0x09 || next === 0x0a || next === 0x0d;
}

export class ReceiveTimeoutError extends JpayError {
  constructor(readonly timeoutMs: number) {
    super(`no packet within ${timeoutMs} ms`);
  }
}

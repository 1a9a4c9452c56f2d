import { JpayProtocolError, JpayValidationError } from '../errors';

export const DEFAULT_MAX_FRAME_SIZE = 1024 * 1024;
const HEADER_SIZE = 4;
const MAX_DECLARABLE = 0xffffffff;
const MIN_GROWTH = 256;

function checkMaxFrameSize(maxFrameSize: number): void {
  if (!Number.isInteger(maxFrameSize) || maxFrameSize < 0 || maxFrameSize > MAX_DECLARABLE) {
    throw new JpayValidationError('maxFrameSize', `must be an integer from 0 to ${MAX_DECLARABLE}`);
  }
}

/** Prefix a payload with its 4-byte big-endian length. */
export function encodeFrame(payload: Buffer | string, maxFrameSize = DEFAULT_MAX_FRAME_SIZE): Buffer {
  checkMaxFrameSize(maxFrameSize);
  const body = typeof payload === 'string' ? Buffer.from(payload, 'utf8') : payload;
  if (body.length > maxFrameSize) {
    throw new JpayProtocolError('frame-too-large', `frame of ${body.length} bytes exceeds the limit of ${maxFrameSize}`);
  }
  const frame = Buffer.allocUnsafe(HEADER_SIZE + body.length);
  frame.writeUInt32BE(body.length, 0);
  body.copy(frame, HEADER_SIZE);
  return frame;
}

/**
 * Streaming frame decoder: feed it bytes as they arrive, however split or coalesced,
 * and it returns the complete payloads. The declared length is checked against the
 * limit as soon as the 4 header bytes are in, and memory grows only with bytes actually
 * received (the body buffer at most doubles past them), never with the declared length.
 */
export class FrameDecoder {
  private readonly header = Buffer.alloc(HEADER_SIZE);
  private headerBytes = 0;
  private body: Buffer | undefined;
  private bodyBytes = 0;
  private expected: number | undefined;
  private startedAt: number | undefined;

  constructor(private readonly maxFrameSize = DEFAULT_MAX_FRAME_SIZE) {
    checkMaxFrameSize(maxFrameSize);
  }

  /** When the first byte of the frame in progress arrived (ms), or undefined between frames. */
  get frameStartedAt(): number | undefined {
    return this.startedAt;
  }

  /** Bytes received so far (header included) for the frame in progress. */
  get pendingBytes(): number {
    return this.expected === undefined ? this.headerBytes : HEADER_SIZE + this.bodyBytes;
  }

  /** Bytes allocated to hold the frame in progress (bounded by about twice pendingBytes). */
  get allocatedBytes(): number {
    return this.body?.length ?? 0;
  }

  /** Decode a chunk; returns every payload it completes, in order. */
  push(chunk: Buffer, now = Date.now()): Buffer[] {
    const frames: Buffer[] = [];
    this.pushEach(chunk, (frame) => frames.push(frame), now);
    return frames;
  }

  /**
   * Like push(), but hands each payload to onFrame as soon as it is complete, so payloads
   * that precede a broken header in the same chunk are delivered before the error throws.
   */
  pushEach(chunk: Buffer, onFrame: (frame: Buffer) => void, now = Date.now()): void {
    let offset = 0;
    while (offset < chunk.length) {
      if (this.startedAt === undefined) this.startedAt = now;
      if (this.expected === undefined) {
        const take = Math.min(HEADER_SIZE - this.headerBytes, chunk.length - offset);
        chunk.copy(this.header, this.headerBytes, offset, offset + take);
        this.headerBytes += take;
        offset += take;
        if (this.headerBytes < HEADER_SIZE) return;
        const length = this.header.readUInt32BE(0);
        if (length > this.maxFrameSize) {
          this.reset();
          throw new JpayProtocolError('frame-too-large', `declared frame of ${length} bytes exceeds the limit of ${this.maxFrameSize}`);
        }
        this.headerBytes = 0;
        if (length === 0) {
          this.startedAt = undefined;
          onFrame(Buffer.alloc(0));
          continue;
        }
        this.expected = length;
        continue;
      }
      const expected = this.expected;
      const take = Math.min(expected - this.bodyBytes, chunk.length - offset);
      const needed = this.bodyBytes + take;
      if (!this.body || this.body.length < needed) {
        const grown = Math.min(expected, Math.max(needed, (this.body?.length ?? 0) * 2, MIN_GROWTH));
        const next = Buffer.allocUnsafe(grown);
        if (this.body) this.body.copy(next, 0, 0, this.bodyBytes);
        this.body = next;
      }
      chunk.copy(this.body, this.bodyBytes, offset, offset + take);
      this.bodyBytes += take;
      offset += take;
      if (this.bodyBytes < expected) return;
      // The buffer never grows past `expected`, so it is exactly the payload (a copy,
      // so a retained payload never pins a larger socket buffer).
      const frame = this.body;
      this.reset();
      onFrame(frame);
    }
  }

  /** True while a frame has started but not completed. */
  get inFrame(): boolean {
    return this.startedAt !== undefined;
  }

  reset(): void {
    this.headerBytes = 0;
    this.body = undefined;
    this.bodyBytes = 0;
    this.expected = undefined;
    this.startedAt = undefined;
  }
}

import { JpayProtocolError } from '../errors';

export const DEFAULT_MAX_FRAME_SIZE = 1024 * 1024;
const HEADER_SIZE = 4;

/** Prefix a payload with its 4-byte big-endian length. */
export function encodeFrame(payload: Buffer | string, maxFrameSize = DEFAULT_MAX_FRAME_SIZE): Buffer {
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
 * received, never with the declared length.
 */
export class FrameDecoder {
  private chunks: Buffer[] = [];
  private buffered = 0;
  private expected: number | undefined;
  private startedAt: number | undefined;

  constructor(private readonly maxFrameSize = DEFAULT_MAX_FRAME_SIZE) {}

  /** When the first byte of the frame in progress arrived (ms), or undefined between frames. */
  get frameStartedAt(): number | undefined {
    return this.startedAt;
  }

  /** Bytes held for the frame in progress. */
  get pendingBytes(): number {
    return this.buffered;
  }

  push(chunk: Buffer, now = Date.now()): Buffer[] {
    const frames: Buffer[] = [];
    let data = chunk;
    while (data.length > 0) {
      if (this.startedAt === undefined) this.startedAt = now;
      const need = this.expected === undefined ? HEADER_SIZE - this.buffered : this.expected - this.buffered;
      const take = Math.min(need, data.length);
      this.chunks.push(data.subarray(0, take));
      this.buffered += take;
      data = data.subarray(take);
      if (this.buffered < (this.expected ?? HEADER_SIZE)) break;
      const whole = this.chunks.length === 1 ? this.chunks[0] : Buffer.concat(this.chunks, this.buffered);
      this.chunks = [];
      this.buffered = 0;
      if (this.expected === undefined) {
        const length = whole.readUInt32BE(0);
        if (length > this.maxFrameSize) {
          this.reset();
          throw new JpayProtocolError('frame-too-large', `declared frame of ${length} bytes exceeds the limit of ${this.maxFrameSize}`);
        }
        if (length === 0) {
          frames.push(Buffer.alloc(0));
          this.startedAt = undefined;
          continue;
        }
        this.expected = length;
      } else {
        // Copy so a retained payload never pins a larger socket buffer.
        frames.push(Buffer.from(whole));
        this.expected = undefined;
        this.startedAt = undefined;
      }
    }
    return frames;
  }

  /** True while a frame has started but not completed. */
  get inFrame(): boolean {
    return this.startedAt !== undefined;
  }

  reset(): void {
    this.chunks = [];
    this.buffered = 0;
    this.expected = undefined;
    this.startedAt = undefined;
  }
}

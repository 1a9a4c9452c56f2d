/**
 * FrameDecoder targets: any frames cut at any points decode to the same payloads; random
 * bytes only ever raise JpayProtocolError('frame-too-large'); memory tracks the bytes
 * received, never the length a header declares.
 */
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { encodeFrame, FrameDecoder } from '../../lib/codec/frame';
import { expectTyped, isProtocolError, type FuzzTarget } from './kit';

const HEADER = 4;
const MIN_GROWTH = 256;

/** The memory bounds after every push: pending ≤ bytes received; allocation bounded by the limit and by them. */
function assertBounded(decoder: FrameDecoder, received: number, maxFrameSize: number): void {
  assert.ok(decoder.pendingBytes <= received, `pendingBytes ${decoder.pendingBytes} > ${received} bytes received`);
  assert.ok(decoder.pendingBytes <= HEADER + maxFrameSize, `pendingBytes ${decoder.pendingBytes} > header + max ${maxFrameSize}`);
  const body = Math.max(0, decoder.pendingBytes - HEADER);
  assert.ok(decoder.allocatedBytes <= maxFrameSize, `allocatedBytes ${decoder.allocatedBytes} > max frame size ${maxFrameSize}`);
  assert.ok(decoder.allocatedBytes <= Math.max(MIN_GROWTH, 2 * body), `allocatedBytes ${decoder.allocatedBytes} for ${body} body bytes received`);
}

/** Cut `stream` at the given points (fractions of its length, any order, duplicates allowed). */
function cut(stream: Buffer, points: readonly number[]): Buffer[] {
  const at = [...new Set(points.map((p) => Math.floor(p * stream.length)))].sort((a, b) => a - b);
  const chunks: Buffer[] = [];
  let from = 0;
  for (const to of at) {
    chunks.push(stream.subarray(from, to));
    from = to;
  }
  chunks.push(stream.subarray(from));
  return chunks;
}

const payload = fc.oneof(
  { weight: 6, arbitrary: fc.uint8Array({ maxLength: 64 }) },
  { weight: 3, arbitrary: fc.uint8Array({ minLength: 200, maxLength: 1200 }) },
  fc.constant(new Uint8Array(0)),
  fc.integer({ min: 1, max: 70_000 }).map((n) => new Uint8Array(n).fill(n & 0xff)),
);

export const frameSplitTarget: FuzzTarget<{ payloads: Uint8Array[]; points: number[] }> = {
  name: 'frame: split/coalesce',
  description: 'frames concatenated and cut at arbitrary points decode to the same payloads, in order; memory bounded after every chunk',
  arbitrary: fc.record({
    payloads: fc.array(payload, { maxLength: 12 }),
    points: fc.array(fc.double({ min: 0, max: 1, noNaN: true, maxExcluded: true }), { maxLength: 40 }),
  }),
  check({ payloads, points }) {
    const maxFrameSize = 80_000;
    const stream = Buffer.concat(payloads.map((p) => encodeFrame(Buffer.from(p), maxFrameSize)));
    const decoder = new FrameDecoder(maxFrameSize);
    const out: Buffer[] = [];
    let received = 0;
    let consumed = 0;
    for (const chunk of cut(stream, points)) {
      for (const frame of decoder.push(chunk)) {
        out.push(frame);
        consumed += HEADER + frame.length;
      }
      received += chunk.length;
      assert.equal(decoder.pendingBytes, received - consumed, 'pendingBytes counts exactly the bytes of the frame in progress');
      assertBounded(decoder, received - consumed, maxFrameSize);
    }
    assert.equal(out.length, payloads.length, 'every frame came out once');
    out.forEach((frame, i) => assert.ok(frame.equals(Buffer.from(payloads[i])), `payload ${i} differs`));
    assert.equal(decoder.inFrame, false);
  },
};

export const frameRandomTarget: FuzzTarget<{ chunks: Uint8Array[]; maxFrameSize: number }> = {
  name: 'frame: random bytes',
  description: "random chunks with a random limit: only JpayProtocolError('frame-too-large'), memory never past the limit or the bytes received",
  arbitrary: fc.record({
    chunks: fc.array(
      fc.oneof(
        fc.uint8Array({ maxLength: 64 }),
        // Headers declaring small, large and enormous lengths, then random bytes.
        fc.tuple(fc.oneof(fc.nat({ max: 300 }), fc.integer({ min: 0, max: 0xffffffff })), fc.uint8Array({ maxLength: 200 })).map(([length, rest]) => {
          const b = Buffer.alloc(HEADER + rest.length);
          b.writeUInt32BE(length, 0);
          b.set(rest, HEADER);
          return new Uint8Array(b);
        }),
      ),
      { maxLength: 20 },
    ),
    maxFrameSize: fc.oneof(fc.nat({ max: 600 }), fc.constant(1024 * 1024)),
  }),
  check({ chunks, maxFrameSize }, seen) {
    const decoder = new FrameDecoder(maxFrameSize);
    let sinceReset = 0;
    for (const chunk of chunks) {
      const bytes = Buffer.from(chunk);
      let broke = false;
      let frames: Buffer[] = [];
      expectTyped('FrameDecoder.push', () => decoder.push(bytes), isProtocolError('frame-too-large'), (e) => {
        broke = true;
        seen(e);
      }, (out) => (frames = out));
      for (const frame of frames) assert.ok(frame.length <= maxFrameSize, 'a frame over the limit came out');
      // After an error the decoder starts afresh (a real socket is closed instead) and keeps
      // nothing of the chunk's remainder.
      if (broke) {
        assert.equal(decoder.pendingBytes, 0, 'the decoder resets after an error');
        assert.equal(decoder.allocatedBytes, 0, 'the decoder frees its buffer after an error');
        sinceReset = 0;
      } else {
        sinceReset += bytes.length;
      }
      assertBounded(decoder, sinceReset, maxFrameSize);
    }
  },
};

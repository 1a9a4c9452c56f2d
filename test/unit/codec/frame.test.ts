import assert from 'node:assert/strict';
import { DEFAULT_MAX_FRAME_SIZE, FrameDecoder, encodeFrame } from '../../../lib/codec/frame';
import { JpayProtocolError, JpayValidationError } from '../../../lib/errors';

const PAYLOADS = [
  '<login><password>12345678</password></login>',
  '',
  '<display><text>Приложите карту</text></display>',
  `<x>${'a'.repeat(300)}</x>`,
  '<t>€ 𝄞 ё</t>',
];

function stream(payloads: readonly string[]): Buffer {
  return Buffer.concat(payloads.map((p) => encodeFrame(p)));
}

function texts(frames: Buffer[]): string[] {
  return frames.map((f) => f.toString('utf8'));
}

function decodeChunks(chunks: Buffer[], max?: number): string[] {
  const decoder = new FrameDecoder(max);
  const out = chunks.flatMap((chunk) => decoder.push(chunk));
  assert.equal(decoder.inFrame, false, 'no frame left half-done');
  assert.equal(decoder.pendingBytes, 0);
  return texts(out);
}

function isProtocolError(code: string) {
  return (error: unknown): boolean => {
    assert.ok(error instanceof JpayProtocolError, `expected JpayProtocolError, got ${String(error)}`);
    assert.equal(error.code, code);
    return true;
  };
}

describe('codec/frame', () => {
  describe('encodeFrame', () => {
    it('prefixes a 4-byte big-endian length that counts UTF-8 bytes, not characters', () => {
      const text = '<text>Привет</text>';
      const frame = encodeFrame(text);
      const bytes = Buffer.byteLength(text, 'utf8');
      assert.notEqual(bytes, text.length, 'the fixture must have multi-byte characters');
      assert.equal(frame.length, 4 + bytes);
      assert.deepEqual([...frame.subarray(0, 4)], [0, 0, (bytes >> 8) & 0xff, bytes & 0xff]);
      assert.equal(frame.readUInt32BE(0), bytes);
      assert.equal(frame.subarray(4).toString('utf8'), text);
    });

    it('writes the length big-endian for lengths above 255', () => {
      const frame = encodeFrame(Buffer.alloc(0x0102, 0x41));
      assert.deepEqual([...frame.subarray(0, 4)], [0x00, 0x00, 0x01, 0x02]);
    });

    it('encodes a zero-length frame as four zero bytes', () => {
      assert.deepEqual([...encodeFrame('')], [0, 0, 0, 0]);
    });

    it('refuses a payload above the limit (default 1 MiB), counting bytes', () => {
      assert.equal(DEFAULT_MAX_FRAME_SIZE, 1024 * 1024);
      assert.equal(encodeFrame(Buffer.alloc(DEFAULT_MAX_FRAME_SIZE)).length, DEFAULT_MAX_FRAME_SIZE + 4);
      assert.throws(() => encodeFrame(Buffer.alloc(DEFAULT_MAX_FRAME_SIZE + 1)), isProtocolError('frame-too-large'));
      assert.equal(encodeFrame('x'.repeat(10), 10).length, 14);
      assert.throws(() => encodeFrame('x'.repeat(11), 10), isProtocolError('frame-too-large'));
      // 6 characters but 12 bytes.
      assert.throws(() => encodeFrame('Привет', 10), isProtocolError('frame-too-large'));
    });

    it('refuses a nonsensical limit', () => {
      for (const max of [Number.NaN, -1, 1.5, 2 ** 32]) {
        assert.throws(() => encodeFrame('x', max), JpayValidationError);
        assert.throws(() => new FrameDecoder(max), JpayValidationError);
      }
    });
  });

  describe('FrameDecoder', () => {
    const whole = stream(PAYLOADS);

    it('decodes several frames coalesced in one chunk', () => {
      assert.deepEqual(decodeChunks([whole]), PAYLOADS);
    });

    it('decodes the same payloads when the stream is split at every single byte boundary', () => {
      for (let i = 0; i <= whole.length; i++) {
        assert.deepEqual(decodeChunks([whole.subarray(0, i), whole.subarray(i)]), PAYLOADS, `split at ${i}`);
      }
    });

    it('decodes the same payloads when split at every pair of boundaries', () => {
      const small = stream(['<a>Ж</a>', '', '<b/>']);
      for (let i = 0; i <= small.length; i++) {
        for (let j = i; j <= small.length; j++) {
          const chunks = [small.subarray(0, i), small.subarray(i, j), small.subarray(j)];
          assert.deepEqual(decodeChunks(chunks), ['<a>Ж</a>', '', '<b/>'], `split at ${i}, ${j}`);
        }
      }
    });

    it('decodes the same payloads fed byte by byte', () => {
      const bytes = [...whole].map((b) => Buffer.from([b]));
      assert.deepEqual(decodeChunks(bytes), PAYLOADS);
    });

    it('yields a zero-length frame as an empty payload, between other frames too', () => {
      const decoder = new FrameDecoder();
      const frames = decoder.push(Buffer.from([0, 0, 0, 0]));
      assert.equal(frames.length, 1);
      assert.equal(frames[0].length, 0);
      assert.deepEqual(texts(decoder.push(stream(['<a/>', '', '', '<b/>']))), ['<a/>', '', '', '<b/>']);
    });

    it('returns payloads that do not share memory with the input chunk', () => {
      const input = encodeFrame('<a>1</a>');
      const [frame] = new FrameDecoder().push(input);
      input.fill(0);
      assert.equal(frame.toString(), '<a>1</a>');
    });

    it('tracks when the frame in progress started', () => {
      const decoder = new FrameDecoder();
      assert.equal(decoder.frameStartedAt, undefined);
      decoder.push(Buffer.from([0, 0]), 1000);
      assert.equal(decoder.frameStartedAt, 1000);
      assert.equal(decoder.inFrame, true);
      decoder.push(Buffer.from([0, 1]), 2000);
      assert.equal(decoder.frameStartedAt, 1000, 'the start is the first byte, not the latest');
      assert.deepEqual(texts(decoder.push(Buffer.from('x'), 3000)), ['x']);
      assert.equal(decoder.frameStartedAt, undefined);
      assert.equal(decoder.inFrame, false);
    });

    describe('maximum frame size', () => {
      it('throws frame-too-large on a 4 GiB header with no body, before any payload arrives', () => {
        const decoder = new FrameDecoder();
        assert.throws(() => decoder.push(Buffer.from([0xff, 0xff, 0xff, 0xff])), isProtocolError('frame-too-large'));
        assert.equal(decoder.pendingBytes, 0);
        assert.equal(decoder.allocatedBytes, 0);
        assert.equal(decoder.inFrame, false);
      });

      it('throws as soon as the 4th header byte arrives when the header is split', () => {
        const decoder = new FrameDecoder(1000);
        const header = Buffer.alloc(4);
        header.writeUInt32BE(1001);
        assert.deepEqual(decoder.push(header.subarray(0, 3)), []);
        assert.equal(decoder.pendingBytes, 3);
        assert.throws(() => decoder.push(header.subarray(3)), isProtocolError('frame-too-large'));
      });

      it('does not buffer the body bytes that follow an oversized header in the same chunk', () => {
        const decoder = new FrameDecoder(100);
        const chunk = Buffer.concat([Buffer.from([0, 0, 0, 101]), Buffer.alloc(101, 0x41)]);
        assert.throws(() => decoder.push(chunk), isProtocolError('frame-too-large'));
        assert.equal(decoder.pendingBytes, 0);
        assert.equal(decoder.allocatedBytes, 0);
      });

      it('accepts exactly the configured maximum and refuses one byte more', () => {
        assert.deepEqual(decodeChunks([encodeFrame('x'.repeat(10))], 10), ['x'.repeat(10)]);
        const decoder = new FrameDecoder(10);
        assert.throws(() => decoder.push(Buffer.from([0, 0, 0, 11])), isProtocolError('frame-too-large'));
      });

      it('holds only what was received, never the declared length', () => {
        const decoder = new FrameDecoder();
        const header = Buffer.alloc(4);
        header.writeUInt32BE(DEFAULT_MAX_FRAME_SIZE);
        decoder.push(header);
        assert.equal(decoder.pendingBytes, 4);
        assert.equal(decoder.allocatedBytes, 0);
        decoder.push(Buffer.alloc(10, 0x41));
        assert.equal(decoder.pendingBytes, 14);
        assert.ok(decoder.allocatedBytes < 1024, `allocated ${decoder.allocatedBytes} for 10 bytes received`);
        for (let i = 0; i < 5000; i++) decoder.push(Buffer.from([0x41]));
        assert.equal(decoder.pendingBytes, 5014);
        assert.ok(decoder.allocatedBytes <= 2 * 5010, `allocated ${decoder.allocatedBytes} for 5010 body bytes`);
      });

      it('delivers the frames that precede an oversized header in the same chunk (pushEach)', () => {
        const decoder = new FrameDecoder(100);
        const seen: string[] = [];
        const chunk = Buffer.concat([encodeFrame('<a/>'), encodeFrame('<b/>'), Buffer.from([0xff, 0xff, 0xff, 0xff])]);
        assert.throws(() => decoder.pushEach(chunk, (f) => seen.push(f.toString())), isProtocolError('frame-too-large'));
        assert.deepEqual(seen, ['<a/>', '<b/>']);
      });
    });
  });
});

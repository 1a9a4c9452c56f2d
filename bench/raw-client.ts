/**
 * The baseline: a minimal JPAY client with nothing but a net socket, the 4-byte length
 * prefix and pre-built bytes (and node:crypto AES-256-GCM for encrypted commands). No
 * XML parser, no validation, no queue: the physical limit the library is compared with.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import net from 'node:net';

/** What to do with one frame from the terminal: answer it (a message) or stop (the response). */
export type FrameHandler = (payload: Buffer) => Buffer | 'done';

/**
 * One command on one connection, like the protocol's step list: connect, send, answer
 * the messages, take the response, close our side and wait for the socket to close.
 * Resolves with the response payload.
 */
export function rawExchange(port: number, request: Buffer, onFrame: FrameHandler = () => 'done', host = '127.0.0.1'): Promise<Buffer> {
  return new Promise<Buffer>((resolve, reject) => {
    const socket = net.connect({ port, host });
    socket.setNoDelay(true);
    let pending: Buffer = Buffer.alloc(0);
    let response: Buffer | undefined;
    socket.once('connect', () => socket.write(request));
    socket.on('data', (chunk: Buffer) => {
      pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
      while (response === undefined && pending.length >= 4) {
        const length = pending.readUInt32BE(0);
        if (pending.length < 4 + length) break;
        const payload = pending.subarray(4, 4 + length);
        pending = pending.subarray(4 + length);
        const next = onFrame(payload);
        if (next === 'done') {
          response = payload;
          socket.end();
        } else {
          socket.write(next);
        }
      }
    });
    socket.once('error', reject);
    socket.once('close', () => (response ? resolve(response) : reject(new Error('raw exchange: closed without a response'))));
  });
}

export function frame(payload: Buffer | string): Buffer {
  const body = typeof payload === 'string' ? Buffer.from(payload, 'utf8') : payload;
  const out = Buffer.allocUnsafe(4 + body.length);
  out.writeUInt32BE(body.length, 0);
  body.copy(out, 4);
  return out;
}

/** `tag(16) ‖ iv(16) ‖ ciphertext`, base64 — the layout of §9, done directly with node:crypto. */
export function seal(key: Buffer, plaintext: Buffer): string {
  const iv = randomBytes(16);
  const cipher = createCipheriv('aes-256-gcm', key, iv, { authTagLength: 16 });
  const ciphertext = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return Buffer.concat([cipher.getAuthTag(), iv, ciphertext]).toString('base64');
}

export function open(key: Buffer, base64: string): Buffer {
  const sealed = Buffer.from(base64, 'base64');
  const decipher = createDecipheriv('aes-256-gcm', key, sealed.subarray(16, 32), { authTagLength: 16 });
  decipher.setAuthTag(sealed.subarray(0, 16));
  return Buffer.concat([decipher.update(sealed.subarray(32)), decipher.final()]);
}

/** The contents of `<encrypted>…</encrypted>` in a payload, found by string search. */
export function encryptedBlock(payload: Buffer): string {
  const text = payload.toString('latin1');
  const start = text.indexOf('<encrypted>');
  const end = text.indexOf('</encrypted>', start);
  if (start < 0 || end < 0) throw new Error(`raw client: no <encrypted> block in ${text.slice(0, 80)}`);
  return text.slice(start + '<encrypted>'.length, end);
}

/** The root element's name, read from the first bytes. */
export function rootName(payload: Buffer): string {
  let end = 1;
  while (end < payload.length) {
    const c = payload[end];
    if (c === 0x20 || c === 0x3e || c === 0x2f || c === 0x0a || c === 0x0d || c === 0x09) break;
    end++;
  }
  return payload.toString('latin1', 1, end);
}

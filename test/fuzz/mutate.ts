/**
 * Input generators of the fuzz targets: the corrected vendor examples
 * (test/fixtures/protocol-examples) and mutations of them at the byte, text and packet
 * level, plus dictionaries of the tokens and values parsers stumble on.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import type { Packet, XmlElement, XmlNode } from '../../lib/codec/packet';
import { parsePacket } from '../../lib/codec/xml';

const FIXTURES_DIR = path.resolve(__dirname, '../fixtures/protocol-examples');

/** Every example packet's text, by file name. */
export const FIXTURE_TEXTS: readonly { file: string; text: string }[] = readdirSync(FIXTURES_DIR)
  .filter((f) => f.endsWith('.xml'))
  .sort()
  .map((file) => ({ file, text: readFileSync(path.join(FIXTURES_DIR, file), 'utf8') }));

export const FIXTURE_PACKETS: readonly Packet[] = FIXTURE_TEXTS.map(({ text }) => parsePacket(text));

/** Tokens that matter to an XML parser and to the object model built from it. */
export const XML_TOKENS: readonly string[] = [
  '<', '>', '/>', '</', '=', '="', '"', "'", '&', '&amp;', '&lt;', '&#0;', '&#1055;', '&#x41;', '&#x110000;', '&#xD800;',
  '&#99999999999999999999;', '&nbsp;', '&unknown;', '<!--', '-->', '<![CDATA[', ']]>', '<?xml version="1.0"?>',
  '<?xml version="1.1"?>', '<!DOCTYPE a [<!ENTITY x "y">]>', '<!ENTITY', '__proto__', 'constructor', 'prototype',
  '<__proto__>', '</__proto__>', '<__proto__ polluted="1"/>', '<constructor><prototype>x</prototype></constructor>',
  ' __proto__="1"', ' constructor="1"', ' @x="1"', '#text', '<#text>', '<line>', '</line>', '<t>', '<tag name="5A" value="4111111111111111"/>',
  '<error>', '<status>ok</status>', '<receipt>', '</receipt>', '\u0000', '\u0001', '\ufeff', '\ud800', '\uffff', '\u2028',
  ' ', '\t', '\n', '\r\n', 'xmlns:a="b"', '<a:b>', 'x'.repeat(300),
];

/** Values that numeric, date, hex, base64 and enum fields stumble on. */
export const FIELD_VALUES: readonly string[] = [
  '', ' ', '0', '-1', '+1', '1e3', '0x10', 'NaN', 'Infinity', '00000000000000000000000000001', '999999999999999999999999',
  '000000012300', '12.30', '1,5', 'ok', 'OK', 'approved', 'declined', 'failed', 'yes', 'no', 'true', '1', '2',
  'purchase', 'refund', 'void', 'last', 'full', 'open', 'read', 'write', 'close', 'show', 'hide', '643', '180328120133',
  '991332250000', '20240501T100000', 'A0000000031010', 'ABC', 'GG', '5A', '9F02', '==', 'AAAA', 'AAA=', '!!!!',
  '4111111111111111', '__proto__', 'constructor', 'toString', 'hasOwnProperty', '\u0000', 'Приложите карту', 'x'.repeat(2000),
];

const position = fc.nat({ max: 1 << 20 });

type ByteOp =
  | { op: 'flip'; at: number; bit: number }
  | { op: 'set'; at: number; value: number }
  | { op: 'delete'; at: number; length: number }
  | { op: 'insert'; at: number; bytes: Uint8Array }
  | { op: 'duplicate'; at: number; length: number; to: number }
  | { op: 'truncate'; at: number };

const byteOp: fc.Arbitrary<ByteOp> = fc.oneof(
  fc.record({ op: fc.constant('flip' as const), at: position, bit: fc.nat({ max: 7 }) }),
  fc.record({ op: fc.constant('set' as const), at: position, value: fc.constantFrom(0, 0xff, 0x3c, 0x3e, 0x26, 0x22, 0x80, 0xc0, 0x0a) }),
  fc.record({ op: fc.constant('delete' as const), at: position, length: fc.integer({ min: 1, max: 64 }) }),
  fc.record({ op: fc.constant('insert' as const), at: position, bytes: fc.uint8Array({ minLength: 1, maxLength: 16 }) }),
  fc.record({ op: fc.constant('duplicate' as const), at: position, length: fc.integer({ min: 1, max: 128 }), to: position }),
  fc.record({ op: fc.constant('truncate' as const), at: position }),
);

function applyByteOp(data: Buffer, o: ByteOp): Buffer {
  const at = data.length === 0 ? 0 : o.at % (data.length + 1);
  switch (o.op) {
    case 'flip': {
      if (data.length === 0) return data;
      const out = Buffer.from(data);
      out[at % data.length] ^= 1 << o.bit;
      return out;
    }
    case 'set': {
      if (data.length === 0) return data;
      const out = Buffer.from(data);
      out[at % data.length] = o.value;
      return out;
    }
    case 'delete':
      return Buffer.concat([data.subarray(0, at), data.subarray(at + o.length)]);
    case 'insert':
      return Buffer.concat([data.subarray(0, at), Buffer.from(o.bytes), data.subarray(at)]);
    case 'duplicate': {
      const slice = data.subarray(at, at + o.length);
      const to = o.to % (data.length + 1);
      return Buffer.concat([data.subarray(0, to), slice, data.subarray(to)]);
    }
    case 'truncate':
      return data.subarray(0, at);
  }
}

/** A buffer with 1–8 byte-level mutations applied. */
export function mutatedBytes(base: fc.Arbitrary<Buffer>): fc.Arbitrary<Buffer> {
  return fc.tuple(base, fc.array(byteOp, { minLength: 1, maxLength: 8 })).map(([data, ops]) => ops.reduce(applyByteOp, data));
}

type TextOp =
  | { op: 'insert'; at: number; token: string }
  | { op: 'replace'; at: number; length: number; token: string }
  | { op: 'swap'; a: number; b: number; length: number }
  | { op: 'value'; at: number; token: string };

const token = fc.oneof({ weight: 4, arbitrary: fc.constantFrom(...XML_TOKENS) }, fc.constantFrom(...FIELD_VALUES), fc.string({ unit: 'binary', maxLength: 8 }));

const escaped = (t: string): string => t.replace(/&/g, '&amp;').replace(/</g, '&lt;');

const textOp: fc.Arbitrary<TextOp> = fc.oneof(
  // A text node's value replaced (mostly escaped, so the packet still parses and reaches the protocol parsers).
  { weight: 3, arbitrary: fc.record({ op: fc.constant('value' as const), at: position, token: fc.oneof({ weight: 3, arbitrary: token.map(escaped) }, token) }) },
  fc.record({ op: fc.constant('insert' as const), at: position, token }),
  fc.record({ op: fc.constant('replace' as const), at: position, length: fc.integer({ min: 1, max: 24 }), token }),
  fc.record({ op: fc.constant('swap' as const), a: position, b: position, length: fc.integer({ min: 1, max: 40 }) }),
);

function applyTextOp(text: string, o: TextOp): string {
  const at = (n: number): number => n % (text.length + 1);
  switch (o.op) {
    case 'insert':
      return text.slice(0, at(o.at)) + o.token + text.slice(at(o.at));
    case 'replace':
      return text.slice(0, at(o.at)) + o.token + text.slice(at(o.at) + o.length);
    case 'value': {
      const values = [...text.matchAll(/>([^<]*)</g)];
      if (values.length === 0) return text;
      const m = values[o.at % values.length];
      const start = (m.index ?? 0) + 1;
      return text.slice(0, start) + o.token + text.slice(start + m[1].length);
    }
    case 'swap': {
      const [a, b] = [at(o.a), at(o.b)].sort((x, y) => x - y);
      const first = text.slice(a, Math.min(a + o.length, b));
      return text.slice(0, a) + text.slice(b, b + o.length) + text.slice(a + first.length, b) + first + text.slice(b + o.length);
    }
  }
}

/** A text with 1–6 token-level mutations applied (XML syntax, prototype names, odd values). */
export function mutatedText(base: fc.Arbitrary<string>): fc.Arbitrary<string> {
  return fc.tuple(base, fc.array(textOp, { minLength: 1, maxLength: 6 })).map(([text, ops]) => ops.reduce(applyTextOp, text));
}

export const fixtureText: fc.Arbitrary<string> = fc.constantFrom(...FIXTURE_TEXTS.map((f) => f.text));
export const fixtureBytes: fc.Arbitrary<Buffer> = fixtureText.map((t) => Buffer.from(t, 'utf8'));

/** Random text shaped a little like XML: tokens, names and values strung together. */
export const xmlish: fc.Arbitrary<string> = fc
  .array(fc.oneof(fc.constantFrom(...XML_TOKENS), fc.constantFrom(...FIELD_VALUES), fc.constantFrom(...elementNames())), { maxLength: 40 })
  .map((parts) => parts.join(''));

/** Anything a peer could send as a packet's text. */
export const anyPacketText: fc.Arbitrary<string> = fc.oneof(
  { weight: 4, arbitrary: mutatedText(fixtureText) },
  { weight: 2, arbitrary: mutatedBytes(fixtureBytes).map((b) => b.toString('utf8')) },
  { weight: 2, arbitrary: xmlish },
  fc.string({ unit: 'binary', maxLength: 200 }),
  fc.uint8Array({ maxLength: 300 }).map((b) => Buffer.from(b).toString('utf8')),
  fc.uint8Array({ maxLength: 300 }).map((b) => Buffer.from(b).toString('latin1')),
);

// ---- Packet-level mutation (for the protocol parsers, which get a parsed Packet) ----

function collectNames(el: XmlElement, into: Set<string>): void {
  for (const [key, value] of Object.entries(el)) {
    into.add(key);
    for (const v of Array.isArray(value) ? value : [value]) if (typeof v === 'object') collectNames(v, into);
  }
}

/** Every element and attribute key of the examples, plus the object machinery's names. */
export function elementNames(): string[] {
  const names = new Set<string>(['__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty', '#text', '@name', '@value']);
  for (const p of FIXTURE_PACKETS) {
    names.add(p.name);
    collectNames(p.body, names);
  }
  return [...names].sort();
}

const NAMES = elementNames();

const leaf: fc.Arbitrary<XmlNode> = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(...FIELD_VALUES) },
  fc.string({ unit: 'binary', maxLength: 30 }),
  fc.string({ unit: fc.constantFrom(...'0123456789ABCDEFabcdef'), maxLength: 40 }),
);

const node: fc.Arbitrary<XmlNode | XmlNode[]> = fc.letrec<{ node: XmlNode | XmlNode[]; el: XmlElement }>((tie) => ({
  node: fc.oneof({ depthSize: 'small', withCrossShrink: true }, leaf, tie('el'), fc.array(fc.oneof(leaf, tie('el')), { maxLength: 3 })),
  el: fc.dictionary(fc.constantFrom(...NAMES), tie('node') as fc.Arbitrary<XmlNode>, { maxKeys: 4 }),
})).node;

type PacketOp = { op: 'set'; at: number; value: XmlNode | XmlNode[] } | { op: 'delete'; at: number } | { op: 'add'; at: number; name: string; value: XmlNode | XmlNode[] } | { op: 'wrap'; at: number };

const packetOp: fc.Arbitrary<PacketOp> = fc.oneof(
  fc.record({ op: fc.constant('set' as const), at: position, value: node }),
  fc.record({ op: fc.constant('delete' as const), at: position }),
  fc.record({ op: fc.constant('add' as const), at: position, name: fc.constantFrom(...NAMES), value: node }),
  fc.record({ op: fc.constant('wrap' as const), at: position }),
);

interface Slot {
  parent: XmlElement;
  key: string;
}

function slots(el: XmlElement, out: Slot[] = []): Slot[] {
  for (const [key, value] of Object.entries(el)) {
    out.push({ parent: el, key });
    for (const v of Array.isArray(value) ? value : [value]) if (typeof v === 'object') slots(v, out);
  }
  return out;
}

function elements(el: XmlElement, out: XmlElement[] = []): XmlElement[] {
  out.push(el);
  for (const value of Object.values(el)) for (const v of Array.isArray(value) ? value : [value]) if (typeof v === 'object') elements(v, out);
  return out;
}

// Keys are defined, never assigned: `__proto__` must become an own key, as a parser would make it.
function define(target: XmlElement, key: string, value: XmlNode | XmlNode[]): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

function applyPacketOp(body: XmlElement, o: PacketOp): XmlElement {
  const all = slots(body);
  switch (o.op) {
    case 'set':
      if (all.length > 0) define(all[o.at % all.length].parent, all[o.at % all.length].key, o.value);
      break;
    case 'delete':
      if (all.length > 0) delete all[o.at % all.length].parent[all[o.at % all.length].key];
      break;
    case 'add': {
      const targets = elements(body);
      define(targets[o.at % targets.length], o.name, o.value);
      break;
    }
    case 'wrap':
      // A value becomes an array of itself, or an element with text and an attribute.
      if (all.length > 0) {
        const { parent, key } = all[o.at % all.length];
        const value = parent[key];
        define(parent, key, typeof value === 'string' ? { '#text': value, '@x': '1' } : Array.isArray(value) ? value : [value, value]);
      }
      break;
  }
  return body;
}

/** A valid example packet with 1–6 structural mutations; the root possibly renamed. */
export const mutatedPacket: fc.Arbitrary<Packet> = fc
  .tuple(
    fc.nat({ max: FIXTURE_PACKETS.length - 1 }),
    fc.array(packetOp, { minLength: 1, maxLength: 6 }),
    fc.option(fc.constantFrom(...FIXTURE_PACKETS.map((p) => p.name), 'keep-alive', 'displayqrcode', 'error', '__proto__'), { freq: 3 }),
  )
  .map(([index, ops, rename]) => {
    const original = FIXTURE_PACKETS[index];
    const body = ops.reduce(applyPacketOp, structuredClone(original.body));
    return { name: rename ?? original.name, attrs: { ...original.attrs }, body };
  });

/**
 * parsePacket targets: random strings and bytes, XML-like token soup and mutated example
 * packets give a well-formed Packet or JpayProtocolError('bad-xml'), never another error,
 * and never touch a built-in prototype. A parsed packet serialises again (or is refused
 * with a JpayValidationError).
 */
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { Packet, XmlNode } from '../../lib/codec/packet';
import { parsePacket, serializePacket } from '../../lib/codec/xml';
import { JpayValidationError } from '../../lib/errors';
import { assertPrototypesIntact, expectTyped, isProtocolError, type ErrorRecorder, type FuzzTarget } from './kit';
import { anyPacketText, fixtureText, mutatedText, xmlish } from './mutate';

function assertNode(node: XmlNode, path: string): void {
  if (typeof node === 'string') return;
  assert.ok(node !== null && typeof node === 'object' && !Array.isArray(node), `${path}: not a string or element`);
  assert.equal(Object.getPrototypeOf(node), Object.prototype, `${path}: an element with a foreign prototype`);
  for (const key of Object.keys(node)) {
    assert.ok(key !== '' && key !== '@', `${path}: an element or attribute without a name`);
    const value: XmlNode | XmlNode[] = node[key];
    if (Array.isArray(value)) {
      assert.equal(Object.getPrototypeOf(value), Array.prototype, `${path}.${key}: an array with a foreign prototype`);
      value.forEach((v, i) => assertNode(v, `${path}.${key}[${i}]`));
    } else {
      assertNode(value, `${path}.${key}`);
    }
  }
}

/** A Packet as the codec promises it: string name, string attributes, a tree of plain objects and strings. */
export function assertPacketShape(p: Packet): void {
  assert.equal(typeof p.name, 'string');
  assert.match(p.name, /^[^\s<>&"'/=]+$/u, 'a root name XML allows');
  assert.equal(Object.getPrototypeOf(p.attrs), Object.prototype, 'attrs with a foreign prototype');
  for (const [key, value] of Object.entries(p.attrs)) assert.equal(typeof value, 'string', `attribute ${key} is not a string`);
  assertNode(p.body, p.name);
}

export function checkPacketText(text: string, seen: ErrorRecorder): void {
  expectTyped('parsePacket', () => parsePacket(text), isProtocolError('bad-xml'), seen, (p) => {
    assertPacketShape(p);
    expectTyped('serializePacket', () => serializePacket(p), (e) => e instanceof JpayValidationError, seen, (out) => assert.equal(typeof out, 'string'));
  });
  assertPrototypesIntact('parsePacket');
}

export const xmlRandomTarget: FuzzTarget<string> = {
  name: 'xml: random text',
  description: "random strings, random bytes as UTF-8/Latin-1 and XML token soup: a Packet or JpayProtocolError('bad-xml'); no prototype touched",
  arbitrary: fc.oneof(
    xmlish,
    fc.string({ unit: 'binary', maxLength: 200 }),
    fc.uint8Array({ maxLength: 300 }).map((b) => Buffer.from(b).toString('utf8')),
    fc.uint8Array({ maxLength: 300 }).map((b) => Buffer.from(b).toString('latin1')),
  ),
  check: checkPacketText,
};

export const xmlMutatedTarget: FuzzTarget<string> = {
  name: 'xml: mutated examples',
  description: 'the vendor examples with token, byte and slice mutations: a Packet or bad-xml; no prototype touched',
  arbitrary: fc.oneof({ weight: 3, arbitrary: mutatedText(fixtureText) }, anyPacketText),
  check: checkPacketText,
};

// Loads the vendor examples (corrected, copied from shared/spec/examples) for the protocol
// command tests; JPAY_EXAMPLES_DIR points elsewhere when set.
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Packet } from '../../../lib/codec/packet';
import { parsePacket, serializePacket } from '../../../lib/codec/xml';

const CANDIDATES = [
  process.env.JPAY_EXAMPLES_DIR,
  join(__dirname, '..', '..', 'fixtures', 'protocol-examples'),
].filter((d): d is string => typeof d === 'string' && d !== '');

export const EXAMPLES_DIR = CANDIDATES.find((d) => existsSync(join(d, 'transaction.response.xml'))) ?? CANDIDATES[0];

export function exampleNames(): string[] {
  return readdirSync(EXAMPLES_DIR).filter((f) => f.endsWith('.xml')).sort();
}

export function example(name: string): Packet {
  return parsePacket(readFileSync(join(EXAMPLES_DIR, name), 'utf8'));
}

/** Canonical XML of a packet: equal strings ⇔ same elements, order, attributes and values. */
export function canonical(p: Packet): string {
  return serializePacket(p);
}

/** Asserts that every key of `expected` is deep-equal in `actual` (Node 20 has no partialDeepStrictEqual). */
export function assertHas(actual: unknown, expected: Record<string, unknown>, message?: string): void {
  assert.ok(actual !== null && typeof actual === 'object', message ?? 'expected an object');
  const picked = Object.fromEntries(Object.keys(expected).map((k) => [k, (actual as Record<string, unknown>)[k]]));
  assert.deepEqual(picked, expected, message);
}

/**
 * lib/protocol targets: every parser a peer's packet reaches (client side: parseResponse
 * for each command, parseMessage; terminal side: parseRequest and the message answers),
 * fed structurally mutated example packets and mutated example texts. A typed result or a
 * library error (JpayProtocolError / JpayValidationError), never another exception.
 */
import fc from 'fast-check';
import type { Packet } from '../../lib/codec/packet';
import { parsePacket } from '../../lib/codec/xml';
import {
  COMMAND_NAMES,
  parseCardAnswer,
  parseCertificateAnswer,
  parseCertificateRequest,
  parseConfigCredentialsAnswer,
  parseDexAnswer,
  parseMessage,
  parseMessageAnswer,
  parseRequest,
  parseResponse,
  type CommandName,
} from '../../lib/protocol';
import { assertPrototypesIntact, expectTyped, isLibraryError, isProtocolError, type ErrorRecorder, type FuzzTarget } from './kit';
import { anyPacketText, mutatedPacket } from './mutate';

/** Every parser, on the packet as it is and renamed to what that parser expects. */
export function checkProtocolPacket(p: Packet, seen: ErrorRecorder, command: CommandName): void {
  const as = (name: string): Packet => ({ name, attrs: p.attrs, body: p.body });
  expectTyped(`parseResponse(${command})`, () => parseResponse(command, as(command)), isLibraryError, seen);
  expectTyped(`parseResponse(${command}) of <${p.name}>`, () => parseResponse(command, p), isLibraryError, seen);
  expectTyped('parseMessage', () => parseMessage(p), isLibraryError, seen);
  expectTyped('parseRequest', () => parseRequest(p), isLibraryError, seen);
  expectTyped(`parseRequest(${command})`, () => parseRequest(as(command)), isLibraryError, seen);
  for (const name of ['keepalive', 'keep-alive', 'display', 'displayqrcode', 'dex', 'card']) {
    expectTyped(`parseMessage(${name})`, () => parseMessage(as(name)), isLibraryError, seen);
  }
  expectTyped('parseMessageAnswer', () => parseMessageAnswer(p), isLibraryError, seen);
  expectTyped('parseDexAnswer', () => parseDexAnswer(p), isLibraryError, seen);
  expectTyped('parseCardAnswer', () => parseCardAnswer(as('card')), isLibraryError, seen);
  expectTyped('parseCertificateRequest', () => parseCertificateRequest(p), isLibraryError, seen);
  expectTyped('parseCertificateAnswer', () => parseCertificateAnswer(p), isLibraryError, seen);
  expectTyped('parseConfigCredentialsAnswer', () => parseConfigCredentialsAnswer(p), isLibraryError, seen);
  assertPrototypesIntact('protocol parsers');
}

const command = fc.constantFrom(...COMMAND_NAMES);

export const protocolPacketTarget: FuzzTarget<[Packet, CommandName]> = {
  name: 'protocol: mutated packets',
  description: 'example packets with values replaced, keys added/removed, elements wrapped or repeated: every parser gives a result or a library error',
  arbitrary: fc.tuple(mutatedPacket, command),
  check: ([p, cmd], seen) => checkProtocolPacket(p, seen, cmd),
};

export const protocolTextTarget: FuzzTarget<[string, CommandName]> = {
  name: 'protocol: mutated texts',
  description: 'mutated example texts that still parse go through every parser: a result or a library error',
  arbitrary: fc.tuple(anyPacketText, command),
  check([text, cmd], seen) {
    expectTyped('parsePacket', () => parsePacket(text), isProtocolError('bad-xml'), seen, (p) => checkProtocolPacket(p, seen, cmd));
  },
};

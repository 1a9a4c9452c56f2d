// Every vendor example file is read by the matching parser and survives a round trip
// through the matching builder. A new example without a rule here fails the suite.
import assert from 'node:assert/strict';
import type { Packet } from '../../../lib/codec/packet';
import { parsePacket, serializePacket } from '../../../lib/codec/xml';
import {
  buildCardAnswer,
  buildCertificateAnswer,
  buildCertificateRequest,
  buildConfigCredentialsAnswer,
  buildDexAnswer,
  buildMessageAnswer,
  messageToPacket,
  parseCardAnswer,
  parseCertificateAnswer,
  parseCertificateRequest,
  parseConfigCredentialsAnswer,
  parseDexAnswer,
  parseMessage,
  parseMessageAnswer,
} from '../../../lib/protocol/messages';
import { parseReceipt, receiptToElement } from '../../../lib/protocol/receipt';
import { buildRequest, parseRequest } from '../../../lib/protocol/requests';
import { parseResponse, responseToPacket } from '../../../lib/protocol/responses';
import { isCommandName } from '../../../lib/protocol/validation';
import { packet } from '../../../lib/codec/packet';
import { canonical, example, exampleNames } from './commands-examples.helper';

const wire = (p: Packet): Packet => parsePacket(serializePacket(p));

type Rule = [RegExp, (p: Packet, file: string) => void];

const RULES: Rule[] = [
  [
    /^[a-z]+\.request(-[a-z-]+)?\.xml$/,
    (p) => {
      const r = parseRequest(p);
      assert.ok(r.ok, JSON.stringify(r));
      assert.equal(canonical(buildRequest(r.request.command, r.request.params as never)), canonical(p));
    },
  ],
  [
    /^[a-z]+\.response(-[a-z-]+)?\.xml$/,
    (p) => {
      assert.ok(isCommandName(p.name));
      const parsed = parseResponse(p.name, p);
      assert.notEqual(parsed.status, '');
      assert.deepEqual(parseResponse(p.name, wire(responseToPacket(p.name, parsed))), parsed);
    },
  ],
  [
    /^activator\.sign[a-z]+-message\.xml$/,
    (p) => {
      const req = parseCertificateRequest(p);
      assert.ok(req);
      assert.equal(canonical(buildCertificateRequest(req)), canonical(p));
    },
  ],
  [
    /^activator\.sign[a-z]+-answer\.xml$/,
    (p) => assert.equal(canonical(buildCertificateAnswer(p.name, parseCertificateAnswer(p))), canonical(p)),
  ],
  [
    /^activator\.queryconfigcredentials-answer\.xml$/,
    (p) => assert.equal(canonical(buildConfigCredentialsAnswer(parseConfigCredentialsAnswer(p))), canonical(p)),
  ],
  [
    /^[a-z-]+\.message(-[a-z-]+)?\.xml$/,
    (p) => {
      const m = parseMessage(p);
      assert.ok(m, 'known message');
      assert.deepEqual(parseMessage(wire(messageToPacket(m))), m);
    },
  ],
  [
    /^card\.answer-[a-z]+\.xml$/,
    (p, file) => {
      const a = parseCardAnswer(p);
      if (file === 'card.answer-write.xml') {
        // Its payload was shortened to 4 bytes by the examples' editor; a block is 16.
        assert.equal(a.code, 'invalid');
        return;
      }
      assert.notEqual(a.code, 'invalid');
      if (a.code !== 'invalid') assert.equal(canonical(buildCardAnswer(a)), canonical(p));
    },
  ],
  [
    /^dex\.answer\.xml$/,
    (p) => {
      const a = parseDexAnswer(p);
      assert.equal(canonical(buildDexAnswer(a.status, a.terminalTags)), canonical(p));
    },
  ],
  [
    /^keepalive\.answer\.xml$/,
    (p) => {
      const a = parseMessageAnswer(p);
      assert.equal(canonical(buildMessageAnswer(a.name, a.status)), canonical(p));
    },
  ],
  [
    /^receipt\.[a-z-]+\.xml$/,
    (p) => {
      const r = parseReceipt(p.body);
      assert.equal(r.approved, true);
      assert.deepEqual(parseReceipt(wire(packet('receipt', receiptToElement(r))).body), r);
    },
  ],
];

describe('protocol fixtures: every vendor example', () => {
  const names = exampleNames();

  it('finds the examples', () => {
    assert.ok(names.length >= 48, `only ${names.length} examples found`);
  });

  for (const file of names) {
    it(file, () => {
      const rule = RULES.find(([pattern]) => pattern.test(file));
      assert.ok(rule, `no rule for ${file}`);
      rule[1](example(file), file);
    });
  }
});

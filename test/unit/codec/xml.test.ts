import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { childElement, childList, childText, packet, Packet, XmlElement } from '../../../lib/codec/packet';
import { parsePacket, serializePacket } from '../../../lib/codec/xml';
import { JpayProtocolError, JpayValidationError } from '../../../lib/errors';

const EXAMPLES = '/work/shared/spec/examples';

function badXml(error: unknown): boolean {
  assert.ok(error instanceof JpayProtocolError, `expected JpayProtocolError, got ${String(error)}`);
  assert.equal(error.code, 'bad-xml');
  return true;
}

function invalid(error: unknown): boolean {
  assert.ok(error instanceof JpayValidationError, `expected JpayValidationError, got ${String(error)}`);
  return true;
}

function assertNotPolluted(): void {
  for (const key of ['polluted', 'x', 'y', 'a', 'b']) {
    assert.equal(Object.prototype.hasOwnProperty.call(Object.prototype, key), false, `Object.prototype.${key}`);
    assert.equal(({} as Record<string, unknown>)[key], undefined);
  }
}

describe('codec/xml', () => {
  describe('parsePacket', () => {
    it('keeps every value a string (leading zeros stay)', () => {
      const p = parsePacket('<r><seq>000009</seq><currency>643</currency><amount>000000012300</amount><flag>true</flag></r>');
      assert.deepEqual(p, {
        name: 'r',
        attrs: {},
        body: { seq: '000009', currency: '643', amount: '000000012300', flag: 'true' },
      });
    });

    it('keeps the root attributes (client-handshake, server-handshake, force-sbp) as strings', () => {
      const login = parsePacket('<login client-handshake="AwAXQQRz+/="><password>12345678</password></login>');
      assert.deepEqual(login.attrs, { 'client-handshake': 'AwAXQQRz+/=' });
      assert.deepEqual(login.body, { password: '12345678' });
      const answer = parsePacket('<login server-handshake="QQRi"><encrypted>T2W4</encrypted></login>');
      assert.deepEqual(answer.attrs, { 'server-handshake': 'QQRi' });
      const sbp = parsePacket(readFileSync(path.join(EXAMPLES, 'transaction.request-sbp.xml'), 'utf8'));
      assert.deepEqual(sbp.attrs, { 'force-sbp': 'true' });
      assert.equal(childText(sbp.body, 'amount'), '000000012300');
    });

    it('keeps element attributes under @name (<tag name value/>)', () => {
      const p = parsePacket('<dex><status>ok</status><terminal-tags><tag name="5A" value="0012"/></terminal-tags></dex>');
      assert.deepEqual(childElement(p.body, 'terminal-tags'), { tag: [{ '@name': '5A', '@value': '0012' }] });
    });

    it('always makes line, t, card-type, error and tag arrays, even when single', () => {
      const p = parsePacket(
        '<r><header><line>Only</line></header><transactions><t><seq>1</seq></t></transactions>' +
          '<totals><card-type><rid>A0</rid></card-type></totals><error-stack><error>4142</error></error-stack>' +
          '<tags><tag name="5A" value="1"/></tags></r>',
      );
      assert.deepEqual(childElement(p.body, 'header'), { line: ['Only'] });
      assert.deepEqual(childElement(p.body, 'transactions'), { t: [{ seq: '1' }] });
      assert.deepEqual(childElement(p.body, 'totals'), { 'card-type': [{ rid: 'A0' }] });
      assert.deepEqual(childElement(p.body, 'error-stack'), { error: ['4142'] });
      assert.deepEqual(childElement(p.body, 'tags'), { tag: [{ '@name': '5A', '@value': '1' }] });
      const two = parsePacket('<r><header><line>a</line><line>b</line></header></r>');
      assert.deepEqual(childList(childElement(two.body, 'header'), 'line'), ['a', 'b']);
    });

    it('keeps a root named like a repeated element a single root', () => {
      const p = parsePacket('<error><status>failed</status></error>');
      assert.equal(p.name, 'error');
      assert.deepEqual(p.body, { status: 'failed' });
    });

    it('unescapes the five XML entities and numeric character references', () => {
      const p = parsePacket('<r><v>&lt;&amp;&gt;&quot;&apos;</v><w>&amp;lt;</w><n>&#1055;&#x0440;&#x438;&#1074;&#1077;&#x442;</n></r>');
      assert.deepEqual(p.body, { v: `<&>"'`, w: '&lt;', n: 'Привет' });
    });

    it('keeps Cyrillic text', () => {
      const p = parsePacket('<display><text>Приложите карту</text></display>');
      assert.equal(childText(p.body, 'text'), 'Приложите карту');
    });

    it('accepts an XML declaration and a byte-order mark', () => {
      assert.equal(parsePacket('\uFEFF<?xml version="1.0" encoding="UTF-8"?><a><b>1</b></a>').name, 'a');
    });

    it('gives an empty element as an empty string, read as {} by childElement', () => {
      const p = parsePacket('<r><header/><footer></footer></r>');
      assert.deepEqual(p.body, { header: '', footer: '' });
      assert.deepEqual(childElement(p.body, 'header'), {});
    });

    describe('refuses DOCTYPE and ENTITY', () => {
      const payloads: Record<string, string> = {
        'billion laughs':
          '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">' +
          '<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]><lolz>&lol3;</lolz>',
        'external entity': '<?xml version="1.0"?><!DOCTYPE r [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><r><v>&xxe;</v></r>',
        'parameter entity': '<!DOCTYPE r [<!ENTITY % p SYSTEM "http://127.0.0.1:1/x.dtd"> %p;]><r/>',
        'external DTD': '<!DOCTYPE r SYSTEM "http://127.0.0.1:1/x.dtd"><r/>',
        'lower-case doctype': '<!doctype r [<!entity a "b">]><r>&a;</r>',
        'internal entity': '<!DOCTYPE r [<!ENTITY a "expanded">]><r>&a;</r>',
      };
      for (const [label, xml] of Object.entries(payloads)) {
        it(label, () => assert.throws(() => parsePacket(xml), badXml));
      }
    });

    describe('prototype names are harmless', () => {
      const payloads = [
        '<r><__proto__><polluted>yes</polluted></__proto__></r>',
        '<__proto__><polluted>yes</polluted></__proto__>',
        '<r><constructor><prototype><polluted>yes</polluted></prototype></constructor></r>',
        '<constructor><x>1</x></constructor>',
        '<r><prototype>1</prototype></r>',
        '<r __proto__="x"><a>1</a></r>',
        '<r><b __proto__="x" constructor="y" prototype="z"/></r>',
        '<r><x><__proto__><y>1</y></__proto__></x></r>',
      ];
      afterEach(assertNotPolluted);
      for (const xml of payloads) {
        it(xml, () => {
          let p: Packet;
          try {
            p = parsePacket(xml);
          } catch (error) {
            badXml(error);
            return;
          }
          // Parsed as plain data: ordinary objects whose names are own keys.
          assert.equal(Object.getPrototypeOf(p.body), Object.prototype);
          assert.equal(Object.getPrototypeOf(p.attrs), Object.prototype);
          const b = childElement(p.body, 'b') as XmlElement;
          assert.equal(Object.getPrototypeOf(b), Object.prototype);
          assert.deepEqual(Object.keys(b).sort(), ['@__proto__', '@constructor', '@prototype']);
        });
      }
    });

    describe('refuses malformed XML (the vendor errata and worse)', () => {
      const payloads: Record<string, string> = {
        '<type>void/type>': '<transaction><type>void/type><number>1</number></transaction>',
        '<code>read</read>': '<card><code>read</read></card>',
        '<block-id>1</block-d>': '<card><block-id>1</block-d></card>',
        '<sign>…<sign>': '<confdata><sign>AB<sign></confdata>',
        '<encrypted-data>…<encrypted-data>': '<encrypted-data><status>ok</status><encrypted-data>',
        '<refund-count100</refund-count>': '<r><refund-count100</refund-count></r>',
        'curly-quoted attributes': '<r><tag name=“5A” value=“1”/></r>',
        'unclosed root': '<login><password>1</password>',
        'unclosed child': '<login><password>1</login>',
        'two roots': '<a/><b/>',
        'two roots of one name': '<a>1</a><a>2</a>',
        'text after the root': '<a/>trailing',
        'text after a self-closing root': '<a b="1"/>tail',
        'text between trailing comments': '<a/><!-- c -->junk<!-- d -->',
        'empty text': '',
        'only whitespace': '  \n ',
        'plain garbage': 'hello, terminal',
        'binary garbage': '\u0000\u0001\u00ff<<>>',
        'bare ampersand': '<a>fish & chips</a>',
        'duplicate attribute': '<a x="1" x="2"/>',
        'tag name starting with a digit': '<1a/>',
      };
      for (const [label, xml] of Object.entries(payloads)) {
        it(label, () => assert.throws(() => parsePacket(xml), badXml));
      }
    });
  });

  describe('serializePacket', () => {
    it('writes root attributes, children, arrays and empty elements', () => {
      const p = packet(
        'transaction',
        { type: 'purchase', amount: '000000012300', header: { line: ['a', 'b'] }, footer: '', tags: { tag: [{ '@name': '5A', '@value': '1' }] } },
        { 'force-sbp': 'true' },
      );
      assert.equal(
        serializePacket(p),
        '<transaction force-sbp="true"><type>purchase</type><amount>000000012300</amount>' +
          '<header><line>a</line><line>b</line></header><footer/><tags><tag name="5A" value="1"/></tags></transaction>',
      );
    });

    it('escapes the five XML entities in text and attributes, and round-trips them with Cyrillic', () => {
      const nasty = `<&>"' &lt; Привет </v><x>`;
      const p = packet('r', { v: nasty, e: { '@a': nasty, '#text': 'ё' } }, { k: nasty });
      const xml = serializePacket(p);
      const escaped = '&lt;&amp;&gt;&quot;&apos; &amp;lt; Привет &lt;/v&gt;&lt;x&gt;';
      assert.equal(xml, `<r k="${escaped}"><v>${escaped}</v><e a="${escaped}">ё</e></r>`);
      assert.deepEqual(parsePacket(xml), { name: 'r', attrs: { k: nasty.trim() }, body: { v: nasty.trim(), e: { '@a': nasty, '#text': 'ё' } } });
    });

    describe('refuses names that are not XML names (no markup injection)', () => {
      const names = ['a><script', 'a b', '1a', '', 'a"', '<x>', 'a/', 'x="1" y', 'a&b', '-a', '__proto__', 'constructor', 'prototype'];
      for (const name of names) {
        it(JSON.stringify(name), () => {
          assert.throws(() => serializePacket(packet('r', { [name]: 'v' })), invalid);
          assert.throws(() => serializePacket(packet('r', { e: { [`@${name}`]: 'v' } })), invalid);
          assert.throws(() => serializePacket(packet('r', {}, { [name]: 'v' })), invalid);
          assert.throws(() => serializePacket(packet(name)), invalid);
        });
      }
    });

    it('names the offending field', () => {
      assert.throws(
        () => serializePacket(packet('transaction', { receipt: { header: { line: ['ok', { 'bad name': 'x' }] } } })),
        (error: unknown) => error instanceof JpayValidationError && error.field === 'transaction.receipt.header.line[1].bad name',
      );
    });

    it('refuses a __proto__ key that came from JSON (an own property)', () => {
      const body = JSON.parse('{"__proto__": {"polluted": "yes"}}') as XmlElement;
      assert.throws(() => serializePacket(packet('r', body)), invalid);
      const attrs = JSON.parse('{"__proto__": "x"}') as Record<string, string>;
      assert.throws(() => serializePacket(packet('r', {}, attrs)), invalid);
      assertNotPolluted();
    });

    it('refuses values that are not strings and characters XML cannot carry', () => {
      const bad: unknown[] = [5, true, null, undefined, ['nested', ['array']]];
      for (const value of bad) {
        assert.throws(() => serializePacket(packet('r', { v: value } as unknown as XmlElement)), invalid, String(value));
      }
      assert.throws(() => serializePacket(packet('r', {}, { a: 5 } as unknown as Record<string, string>)), invalid);
      for (const text of ['a\u0000b', 'bell\u0007', '\uFFFE', 'lone \uD800 surrogate']) {
        assert.throws(() => serializePacket(packet('r', { v: text })), invalid, JSON.stringify(text));
        assert.throws(() => serializePacket(packet('r', {}, { a: text })), invalid);
      }
      assert.equal(serializePacket(packet('r', { v: 'tab\tnl\n𝄞' })), '<r><v>tab\tnl\n𝄞</v></r>');
    });
  });

  describe('the spec examples', () => {
    const files = readdirSync(EXAMPLES).filter((f) => f.endsWith('.xml'));

    it('are all there', () => assert.ok(files.length >= 40, `${files.length} examples`));

    for (const file of files) {
      it(`${file} parses, and serialize→parse is a fixed point`, () => {
        const parsed = parsePacket(readFileSync(path.join(EXAMPLES, file), 'utf8'));
        assert.ok(parsed.name.length > 0);
        const xml = serializePacket(parsed);
        const again = parsePacket(xml);
        assert.deepEqual(again, parsed);
        assert.equal(serializePacket(again), xml);
      });
    }
  });
});

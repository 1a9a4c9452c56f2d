/**
 * checkWellFormed (lib/codec/xml-wellformed.ts), the strict check parsePacket runs before
 * fast-xml-parser. Two parts: a rule-by-rule list (each refusal names what is wrong and the
 * line), and a differential run against the pipeline it replaced (XMLValidator plus a
 * DOCTYPE regex, an odd-whitespace regex and a text-after-root check, kept here only as the
 * oracle) on a large seeded set of mutated packets: whatever the old pipeline refused, the
 * new one refuses too, and whatever both accept parses to the same Packet.
 */
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import type { Packet } from '../../../lib/codec/packet';
import { packetFromDocument, parsePacket, XML_PARSER_OPTIONS } from '../../../lib/codec/xml';
import { checkWellFormed, DOCTYPE_REFUSED } from '../../../lib/codec/xml-wellformed';
import { JpayProtocolError } from '../../../lib/errors';
import { anyPacketText, FIXTURE_TEXTS, fixtureText, mutatedText, XML_TOKENS, xmlish } from '../../fuzz/mutate';

// ---- The old pipeline (parsePacket before xml-wellformed.ts), the oracle ----

const OLD_DOCTYPE = /<!DOCTYPE|<!ENTITY/i;
const OLD_ODD_SPACE_AFTER_LT = /<\/?[^\S\t\n\r ]/;

function oldHasTextAfterRoot(text: string): boolean {
  let end = text.trimEnd();
  for (;;) {
    const open = end.endsWith('-->') ? end.lastIndexOf('<!--') : end.endsWith('?>') ? end.lastIndexOf('<?') : -1;
    if (open < 0) break;
    end = end.slice(0, open).trimEnd();
  }
  return !end.endsWith('>');
}

/** The checks the old parsePacket ran before parsing (text without BOM): the refusal, or undefined. */
function oldChecks(text: string): string | undefined {
  if (OLD_DOCTYPE.test(text)) return DOCTYPE_REFUSED;
  if (OLD_ODD_SPACE_AFTER_LT.test(text)) return "malformed XML: whitespace after '<'";
  const valid = XMLValidator.validate(text);
  if (valid !== true) return `malformed XML: ${valid.err.msg} (line ${valid.err.line})`;
  if (oldHasTextAfterRoot(text)) return 'malformed XML: text after the root element';
  return undefined;
}

const oldParser = new XMLParser(XML_PARSER_OPTIONS);

/** The old parsePacket, whole: its checks, then the same parse and packet building. */
function oldParsePacket(text: string): Packet {
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  const refused = oldChecks(text);
  if (refused !== undefined) throw new JpayProtocolError('bad-xml', refused);
  let document: Record<string, unknown>;
  try {
    document = oldParser.parse(text) as Record<string, unknown>;
  } catch (error) {
    throw new JpayProtocolError('bad-xml', `malformed XML: ${(error as Error).message}`);
  }
  return packetFromDocument(document);
}

// ---- Helpers ----

type Outcome = { ok: true; packet: Packet } | { ok: false; error: JpayProtocolError };

function outcome(parse: (text: string) => Packet, text: string): Outcome {
  try {
    return { ok: true, packet: parse(text) };
  } catch (error) {
    if (!(error instanceof JpayProtocolError) || error.code !== 'bad-xml') throw error;
    return { ok: false, error };
  }
}

function refusal(text: string): string {
  try {
    checkWellFormed(text);
  } catch (error) {
    assert.ok(error instanceof JpayProtocolError, `expected JpayProtocolError, got ${String(error)}`);
    assert.equal(error.code, 'bad-xml');
    return error.message;
  }
  assert.fail(`accepted ${JSON.stringify(text)}`);
}

/**
 * Where the new check is stricter than the old pipeline: the classes of input it refuses
 * and the old one let through (to the lenient parser). Every refusal only the new check
 * makes in the differential run must match one of these.
 */
const STRICTER: readonly [string, RegExp][] = [
  // `<` inside an attribute value (XMLValidator never looked inside values).
  ['< in an attribute value', /'<' in the value of attribute/],
  // `&` in an attribute value not starting a reference; `&#;`, `&#x;`, `&1;` in text.
  ['& without a valid reference', /'&' that does not start a reference|malformed character reference/],
  // `--` inside a comment, `]]>` in text.
  ['-- in a comment', /'--' inside a comment/],
  [']]> in text', /']]>' in text/],
  // `<!foo`, `<!ELEMENT`, `<![FOO[` inside an element (the old pipeline passed them as text
  // or as an element named `!foo`); CDATA before or after the root.
  ['other <! markup', /'<!' that is not a comment|'<!\[' that does not start|outside the root element/],
  // Processing instructions: no target, `<?XML` or `<?xml` not at the start, a quote not
  // closed before `?>` (the parser would end it later), a target glued to its data.
  ['processing instruction', /processing instruction|XML declaration/],
  // Text after a self-closing root that ends in `>` (`<a/>x/>`): the old check looked only
  // at the last character, and the parser dropped the text.
  ['text after a self-closing root', /text after the root element/],
  // An end tag with attributes and `/>` (`</b x="1"/>`): XMLValidator took it for an empty
  // element, the parser for an end tag of whatever element was open.
  ['an end tag written like an empty element', /end tag <\/[^>]*> does not close|in the end tag/],
  // A stray `=` in a start tag (`<a x="1"=/>`): XMLValidator skipped it.
  ['a stray = in a tag', /unexpected '=' in the tag/],
  // A character XML does not allow there inside a tag, which the old checks trimmed or
  // split on as JavaScript whitespace: U+00A0, U+2028, U+FEFF, U+1680… (`<a\u00a0>`,
  // `<a b\ufeffc="1">`).
  ['non-XML whitespace inside a tag', /unexpected U\+[0-9A-F]{4} in the (end )?tag|followed by U\+[0-9A-F]{4} in the tag/],
];

function stricterClass(message: string): string | undefined {
  return STRICTER.find(([, pattern]) => pattern.test(message))?.[0];
}

describe('codec/xml-wellformed', () => {
  describe('accepts well-formed packets', () => {
    const good: Record<string, string> = {
      'a self-closing root': '<a/>',
      'whitespace around the root': ' \r\n\t<a/>\n ',
      'an XML declaration, comments and PIs around the root': '<?xml version="1.0" encoding="UTF-8"?>\n<!-- c --><?pi data?>\n<a/><!-- d -->\n<?x?>',
      'attributes: both quotes, whitespace around =, > and the other quote inside': `<a x = "1>'" y='"2' z=""\n/>`,
      'references in text and attributes': '<a x="&lt;&#60;&#x3C;&amp;">&lt;&gt;&amp;&quot;&apos;&#1055;&#x41F;&nbsp;</a>',
      'an end tag with whitespace before >': '<a><b>1</b\n></a >',
      'CDATA, comments and PIs inside elements': '<a><![CDATA[<x>&]]]]><!----><!-- - --><?pi "?" \'?\' ?></a>',
      'non-ASCII, colon, dot, dash and digits in names': '<данные><a:b.c-d_1 ё-2="x">1</a:b.c-d_1></данные>',
      'lone > in text': '<a>1 > 0 ]> ]</a>',
      'C0 controls in text (as before)': '<a>\u0001\u001f</a>',
      '33 distinct attributes': `<a ${Array.from({ length: 33 }, (_, i) => `a${i}="${i}"`).join(' ')}/>`,
    };
    for (const [label, xml] of Object.entries(good)) {
      it(label, () => assert.doesNotThrow(() => checkWellFormed(xml)));
    }

    it('every vendor example, and parsePacket gives what the old pipeline gave', () => {
      for (const { file, text } of FIXTURE_TEXTS) {
        assert.doesNotThrow(() => checkWellFormed(text), file);
        assert.deepEqual(parsePacket(text), oldParsePacket(text), file);
      }
    });

    it('parsePacket strips a leading byte-order mark; the check alone refuses one', () => {
      assert.equal(parsePacket('\uFEFF<a><b>1</b></a>').name, 'a');
      assert.match(refusal('\uFEFF<a/>'), /text before the root element/);
    });
  });

  describe('refuses, naming what is wrong and the line', () => {
    const bad: [label: string, xml: string, message: RegExp][] = [
      // Structure
      ['empty text', '', /^malformed XML: no root element \(line 1\)$/],
      ['only whitespace', ' \n ', /no root element \(line 2\)/],
      ['a mismatched end tag', '<a>\n<b>1</a>', /end tag <\/a> does not close <b> \(opened in line 2\) \(line 2\)/],
      ['an unclosed root', '<login>\n<password>1</password>', /unclosed element <login> \(line 1\)/],
      ['an unclosed child', '<a><b>\n', /unclosed element <b> \(line 1\)/],
      ['an end tag without a start tag', '<a/>\n</a>', /end tag without a start tag \(line 2\)/],
      ['two roots', '<a/>\n<b/>', /a second root element \(line 2\)/],
      ['text after the root', '<a>1</a>\n\ntail', /text after the root element \(line 3\)/],
      ['text after a self-closing root', '<a b="1"/>tail', /text after the root element \(line 1\)/],
      ['text between trailing comments', '<a/><!-- c -->junk<!-- d -->', /text after the root element/],
      ['text before the root', 'x<a/>', /text before the root element \(line 1\)/],
      ['CDATA outside the root', '<a/>\n<![CDATA[x]]>', /CDATA section outside the root element \(line 2\)/],
      ['an unterminated start tag', '<a x="1"', /unterminated tag <a> \(line 1\)/],
      ['a lone <', '<a>\n<', /unterminated tag '<' \(line 2\)/],
      ['junk in an end tag', '<a></a b>', /unexpected 'b' in the end tag <\/a>/],
      ['an end tag with attributes and />', '<a><b></b x="1"/></a>', /unexpected 'x' in the end tag <\/b>/],
      ['/ not followed by >', '<a / >', /'\/' not followed by '>' in the tag <a>/],
      // Characters after < and </
      ['< in text', '<a>1 < 2</a>', /whitespace after '<' \(line 1\)/],
      ['a name starting with a digit', '<a>\n<1a/></a>', /'1' after '<' \(not an element name\) \(line 2\)/],
      ['U+2028 after <', '<\u2028a/>', /whitespace after '<'/],
      ['U+00A0 after </', '<a></\u00a0a>', /whitespace after '<\/'/],
      ['U+FEFF after <', '<a><\ufeffb/></a>', /whitespace after '<'/],
      ['a space after <', '< a/>', /whitespace after '<'/],
      ['U+FEFF inside a name', '<r><a\ufeffb>1</a\ufeffb></r>', /unexpected U\+FEFF in the tag <a>/],
      ['a quote in a name', '<a"b"/>', /unexpected '"' in the tag <a>/],
      // Attributes
      ['< in an attribute value', '<a\n x="<"/>', /'<' in the value of attribute x in the tag <a> \(line 2\)/],
      ['an unquoted value', '<a x=1/>', /attribute x without a quoted value in the tag <a>/],
      ['curly quotes', '<r><tag name=“5A”/></r>', /attribute name without a quoted value in the tag <tag>/],
      ['an attribute without a value', '<a x/>', /attribute x without '=' and a quoted value in the tag <a>/],
      ['an unterminated value', '<a x="1/>', /unterminated value of attribute x in the tag <a>/],
      ['no whitespace between attributes', '<a x="1"y="2"/>', /no whitespace between attributes in the tag <a>/],
      ['a duplicate attribute', '<a x="1"\n x="2"/>', /duplicate attribute x in the tag <a> \(line 2\)/],
      [
        'a duplicate among many attributes',
        `<a ${Array.from({ length: 40 }, (_, i) => `a${i}="${i}"`).join(' ')} a7="again"/>`,
        /duplicate attribute a7 in the tag <a>/,
      ],
      ['U+FEFF inside an attribute name', '<a b\ufeffc="1"/>', /attribute b followed by U\+FEFF in the tag <a>/],
      ['an attribute name starting with a digit', '<a 1x="1"/>', /unexpected '1' in the tag <a>/],
      // References
      ['a bare &', '<a>fish\n & chips</a>', /'&' that does not start a reference \(write &amp;\) \(line 2\)/],
      ['& in an attribute value', '<a x="a&b"/>', /'&' that does not start a reference/],
      ['an unterminated reference', '<a>&lt</a>', /'&' that does not start a reference/],
      ['an entity name with a dash', '<a>&a-b;</a>', /'&' that does not start a reference/],
      ['an entity name of 21 characters', `<a>&${'x'.repeat(21)};</a>`, /'&' that does not start a reference/],
      ['&#;', '<a>&#;</a>', /malformed character reference/],
      ['&#x;', '<a>&#x;</a>', /malformed character reference/],
      ['&#X41; (upper-case X)', '<a>&#X41;</a>', /malformed character reference/],
      ['&#12a;', '<a>&#12a;</a>', /malformed character reference/],
      // Declarations, comments, CDATA, PIs
      ['a DOCTYPE', '<!DOCTYPE r [<!ENTITY a "b">]><r>&a;</r>', new RegExp(`^${DOCTYPE_REFUSED}$`)],
      ['a lower-case doctype inside the root', '<r><!doctype x></r>', new RegExp(`^${DOCTYPE_REFUSED}$`)],
      ['an ENTITY inside a comment', '<r><!-- <!ENTITY x "y"> --></r>', new RegExp(`^${DOCTYPE_REFUSED}$`)],
      ['a DOCTYPE inside CDATA', '<r><![CDATA[<!DOCTYPE x>]]></r>', new RegExp(`^${DOCTYPE_REFUSED}$`)],
      ['a DOCTYPE inside a PI', '<?pi <!DOCTYPE x> ?><r/>', new RegExp(`^${DOCTYPE_REFUSED}$`)],
      ['a DOCTYPE after another error', '<a>&</a><!DOCTYPE x>', new RegExp(`^${DOCTYPE_REFUSED}$`)],
      ['an ELEMENT declaration', '<a><!ELEMENT a ANY></a>', /'<!' that is not a comment or a CDATA section/],
      ['<!foo>', '<a><!foo></a>', /'<!' that is not a comment or a CDATA section/],
      ['-- inside a comment', '<a>\n<!-- a -- b --></a>', /'--' inside a comment \(line 2\)/],
      ['a comment ending in --->', '<a><!-- a ---></a>', /'--' inside a comment/],
      ['<!- (one dash)', '<a><!- x --></a>', /'<!' that is not a comment/],
      ['an unterminated comment', '<a><!-- x </a>', /unterminated comment/],
      ['an unterminated CDATA section', '<a><![CDATA[x</a>', /unterminated CDATA section/],
      ['a lower-case cdata', '<a><![cdata[x]]></a>', /'<!\[' that does not start a CDATA section/],
      [']]> in text', '<a>x]]>y</a>', /']]>' in text/],
      ['an unterminated PI', '<a><?pi x</a>', /unterminated processing instruction/],
      ['a PI without a target', '<a><? x ?></a>', /processing instruction without a target name/],
      ['a PI target glued to its data', '<a><?pi"x"?></a>', /unexpected '"' after a processing instruction target/],
      ['?> inside quotes in a PI', '<r><?pi x="?>text<b>1</b>" ?></r>', /a quote in a processing instruction not closed before its '\?>'/],
      ['an unbalanced quote in a PI', "<r><?pi don't ?></r>", /a quote in a processing instruction not closed before its '\?>'/],
      ['an XML declaration not at the start', ' <?xml version="1.0"?><a/>', /XML declaration not at the very start/],
      ['an XML declaration after the root', '<a/><?xml version="1.0"?>', /XML declaration not at the very start/],
      ['an upper-case XML declaration', '<?XML version="1.0"?><a/>', /XML declaration not at the very start/],
      ['an XML declaration without a version', '<?xml?><a/>', /XML declaration without a version/],
    ];
    for (const [label, xml, message] of bad) {
      it(label, () => {
        assert.match(refusal(xml), message);
        assert.throws(() => parsePacket(xml), (e: unknown) => e instanceof JpayProtocolError && e.code === 'bad-xml');
      });
    }

    it('a very long name is cut short in the message', () => {
      const message = refusal(`<${'n'.repeat(500)}>`);
      assert.ok(message.length < 120, message);
    });
  });

  describe('against the old pipeline (XMLValidator + DOCTYPE, odd-space, text-after-root checks)', function () {
    this.timeout(20_000);

    /** A seeded, deterministic corpus: mutated vendor examples, byte mutants, XML token soup. */
    function corpus(): string[] {
      const texts = [
        ...fc.sample(anyPacketText, { numRuns: 6000, seed: 20261128 }),
        ...fc.sample(mutatedText(fixtureText), { numRuns: 4000, seed: 7 }),
        ...fc.sample(xmlish, { numRuns: 2000, seed: 11 }),
      ];
      // Every example with one XML token put at a seeded position, and one character cut.
      const rng = fc.sample(fc.tuple(fc.nat(), fc.nat(), fc.nat()), { numRuns: 6000, seed: 3 });
      const tokens = [...XML_TOKENS, '<', '</', '>', '/', '=', '"', "'", '&', ';', '#', 'x', ' ', '!', '?', '-', '[', ']', '\u00a0', '\ufeff'];
      for (const [a, b, c] of rng) {
        const { text } = FIXTURE_TEXTS[a % FIXTURE_TEXTS.length];
        const at = b % (text.length + 1);
        texts.push(c % 3 === 0 ? text.slice(0, at) + text.slice(at + 1) : text.slice(0, at) + tokens[c % tokens.length] + text.slice(at));
      }
      return texts;
    }

    it('refuses whatever the old pipeline refused; the same Packet where both accept', () => {
      const texts = corpus();
      let oldRefused = 0;
      let bothParsed = 0;
      for (const text of texts) {
        const old = outcome(oldParsePacket, text);
        const now = outcome(parsePacket, text);
        if (!old.ok) {
          oldRefused++;
          assert.equal(now.ok, false, `the old pipeline refused (${old.error.message}), the new one accepts: ${JSON.stringify(text)}`);
          continue;
        }
        if (now.ok) {
          bothParsed++;
          assert.deepEqual(now.packet, old.packet, JSON.stringify(text));
          continue;
        }
        const kind = stricterClass(now.error.message);
        assert.ok(kind !== undefined, `refused by the new check only, of no listed class: ${now.error.message}: ${JSON.stringify(text)}`);
      }
      // The corpus has to exercise both sides.
      assert.ok(oldRefused > texts.length / 4, `old pipeline refused ${oldRefused} of ${texts.length}`);
      assert.ok(bothParsed > texts.length / 10, `both parsed ${bothParsed} of ${texts.length}`);
    });

    it('the check alone refuses whatever the old checks (before parsing) refused', () => {
      for (const text of corpus()) {
        const bare = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
        const old = oldChecks(bare);
        if (old === undefined) continue;
        assert.throws(() => checkWellFormed(bare), JpayProtocolError, `old: ${old}; new accepts ${JSON.stringify(bare)}`);
      }
    });
  });
});

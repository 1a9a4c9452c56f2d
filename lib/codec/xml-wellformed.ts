/**
 * A strict XML 1.0 well-formedness check for one packet, in one pass over the text's char
 * codes. parsePacket runs it before fast-xml-parser, which is lenient: it replaced
 * fast-xml-parser's XMLValidator (a second full pass, a string built per tag and
 * attribute) plus three extra scans (DOCTYPE, odd whitespace after `<`, text after a
 * self-closing root). It refuses everything those refused, and more (listed below).
 *
 * Accepted: an optional XML declaration at the very start (`<?xml …?>`, lower case), then
 * exactly one root element, with only whitespace (space, tab, LF, CR), comments and
 * processing instructions around it. Inside elements: text, child elements, comments,
 * processing instructions and CDATA sections.
 *
 * Refused (JpayProtocolError 'bad-xml', `malformed XML: <what> (line N)`):
 * - DOCTYPE and ENTITY declarations, the door to entity expansion (billion laughs,
 *   external entities; no JPAY packet has one), anywhere, even inside a comment, CDATA or
 *   a processing instruction, as the regex this replaced did: 'DOCTYPE and entity
 *   declarations are not allowed'. Any other `<!` that is not a comment or CDATA.
 * - No root, a second root, text (other than whitespace) or CDATA outside the root.
 * - Unclosed, mismatched or unopened end tags; an unterminated tag, attribute value,
 *   comment, CDATA section or processing instruction.
 * - A name (element, attribute, PI target) that is not an XML name: the rules of
 *   fast-xml-parser's isName (ASCII letters, `_`, `:`, then also digits, `-`, `.`; the
 *   BMP letter ranges of XML 1.0 5th edition), minus U+1680 and U+FEFF, which JavaScript
 *   counts as whitespace (the parser would split a tag name there). So `<` or `</`
 *   followed by any whitespace, XML's or not (U+00A0, U+2028, U+FEFF…), is refused.
 * - An attribute without `=` and a quoted value, `<` in an attribute value, no whitespace
 *   between attributes, a duplicate attribute, anything but whitespace in an end tag
 *   after its name, `/` not followed by `>`.
 * - `&` that does not start `&name;` (name: an ASCII letter or `_`, then letters, digits,
 *   `_`; at most 20), `&#digits;` or `&#xhex;` (at least one digit; lower-case x), in
 *   text and in attribute values.
 * - `--` inside a comment; `]]>` in text; a CDATA section that is not `<![CDATA[`.
 * - A processing instruction without a target or without whitespace after it, a target
 *   `xml` (any case) anywhere but the very start, and a quote not closed before the `?>`
 *   that ends it (the parser skips quoted runs and would end it later than XML does,
 *   hiding markup; with U+1680/U+FEFF in names, the one place this refuses text XML
 *   itself allows).
 *
 * Not checked (as before): characters XML cannot carry (C0 controls, U+FFFE/U+FFFF, lone
 * surrogates) in text and attribute values; what a numeric reference points to (the
 * entity decoder drops or keeps those); whether a named reference is one of the five XML
 * entities (others stay as written); the content of the XML declaration. Nesting is refused
 * beyond 256 levels here (the parser refuses beyond 101).
 */
import { JpayProtocolError } from '../errors';

export const DOCTYPE_REFUSED = 'DOCTYPE and entity declarations are not allowed';

const TAB = 0x09;
const LF = 0x0a;
const CR = 0x0d;
const SPACE = 0x20;
const BANG = 0x21;
const DQUOTE = 0x22;
const HASH = 0x23;
const AMP = 0x26;
const SQUOTE = 0x27;
const DASH = 0x2d;
const SLASH = 0x2f;
const SEMI = 0x3b;
const LT = 0x3c;
const EQ = 0x3d;
const GT = 0x3e;
const QUESTION = 0x3f;
const LBRACKET = 0x5b;
const LOWER_X = 0x78;

// ASCII character classes, one byte per code unit below 0x80.
const NAME_START = 1;
const NAME_CHAR = 2;
const WS = 4;
const REF_START = 8; // first character of an entity name in a reference
const REF_CHAR = 16;
const DIGIT = 32;
const HEX = 64;
const ASCII = new Uint8Array(128);
for (let c = 0; c < 128; c++) {
  const letter = (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a);
  const digit = c >= 0x30 && c <= 0x39;
  let bits = 0;
  if (letter || c === 0x5f || c === 0x3a) bits |= NAME_START | NAME_CHAR;
  if (digit || c === DASH || c === 0x2e) bits |= NAME_CHAR;
  if (c === SPACE || c === TAB || c === LF || c === CR) bits |= WS;
  if (letter || c === 0x5f) bits |= REF_START | REF_CHAR;
  if (digit) bits |= REF_CHAR | DIGIT | HEX;
  if ((c >= 0x41 && c <= 0x46) || (c >= 0x61 && c <= 0x66)) bits |= HEX;
  ASCII[c] = bits;
}

/** A name start character above ASCII (fast-xml-parser's isName ranges, without U+1680 and U+FEFF). */
function wideNameStart(c: number): boolean {
  return (
    (c >= 0xc0 && c <= 0xd6) ||
    (c >= 0xd8 && c <= 0xf6) ||
    (c >= 0xf8 && c <= 0x2ff) ||
    (c >= 0x370 && c <= 0x37d) ||
    (c >= 0x37f && c <= 0x1fff && c !== 0x1680) ||
    c === 0x200c ||
    c === 0x200d ||
    (c >= 0x2070 && c <= 0x218f) ||
    (c >= 0x2c00 && c <= 0x2fef) ||
    (c >= 0x3001 && c <= 0xd7ff) ||
    (c >= 0xf900 && c <= 0xfdcf) ||
    (c >= 0xfdf0 && c <= 0xfffd && c !== 0xfeff)
  );
}

function isNameStart(c: number): boolean {
  return c < 0x80 ? (ASCII[c] & NAME_START) !== 0 : wideNameStart(c);
}

function isNameChar(c: number): boolean {
  if (c < 0x80) return (ASCII[c] & NAME_CHAR) !== 0;
  return wideNameStart(c) || c === 0xb7 || (c >= 0x300 && c <= 0x36f) || c === 0x203f || c === 0x2040;
}

/** Whitespace: XML's four (NaN, past the end, is not). */
function isWs(c: number): boolean {
  return c < 0x80 && (ASCII[c] & WS) !== 0;
}

/** What JavaScript's `\s` matches but XML does not count as whitespace. */
function isOtherSpace(c: number): boolean {
  return (
    c === 0x0b || c === 0x0c || c === 0xa0 || c === 0x1680 || (c >= 0x2000 && c <= 0x200a) || c === 0x2028 || c === 0x2029 ||
    c === 0x202f || c === 0x205f || c === 0x3000 || c === 0xfeff
  );
}

function lineAt(text: string, at: number): number {
  let line = 1;
  const end = Math.min(at, text.length);
  for (let i = text.indexOf('\n'); i >= 0 && i < end; i = text.indexOf('\n', i + 1)) line++;
  return line;
}

// Only read when the text is refused anyway: a text with a declaration anywhere gets the
// declaration's message, whatever else is wrong with it first.
const DECLARATION = /<!DOCTYPE|<!ENTITY/i;

function fail(text: string, at: number, what: string): never {
  if (DECLARATION.test(text)) throw new JpayProtocolError('bad-xml', DOCTYPE_REFUSED);
  throw new JpayProtocolError('bad-xml', `malformed XML: ${what} (line ${lineAt(text, at)})`);
}

/** A character for a message: itself when printable ASCII, else U+XXXX. */
function show(text: string, at: number): string {
  if (at >= text.length) return 'the end of the text';
  const c = text.charCodeAt(at);
  return c > SPACE && c < 0x7f ? `'${text[at]}'` : `U+${c.toString(16).toUpperCase().padStart(4, '0')}`;
}

/** A name from the text for a message, cut short. */
function nameAt(text: string, start: number, end: number): string {
  return end - start > 40 ? `${text.slice(start, start + 40)}…` : text.slice(start, end);
}

function matchesUpper(text: string, at: number, upper: string): boolean {
  for (let k = 0; k < upper.length; k++) {
    const c = text.charCodeAt(at + k);
    if (c !== upper.charCodeAt(k) && c !== upper.charCodeAt(k) + 0x20) return false;
  }
  return true;
}

/** `<!DOCTYPE` or `<!ENTITY`, any case, at `at` (the `<`). */
function isDeclaration(text: string, at: number): boolean {
  return matchesUpper(text, at + 2, 'DOCTYPE') || matchesUpper(text, at + 2, 'ENTITY');
}

/** Refuses a DOCTYPE or ENTITY declaration written anywhere in text[from, to). */
function refuseDeclarationsIn(text: string, from: number, to: number): void {
  for (let k = text.indexOf('<!', from); k >= 0 && k < to; k = text.indexOf('<!', k + 2)) {
    if (isDeclaration(text, k)) throw new JpayProtocolError('bad-xml', DOCTYPE_REFUSED);
  }
}

/** Checks the reference whose `&` is at `at`; returns the index after its `;`. */
function reference(text: string, at: number): number {
  let j = at + 1;
  let c = text.charCodeAt(j);
  if (c === HASH) {
    j++;
    let kind = DIGIT;
    if (text.charCodeAt(j) === LOWER_X) {
      kind = HEX;
      j++;
    }
    const start = j;
    for (c = text.charCodeAt(j); c < 0x80 && (ASCII[c] & kind) !== 0; c = text.charCodeAt(++j));
    if (j === start || c !== SEMI) fail(text, at, 'malformed character reference');
    return j + 1;
  }
  if (!(c < 0x80 && (ASCII[c] & REF_START) !== 0)) fail(text, at, "'&' that does not start a reference (write &amp;)");
  const start = j;
  for (c = text.charCodeAt(++j); j - start < 20 && c < 0x80 && (ASCII[c] & REF_CHAR) !== 0; c = text.charCodeAt(++j));
  if (c !== SEMI) fail(text, at, "'&' that does not start a reference (write &amp;)");
  return j + 1;
}

/** `<!--` at `at`; returns the index after `-->`. */
function comment(text: string, at: number): number {
  const dashes = text.indexOf('--', at + 4);
  if (dashes < 0) fail(text, at, 'unterminated comment');
  if (text.charCodeAt(dashes + 2) !== GT) fail(text, dashes, "'--' inside a comment");
  refuseDeclarationsIn(text, at + 4, dashes);
  return dashes + 3;
}

/** `<![CDATA[` at `at`; returns the index after `]]>`. */
function cdata(text: string, at: number): number {
  if (!text.startsWith('CDATA[', at + 3)) fail(text, at, "'<![' that does not start a CDATA section");
  const end = text.indexOf(']]>', at + 9);
  if (end < 0) fail(text, at, 'unterminated CDATA section');
  refuseDeclarationsIn(text, at + 9, end);
  return end + 3;
}

/** `<?` at `at`; returns the index after `?>`. */
function processingInstruction(text: string, at: number): number {
  let j = at + 2;
  if (!isNameStart(text.charCodeAt(j))) fail(text, at, 'processing instruction without a target name');
  while (isNameChar(text.charCodeAt(++j)));
  if (j - at - 2 === 3 && matchesUpper(text, at + 2, 'XML')) {
    if (at !== 0 || !text.startsWith('xml', 2)) fail(text, at, 'XML declaration not at the very start');
    if (!isWs(text.charCodeAt(j))) fail(text, j, 'XML declaration without a version');
  }
  const end = text.indexOf('?>', j);
  if (end < 0) fail(text, at, 'unterminated processing instruction');
  if (end !== j && !isWs(text.charCodeAt(j))) fail(text, j, `unexpected ${show(text, j)} after a processing instruction target`);
  // fast-xml-parser skips quoted runs when it looks for the end: both must end at `end`.
  for (let k = j; k < end; k++) {
    const c = text.charCodeAt(k);
    if (c === DQUOTE || c === SQUOTE) {
      k = text.indexOf(text[k], k + 1);
      if (k < 0 || k > end) fail(text, end, "a quote in a processing instruction not closed before its '?>'");
    }
  }
  refuseDeclarationsIn(text, j, end);
  return end + 2;
}

/**
 * The markup at `at` (a `<`) when it is a processing instruction or a comment: returns the
 * index after it. A DOCTYPE or ENTITY declaration throws; any other `<!` gives -2, a start
 * or end tag -1.
 */
function misc(text: string, at: number): number {
  const c = text.charCodeAt(at + 1);
  if (c === QUESTION) return processingInstruction(text, at);
  if (c === BANG) {
    if (text.charCodeAt(at + 2) === DASH && text.charCodeAt(at + 3) === DASH) return comment(text, at);
    if (isDeclaration(text, at)) throw new JpayProtocolError('bad-xml', DOCTYPE_REFUSED);
    return -2;
  }
  return -1;
}

// Attribute names of the tag being read, as [start, end) pairs into the text (reused),
// and, past a few, a set of them, so a hostile tag cannot make the check quadratic.
// Slots are overwritten, never cut off (setting an array's length is slow).
const attrBounds: number[] = [];
let attrSlots = 0;
let attrSet: Set<string> | undefined;
const LINEAR_ATTRIBUTES = 16;

function sameRange(text: string, a: number, aEnd: number, b: number, bEnd: number): boolean {
  if (aEnd - a !== bEnd - b) return false;
  for (let k = 0; k < aEnd - a; k++) if (text.charCodeAt(a + k) !== text.charCodeAt(b + k)) return false;
  return true;
}

/** Refuses the attribute text[start, end) when the tag already has it. */
function refuseDuplicate(text: string, start: number, end: number, nameStart: number, nameEnd: number): void {
  if (attrSet !== undefined) {
    const size = attrSet.size;
    if (attrSet.add(text.slice(start, end)).size === size) fail(text, start, `duplicate attribute ${nameAt(text, start, end)} in the tag <${nameAt(text, nameStart, nameEnd)}>`);
    return;
  }
  const count = attrSlots;
  for (let k = 0; k < count; k += 2) {
    if (sameRange(text, attrBounds[k], attrBounds[k + 1], start, end)) fail(text, start, `duplicate attribute ${nameAt(text, start, end)} in the tag <${nameAt(text, nameStart, nameEnd)}>`);
  }
  attrBounds[count] = start;
  attrBounds[count + 1] = end;
  attrSlots = count + 2;
  if (count === 2 * LINEAR_ATTRIBUTES) {
    attrSet = new Set();
    for (let k = 0; k < attrSlots; k += 2) attrSet.add(text.slice(attrBounds[k], attrBounds[k + 1]));
  }
}

/** An element name at `at` (just after `<` or `</`); returns its end. */
function elementName(text: string, at: number, lt: string): number {
  const c = text.charCodeAt(at);
  if (!isNameStart(c)) {
    if (at >= text.length) fail(text, at, `unterminated tag '${lt}'`);
    if (isWs(c) || isOtherSpace(c)) fail(text, at, `whitespace after '${lt}'`);
    fail(text, at, `${show(text, at)} after '${lt}' (not an element name)`);
  }
  let j = at + 1;
  while (isNameChar(text.charCodeAt(j))) j++;
  return j;
}

/**
 * The attributes and end of a start tag whose name is text[nameStart, nameEnd). Returns
 * the index after `>`, or -1 minus the index after `/>` (an empty element).
 */
function startTagRest(text: string, nameStart: number, nameEnd: number): number {
  attrSlots = 0;
  attrSet = undefined;
  let i = nameEnd;
  for (;;) {
    let c = text.charCodeAt(i);
    if (c === GT) {
      attrSet = undefined;
      return i + 1;
    }
    if (c === SLASH) {
      if (text.charCodeAt(i + 1) !== GT) fail(text, i, `'/' not followed by '>' in the tag <${nameAt(text, nameStart, nameEnd)}>`);
      attrSet = undefined;
      return -(i + 2) - 1;
    }
    if (!isWs(c)) {
      if (i >= text.length) fail(text, nameStart, `unterminated tag <${nameAt(text, nameStart, nameEnd)}>`);
      if (i > nameEnd && isNameStart(c)) fail(text, i, `no whitespace between attributes in the tag <${nameAt(text, nameStart, nameEnd)}>`);
      fail(text, i, `unexpected ${show(text, i)} in the tag <${nameAt(text, nameStart, nameEnd)}>`);
    }
    while (isWs((c = text.charCodeAt(++i))));
    if (c === GT || c === SLASH || i >= text.length) continue;
    // An attribute: name = "value" or name = 'value'.
    if (!isNameStart(c)) fail(text, i, `unexpected ${show(text, i)} in the tag <${nameAt(text, nameStart, nameEnd)}>`);
    const attrStart = i;
    while (isNameChar((c = text.charCodeAt(++i))));
    const attrEnd = i;
    while (isWs(c)) c = text.charCodeAt(++i);
    if (c !== EQ) {
      const what = c === GT || c === SLASH || isNameStart(c) || i >= text.length ? "without '=' and a quoted value" : `followed by ${show(text, i)}`;
      fail(text, i, `attribute ${nameAt(text, attrStart, attrEnd)} ${what} in the tag <${nameAt(text, nameStart, nameEnd)}>`);
    }
    while (isWs((c = text.charCodeAt(++i))));
    if (c !== DQUOTE && c !== SQUOTE) fail(text, i, `attribute ${nameAt(text, attrStart, attrEnd)} without a quoted value in the tag <${nameAt(text, nameStart, nameEnd)}>`);
    const quote = c;
    for (c = text.charCodeAt(++i); c !== quote; c = text.charCodeAt(++i)) {
      if (c === LT) fail(text, i, `'<' in the value of attribute ${nameAt(text, attrStart, attrEnd)} in the tag <${nameAt(text, nameStart, nameEnd)}>`);
      if (c === AMP) {
        i = reference(text, i) - 1;
      } else if (i >= text.length) {
        fail(text, attrStart, `unterminated value of attribute ${nameAt(text, attrStart, attrEnd)} in the tag <${nameAt(text, nameStart, nameEnd)}>`);
      }
    }
    i++;
    refuseDuplicate(text, attrStart, attrEnd, nameStart, nameEnd);
  }
}

// Open elements, as [name start, name end) pairs into the text (reused; openSlots in use).
// The parser refuses more than 101 levels; this bound only keeps the reused array small.
const MAX_DEPTH = 256;
const open: number[] = [];
let openSlots = 0;

/** Throws JpayProtocolError('bad-xml') unless `text` (no BOM) is one well-formed XML document. */
export function checkWellFormed(text: string): void {
  const n = text.length;
  openSlots = 0;
  let rootSeen = false;
  let i = 0;
  while (i < n) {
    // Outside the root: whitespace, comments, processing instructions, then the root.
    const c = text.charCodeAt(i);
    if (isWs(c)) {
      i++;
      continue;
    }
    if (c !== LT) fail(text, i, `text ${rootSeen ? 'after' : 'before'} the root element`);
    const next = misc(text, i);
    if (next >= 0) {
      i = next;
      continue;
    }
    if (next === -2) fail(text, i, `${text.startsWith('<![', i) ? 'CDATA section' : "'<!'"} outside the root element`);
    if (text.charCodeAt(i + 1) === SLASH) {
      elementName(text, i + 2, '</');
      fail(text, i, 'end tag without a start tag');
    }
    if (rootSeen) {
      elementName(text, i + 1, '<');
      fail(text, i, 'a second root element');
    }
    rootSeen = true;
    i = element(text, i);
  }
  if (!rootSeen) fail(text, n, 'no root element');
}

/** The root element, whose `<` is at `at`; returns the index after its end. */
function element(text: string, at: number): number {
  const n = text.length;
  // The next `&` and `]]>` at or after the text being read (n: none); text runs are found
  // with indexOf, which is much faster than a loop over their characters.
  let nextAmp = -1;
  let nextCdataEnd = -1;
  let i = at;
  for (;;) {
    // A start tag at i.
    const nameEnd = elementName(text, i + 1, '<');
    const after = startTagRest(text, i + 1, nameEnd);
    if (after < 0) {
      i = -after - 1;
      if (openSlots === 0) return i;
    } else {
      if (openSlots === 2 * MAX_DEPTH) fail(text, i, `elements nested deeper than ${MAX_DEPTH}`);
      open[openSlots] = i + 1;
      open[openSlots + 1] = nameEnd;
      openSlots += 2;
      i = after;
    }
    // Content until the next start tag, or the end of the root.
    for (;;) {
      let lt = text.indexOf('<', i);
      if (lt < 0) lt = n;
      if (nextAmp < i) nextAmp = indexOrEnd(text, '&', i);
      while (nextAmp < lt) nextAmp = indexOrEnd(text, '&', reference(text, nextAmp));
      if (nextCdataEnd < i) nextCdataEnd = indexOrEnd(text, ']]>', i);
      // Its `]` cannot be the `>` that ends the markup before i, nor its `>` the `<` at lt.
      if (nextCdataEnd < lt) fail(text, nextCdataEnd, "']]>' in text");
      if (lt === n) {
        const top = openSlots - 2;
        fail(text, open[top], `unclosed element <${nameAt(text, open[top], open[top + 1])}>`);
      }
      i = lt;
      const c1 = text.charCodeAt(i + 1);
      if (c1 === SLASH) {
        i = endTag(text, i);
        if (openSlots === 0) return i;
      } else if (c1 === BANG && text.charCodeAt(i + 2) === LBRACKET) {
        i = cdata(text, i);
      } else {
        const next = misc(text, i);
        if (next === -1) break;
        if (next === -2) fail(text, i, "'<!' that is not a comment or a CDATA section");
        i = next;
      }
    }
  }
}

function indexOrEnd(text: string, what: string, from: number): number {
  const at = text.indexOf(what, from);
  return at < 0 ? text.length : at;
}

/** The end tag at `at` (`</`), which must close the innermost open element; returns the index after it. */
function endTag(text: string, at: number): number {
  const top = openSlots - 2;
  const start = open[top];
  const length = open[top + 1] - start;
  const from = at + 2;
  let k = 0;
  while (k < length && text.charCodeAt(from + k) === text.charCodeAt(start + k)) k++;
  let j = from + length;
  let c = text.charCodeAt(j);
  if (k < length || isNameChar(c)) {
    const closeEnd = elementName(text, from, '</');
    const opened = lineAt(text, start);
    fail(text, at, `end tag </${nameAt(text, from, closeEnd)}> does not close <${nameAt(text, start, start + length)}> (opened in line ${opened})`);
  }
  while (isWs(c)) c = text.charCodeAt(++j);
  if (c !== GT) fail(text, j, `unexpected ${show(text, j)} in the end tag </${nameAt(text, start, start + length)}>`);
  openSlots = top;
  return j + 1;
}

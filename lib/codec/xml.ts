import type { X2jOptions, XMLParser } from 'fast-xml-parser';
import { JpayProtocolError, JpayValidationError } from '../errors';
import { onFirstUse } from '../lazy';
import { XML_ENTITY_DECODER } from './xml-entities';
import { checkWellFormed } from './xml-wellformed';
import { ATTRIBUTE_PREFIX, Packet, REPEATED_ELEMENTS, TEXT_KEY, XmlElement, XmlNode } from './packet';

/** The fast-xml-parser options parsePacket uses (the benchmarks compare against them). */
export const XML_PARSER_OPTIONS: X2jOptions = {
  ignoreAttributes: false,
  attributeNamePrefix: ATTRIBUTE_PREFIX,
  textNodeName: TEXT_KEY,
  parseTagValue: false,
  parseAttributeValue: false,
  trimValues: true,
  ignoreDeclaration: true,
  ignorePiTags: true,
  processEntities: true,
  // One shared decoder (XML entities and numeric references): see xml-entities.ts.
  entityDecoder: XML_ENTITY_DECODER,
  // Callbacks get the parser's path matcher rather than a path string built per value.
  jPath: false,
  // Never the root (a root named `line` stays one element) and never an attribute.
  isArray: (name, path, _isLeaf, isAttribute) =>
    !isAttribute && REPEATED_ELEMENTS.has(name) && typeof path === 'object' && path.getDepth() > 1,
};

// Made at the first parse, so that loading the package does not load the parser.
const parser = onFirstUse(
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  (): XMLParser => new (require('fast-xml-parser') as typeof import('fast-xml-parser')).XMLParser(XML_PARSER_OPTIONS),
);

const XML_NAME = /^[A-Za-z_][A-Za-z0-9_.-]*$/;
// Names that would touch an object's prototype machinery; the parser refuses them as
// element names, so the serializer refuses them everywhere.
const RESERVED_NAMES: ReadonlySet<string> = new Set(['__proto__', 'constructor', 'prototype']);

/**
 * Parse one packet's XML text. Throws JpayProtocolError('bad-xml') on anything malformed.
 * fast-xml-parser is lenient, so the text is first checked strictly (xml-wellformed.ts:
 * one root, balanced tags, quoted and unique attributes, valid references, no DOCTYPE).
 */
export function parsePacket(text: string): Packet {
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  return parseFlatPacket(text) ?? parseAnyPacket(text);
}

/** The full path: the strict well-formedness check, then fast-xml-parser. */
export function parseAnyPacket(text: string): Packet {
  checkWellFormed(text);
  let document: Record<string, unknown>;
  try {
    document = parser().parse(text) as Record<string, unknown>;
  } catch (error) {
    throw new JpayProtocolError('bad-xml', `malformed XML: ${(error as Error).message}`, { cause: error });
  }
  return packetFromDocument(document);
}

/**
 * The common small packet read in one scan: `<root>` holding only `<name>text</name>`
 * children (distinct names, none of the repeated ones), white space between them, text of
 * printable ASCII without `<`, `&`, `>` and without white space at its ends; no attributes,
 * no prolog, nothing after the root. Such a text is well-formed by construction and gives
 * what the full path gives (a test compares the two); anything else, malformed or not,
 * returns undefined and takes the full path. Most commands and messages are answered this
 * way, and the full path costs tens of µs when the caches are cold (right after the read).
 */
export function parseFlatPacket(text: string): Packet | undefined {
  const end = text.length;
  if (text.charCodeAt(0) !== 0x3c) return undefined;
  let i = flatName(text, 1);
  if (i < 0 || text.charCodeAt(i) !== 0x3e) return undefined;
  const name = text.slice(1, i);
  if (RESERVED_NAMES.has(name)) return undefined;
  const body: XmlElement = {};
  i++;
  for (;;) {
    i = skipSpace(text, i);
    if (i + 1 >= end || text.charCodeAt(i) !== 0x3c) return undefined;
    if (text.charCodeAt(i + 1) === 0x2f) break;
    const nameStart = i + 1;
    const nameEnd = flatName(text, nameStart);
    if (nameEnd < 0 || text.charCodeAt(nameEnd) !== 0x3e) return undefined;
    const child = text.slice(nameStart, nameEnd);
    if (REPEATED_ELEMENTS.has(child) || RESERVED_NAMES.has(child) || Object.prototype.hasOwnProperty.call(body, child)) return undefined;
    const textStart = nameEnd + 1;
    let j = textStart;
    for (; j < end; j++) {
      const c = text.charCodeAt(j);
      if (c === 0x3c) break;
      if (c < 0x20 || c > 0x7e || c === 0x26 || c === 0x3e) return undefined;
    }
    if (j > textStart && (text.charCodeAt(textStart) === 0x20 || text.charCodeAt(j - 1) === 0x20)) return undefined;
    // The end tag: `</child>` exactly.
    if (text.charCodeAt(j + 1) !== 0x2f || !text.startsWith(child, j + 2) || text.charCodeAt(j + 2 + child.length) !== 0x3e) return undefined;
    body[child] = text.slice(textStart, j);
    i = j + 3 + child.length;
  }
  // `</root>` and nothing after it.
  if (i + 3 + name.length !== end || !text.startsWith(name, i + 2) || text.charCodeAt(end - 1) !== 0x3e) return undefined;
  return { name, attrs: {}, body };
}

/** The end of an element name of ASCII letters, digits and `-` starting with a letter at `from`, or -1. */
function flatName(text: string, from: number): number {
  const first = text.charCodeAt(from) | 0x20;
  if (first < 0x61 || first > 0x7a) return -1;
  let i = from + 1;
  for (; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (!((c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a) || (c >= 0x30 && c <= 0x39) || c === 0x2d)) break;
  }
  return i;
}

function skipSpace(text: string, i: number): number {
  for (; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c !== 0x20 && c !== 0x09 && c !== 0x0a && c !== 0x0d) return i;
  }
  return i;
}

/** fast-xml-parser's document (one root) as a Packet: root attributes apart, no `__proto__`. */
export function packetFromDocument(document: Record<string, unknown>): Packet {
  const roots = Object.keys(document);
  if (roots.length !== 1) throw new JpayProtocolError('bad-xml', `expected one root element, found ${roots.length}`);
  const name = roots[0];
  const root = document[name];
  const attrs: Record<string, string> = {};
  const body: XmlElement = {};
  if (Array.isArray(root)) throw new JpayProtocolError('bad-xml', 'expected one root element');
  if (typeof root === 'string') {
    if (root !== '') body[TEXT_KEY] = root;
  } else if (root && typeof root === 'object') {
    for (const [key, value] of Object.entries(root as XmlElement)) {
      if (key.startsWith(ATTRIBUTE_PREFIX) && typeof value === 'string') {
        const attr = key.slice(ATTRIBUTE_PREFIX.length);
        if (attr === '__proto__') throw new JpayProtocolError('bad-xml', 'attribute name __proto__ is not allowed');
        attrs[attr] = value;
      } else body[key] = value;
    }
  }
  return { name, attrs, body };
}

const ESCAPES: Readonly<Record<string, string>> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' };
const escapeChar = (c: string): string => ESCAPES[c];

/**
 * The text escaped (the five XML entities), or undefined when it holds a character XML 1.0
 * cannot carry at all, escaped or not: C0 controls but tab, LF and CR; U+FFFE/U+FFFF; a
 * lone surrogate. One scan; most values need no escaping and are returned as they are.
 */
function escapeText(value: string): string | undefined {
  let escape = false;
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c < 0x20) {
      if (c !== 0x09 && c !== 0x0a && c !== 0x0d) return undefined;
    } else if (c === 0x26 || c === 0x3c || c === 0x3e || c === 0x22 || c === 0x27) {
      escape = true;
    } else if (c >= 0xd800) {
      if (c <= 0xdbff) {
        const next = value.charCodeAt(i + 1);
        if (!(next >= 0xdc00 && next <= 0xdfff)) return undefined;
        i++;
      } else if (c <= 0xdfff || c === 0xfffe || c === 0xffff) {
        return undefined;
      }
    }
  }
  return escape ? value.replace(/[&<>"']/g, escapeChar) : value;
}

// Names repeat (a report has thousands of <t>): remember the ones already checked. Bounded,
// so a caller serialising many distinct names cannot grow it without limit.
const VALID_NAMES = new Set<string>();
const VALID_NAMES_LIMIT = 2048;

function isValidName(name: string): boolean {
  if (VALID_NAMES.has(name)) return true;
  if (!XML_NAME.test(name) || RESERVED_NAMES.has(name)) return false;
  if (VALID_NAMES.size < VALID_NAMES_LIMIT) VALID_NAMES.add(name);
  return true;
}

/**
 * Writes elements into one string. The path of the element being written (for the field
 * of a JpayValidationError, e.g. `transaction.receipt.header.line[1]`) is kept as a stack of
 * segments and joined only when something is refused.
 */
class XmlWriter {
  out = '';
  private readonly path: string[] = [];

  private fail(rule: string, suffix = ''): never {
    throw new JpayValidationError(this.path.join('') + suffix, rule);
  }

  private name(name: string, suffix = ''): void {
    if (!isValidName(name)) this.fail(`"${name.slice(0, 40)}" is not a valid XML name`, suffix);
  }

  /** Text content or an attribute value, escaped; anything but a string is refused. */
  private text(value: unknown, suffix = ''): string {
    if (typeof value !== 'string') this.fail('must be a string', suffix);
    const escaped = escapeText(value);
    if (escaped === undefined) this.fail('contains a character XML cannot carry', suffix);
    return escaped;
  }

  /** One element; `segment` is its part of the path (`name`, `.name` or `.name[3]`). */
  element(name: string, node: XmlNode, segment: string): void {
    this.path.push(segment);
    this.name(name);
    if (typeof node === 'string') {
      this.out += node === '' ? `<${name}/>` : `<${name}>${this.text(node)}</${name}>`;
      this.path.pop();
      return;
    }
    if (node === null || typeof node !== 'object' || Array.isArray(node)) this.fail('must be a string or an element object');
    const keys = Object.keys(node);
    let text = '';
    let attrs = '';
    let children = false;
    for (const key of keys) {
      if (key === TEXT_KEY) text = this.text(node[key], `.${TEXT_KEY}`);
      else if (!key.startsWith(ATTRIBUTE_PREFIX)) children = true;
    }
    for (const key of keys) {
      if (key === TEXT_KEY || !key.startsWith(ATTRIBUTE_PREFIX)) continue;
      const attr = key.slice(ATTRIBUTE_PREFIX.length);
      this.name(attr, `@${attr}`);
      attrs += ` ${attr}="${this.text(node[key], `@${attr}`)}"`;
    }
    if (!children && text === '') {
      this.out += `<${name}${attrs}/>`;
      this.path.pop();
      return;
    }
    this.out += `<${name}${attrs}>${text}`;
    for (const key of keys) {
      if (key === TEXT_KEY || key.startsWith(ATTRIBUTE_PREFIX)) continue;
      const value = node[key];
      if (Array.isArray(value)) {
        for (let index = 0; index < value.length; index++) this.element(key, value[index], `.${key}[${index}]`);
      } else {
        this.element(key, value, `.${key}`);
      }
    }
    this.out += `</${name}>`;
    this.path.pop();
  }
}

/** Serialise a packet to XML text (no declaration; the five XML entities escaped). */
export function serializePacket(p: Packet): string {
  // No prototype: a key `__proto__` is then an own key like any other, which the name check refuses.
  const root = Object.create(null) as XmlElement;
  for (const key in p.body) if (Object.hasOwn(p.body, key)) root[key] = p.body[key];
  for (const key in p.attrs) if (Object.hasOwn(p.attrs, key)) root[`${ATTRIBUTE_PREFIX}${key}`] = p.attrs[key];
  const writer = new XmlWriter();
  writer.element(p.name, root, p.name);
  return writer.out;
}

import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { JpayProtocolError, JpayValidationError } from '../errors';
import { ATTRIBUTE_PREFIX, Packet, REPEATED_ELEMENTS, TEXT_KEY, XmlElement, XmlNode } from './packet';

const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: ATTRIBUTE_PREFIX,
  textNodeName: TEXT_KEY,
  parseTagValue: false,
  parseAttributeValue: false,
  trimValues: true,
  ignoreDeclaration: true,
  ignorePiTags: true,
  // Needed for numeric character references (`&#1055;`, `&#x41;`): an ASCII-only peer
  // sends Cyrillic that way. It also decodes HTML names such as `&nbsp;`, which is harmless.
  htmlEntities: true,
  processEntities: true,
  jPath: true,
  // Never the root (a root named `line` stays one element) and never an attribute.
  isArray: (name, jPath, _isLeaf, isAttribute) =>
    !isAttribute && REPEATED_ELEMENTS.has(name) && typeof jPath === 'string' && jPath.includes('.'),
});

// DOCTYPE is refused outright: it is the door to entity expansion (billion laughs,
// external entities) and no JPAY packet has one.
const DOCTYPE = /<!DOCTYPE|<!ENTITY/i;
const XML_NAME = /^[A-Za-z_][A-Za-z0-9_.-]*$/;
// Names that would touch an object's prototype machinery; the parser refuses them as
// element names, so the serializer refuses them everywhere.
const RESERVED_NAMES: ReadonlySet<string> = new Set(['__proto__', 'constructor', 'prototype']);
/**
 * True when the text holds a character XML 1.0 cannot carry at all, escaped or not: C0
 * controls but tab, LF and CR; U+FFFE/U+FFFF; a lone surrogate.
 */
function hasIllegalXmlChar(value: string): boolean {
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c < 0x20) {
      if (c !== 0x09 && c !== 0x0a && c !== 0x0d) return true;
    } else if (c >= 0xd800 && c <= 0xdbff) {
      const next = value.charCodeAt(i + 1);
      if (!(next >= 0xdc00 && next <= 0xdfff)) return true;
      i++;
    } else if ((c >= 0xdc00 && c <= 0xdfff) || c === 0xfffe || c === 0xffff) {
      return true;
    }
  }
  return false;
}

/**
 * The validator misses text after a self-closing root (`<a/>junk`), and the parser drops
 * it; only comments, processing instructions and whitespace may follow the root.
 */
function hasTextAfterRoot(text: string): boolean {
  let end = text.trimEnd();
  for (;;) {
    const open = end.endsWith('-->') ? end.lastIndexOf('<!--') : end.endsWith('?>') ? end.lastIndexOf('<?') : -1;
    if (open < 0) break;
    end = end.slice(0, open).trimEnd();
  }
  return !end.endsWith('>');
}

/** Parse one packet's XML text. Throws JpayProtocolError('bad-xml') on anything malformed. */
export function parsePacket(text: string): Packet {
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  if (DOCTYPE.test(text)) throw new JpayProtocolError('bad-xml', 'DOCTYPE and entity declarations are not allowed');
  const valid = XMLValidator.validate(text);
  if (valid !== true) {
    throw new JpayProtocolError('bad-xml', `malformed XML: ${valid.err.msg} (line ${valid.err.line})`);
  }
  if (hasTextAfterRoot(text)) throw new JpayProtocolError('bad-xml', 'malformed XML: text after the root element');
  let document: Record<string, unknown>;
  try {
    document = parser.parse(text) as Record<string, unknown>;
  } catch (error) {
    throw new JpayProtocolError('bad-xml', `malformed XML: ${(error as Error).message}`, { cause: error });
  }
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

function escapeText(value: string): string {
  return value.replace(/[&<>"']/g, (c) =>
    c === '&' ? '&amp;' : c === '<' ? '&lt;' : c === '>' ? '&gt;' : c === '"' ? '&quot;' : '&apos;',
  );
}

function checkName(name: string, path: string): void {
  if (!XML_NAME.test(name) || RESERVED_NAMES.has(name)) {
    throw new JpayValidationError(path, `"${name.slice(0, 40)}" is not a valid XML name`);
  }
}

/** Text content or an attribute value, escaped; anything but a string is refused. */
function checkedText(value: unknown, path: string): string {
  if (typeof value !== 'string') throw new JpayValidationError(path, 'must be a string');
  if (hasIllegalXmlChar(value)) throw new JpayValidationError(path, 'contains a character XML cannot carry');
  return escapeText(value);
}

function attributesOf(attrs: [string, unknown][], path: string): string {
  let out = '';
  for (const [key, value] of attrs) {
    checkName(key, `${path}@${key}`);
    out += ` ${key}="${checkedText(value, `${path}@${key}`)}"`;
  }
  return out;
}

function writeElement(name: string, node: XmlNode, path: string, out: string[]): void {
  checkName(name, path);
  if (typeof node === 'string') {
    out.push(node === '' ? `<${name}/>` : `<${name}>${checkedText(node, path)}</${name}>`);
    return;
  }
  if (node === null || typeof node !== 'object' || Array.isArray(node)) {
    throw new JpayValidationError(path, 'must be a string or an element object');
  }
  const attrs: [string, unknown][] = [];
  const children: [string, XmlNode | XmlNode[]][] = [];
  let text = '';
  for (const [key, value] of Object.entries(node)) {
    if (key === TEXT_KEY) text = checkedText(value, `${path}.${TEXT_KEY}`);
    else if (key.startsWith(ATTRIBUTE_PREFIX)) attrs.push([key.slice(ATTRIBUTE_PREFIX.length), value]);
    else children.push([key, value]);
  }
  const open = `<${name}${attributesOf(attrs, path)}`;
  if (children.length === 0 && text === '') {
    out.push(`${open}/>`);
    return;
  }
  out.push(`${open}>`);
  if (text !== '') out.push(text);
  writeChildren(children, path, out);
  out.push(`</${name}>`);
}

function writeChildren(children: [string, XmlNode | XmlNode[]][], path: string, out: string[]): void {
  for (const [key, value] of children) {
    if (Array.isArray(value)) {
      value.forEach((item, index) => writeElement(key, item, `${path}.${key}[${index}]`, out));
    } else {
      writeElement(key, value, `${path}.${key}`, out);
    }
  }
}

/** Serialise a packet to XML text (no declaration; the five XML entities escaped). */
export function serializePacket(p: Packet): string {
  const root: XmlElement = {};
  for (const [key, value] of Object.entries(p.body)) define(root, key, value);
  for (const [key, value] of Object.entries(p.attrs)) define(root, `${ATTRIBUTE_PREFIX}${key}`, value);
  const out: string[] = [];
  writeElement(p.name, root, p.name, out);
  return out.join('');
}

// A plain assignment of `__proto__` would set the prototype instead of a key; defining the
// key makes checkName see (and refuse) it.
function define(target: XmlElement, key: string, value: XmlNode | XmlNode[]): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

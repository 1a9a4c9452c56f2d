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
  htmlEntities: false,
  processEntities: true,
  isArray: (name: string) => REPEATED_ELEMENTS.has(name),
});

// DOCTYPE is refused outright: it is the door to entity expansion (billion laughs,
// external entities) and no JPAY packet has one.
const DOCTYPE = /<!DOCTYPE|<!ENTITY/i;
const XML_NAME = /^[A-Za-z_][A-Za-z0-9_.-]*$/;

/** Parse one packet's XML text. Throws JpayProtocolError('bad-xml') on anything malformed. */
export function parsePacket(text: string): Packet {
  if (DOCTYPE.test(text)) throw new JpayProtocolError('bad-xml', 'DOCTYPE and entity declarations are not allowed');
  const valid = XMLValidator.validate(text);
  if (valid !== true) {
    throw new JpayProtocolError('bad-xml', `malformed XML: ${valid.err.msg} (line ${valid.err.line})`);
  }
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
      if (key.startsWith(ATTRIBUTE_PREFIX) && typeof value === 'string') attrs[key.slice(ATTRIBUTE_PREFIX.length)] = value;
      else body[key] = value;
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
  if (!XML_NAME.test(name)) throw new JpayValidationError(path, `"${name.slice(0, 40)}" is not a valid XML element name`);
}

function attributesOf(attrs: Readonly<Record<string, string>>, path: string): string {
  let out = '';
  for (const [key, value] of Object.entries(attrs)) {
    checkName(key, `${path}@${key}`);
    out += ` ${key}="${escapeText(String(value))}"`;
  }
  return out;
}

function writeElement(name: string, node: XmlNode, path: string, out: string[]): void {
  checkName(name, path);
  if (typeof node === 'string') {
    out.push(node === '' ? `<${name}/>` : `<${name}>${escapeText(node)}</${name}>`);
    return;
  }
  if (node === null || typeof node !== 'object') {
    throw new JpayValidationError(path, 'must be a string or an element object');
  }
  const attrs: Record<string, string> = {};
  const children: [string, XmlNode | XmlNode[]][] = [];
  let text = '';
  for (const [key, value] of Object.entries(node)) {
    if (key === TEXT_KEY) text = String(value);
    else if (key.startsWith(ATTRIBUTE_PREFIX)) attrs[key.slice(ATTRIBUTE_PREFIX.length)] = String(value);
    else children.push([key, value]);
  }
  const open = `<${name}${attributesOf(attrs, path)}`;
  if (children.length === 0 && text === '') {
    out.push(`${open}/>`);
    return;
  }
  out.push(`${open}>`);
  if (text !== '') out.push(escapeText(text));
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
  const body: XmlElement = { ...p.body };
  for (const [key, value] of Object.entries(p.attrs)) body[`${ATTRIBUTE_PREFIX}${key}`] = value;
  const out: string[] = [];
  writeElement(p.name, body, p.name, out);
  return out.join('');
}

/**
 * The entity decoder parsePacket gives fast-xml-parser: the five XML entities and numeric
 * character references (an ASCII-only peer sends Cyrillic as `&#1055;`). One instance
 * serves every parse: the parser's default builds a decoder with the whole HTML entity
 * table on every call, which cost more than parsing a small packet itself.
 *
 * Numeric references follow the rules of the decoder it replaces: U+0000, surrogates and
 * the C0 controls XML 1.0 forbids (all but tab, LF, CR; allowed in an XML 1.1 document) are
 * removed; a reference beyond
 * U+10FFFF is left as written. HTML names (`&nbsp;`) are not XML and stay as written.
 * DOCTYPE is refused before parsing, so there are never document-declared entities.
 */
import type { X2jOptions } from 'fast-xml-parser';

type EntityDecoder = NonNullable<X2jOptions['entityDecoder']>;

const XML_ENTITIES: Readonly<Record<string, string>> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };
const REFERENCE = /&(#[xX][0-9a-fA-F]+|#[0-9]+|[A-Za-z_][A-Za-z0-9._-]*);/g;

/** XML 1.1 allows the C0 controls as references; set from the document's declaration. */
let xml11 = false;

function numeric(token: string): string | undefined {
  const hex = token.charCodeAt(1) === 0x78 || token.charCodeAt(1) === 0x58;
  const cp = parseInt(token.slice(hex ? 2 : 1), hex ? 16 : 10);
  if (!(cp <= 0x10ffff)) return undefined;
  if (cp === 0 || (cp >= 0xd800 && cp <= 0xdfff)) return '';
  if (!xml11 && cp < 0x20 && cp !== 0x09 && cp !== 0x0a && cp !== 0x0d) return '';
  return String.fromCodePoint(cp);
}

function replace(match: string, token: string): string {
  const value = token.charCodeAt(0) === 0x23 ? numeric(token) : Object.prototype.hasOwnProperty.call(XML_ENTITIES, token) ? XML_ENTITIES[token] : undefined;
  return value ?? match;
}

export const XML_ENTITY_DECODER: EntityDecoder = {
  setExternalEntities: () => undefined,
  addInputEntities: () => undefined,
  reset: () => {
    xml11 = false;
  },
  setXmlVersion: (version) => {
    xml11 = version === 1.1;
  },
  decode: (text) => (text.indexOf('&') < 0 ? text : text.replace(REFERENCE, replace)),
};

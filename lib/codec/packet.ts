/**
 * The packet object model shared by the client and the simulator.
 *
 * A packet is one XML document: a root element (the command or message name), its
 * attributes, and its children. Values always stay strings (`000009` stays `000009`);
 * elements that may repeat (`line`, `t`, `card-type`, `error`, `tag`) are always arrays.
 * An element with attributes is an object whose attribute keys start with `@`
 * (`{ '@name': '5A', '@value': '...' }`); mixed text lives under `#text`.
 */

export type XmlNode = string | XmlElement;

export interface XmlElement {
  [child: string]: XmlNode | XmlNode[];
}

export interface Packet {
  /** Root tag: the command, message or answer name. */
  readonly name: string;
  /** Root attributes (`client-handshake`, `server-handshake`, `force-sbp`, `type`). */
  readonly attrs: Readonly<Record<string, string>>;
  readonly body: XmlElement;
}

export const ATTRIBUTE_PREFIX = '@';
export const TEXT_KEY = '#text';

/** Element names that are always parsed as arrays, wherever they appear. */
export const REPEATED_ELEMENTS: ReadonlySet<string> = new Set(['line', 't', 'card-type', 'error', 'tag']);

export function packet(name: string, body: XmlElement = {}, attrs: Record<string, string> = {}): Packet {
  return { name, attrs, body };
}

/** The text of a child element, or undefined when absent or not a plain value. */
export function childText(element: XmlElement | undefined, name: string): string | undefined {
  if (!element) return undefined;
  const value = Object.prototype.hasOwnProperty.call(element, name) ? element[name] : undefined;
  if (typeof value === 'string') return value;
  if (Array.isArray(value)) {
    const first = value[0];
    return typeof first === 'string' ? first : undefined;
  }
  if (value && typeof value === 'object') {
    const text = value[TEXT_KEY];
    return typeof text === 'string' ? text : undefined;
  }
  return undefined;
}

/** A child element as an object (an empty element `<x/>` gives `{}`), or undefined. */
export function childElement(element: XmlElement | undefined, name: string): XmlElement | undefined {
  if (!element) return undefined;
  const value = Object.prototype.hasOwnProperty.call(element, name) ? element[name] : undefined;
  if (value === '') return {};
  if (value && typeof value === 'object' && !Array.isArray(value)) return value;
  if (Array.isArray(value)) {
    const first = value[0];
    if (first === '') return {};
    return first && typeof first === 'object' ? first : undefined;
  }
  return undefined;
}

/** Every occurrence of a child element, as an array (absent gives []). */
export function childList(element: XmlElement | undefined, name: string): XmlNode[] {
  if (!element) return [];
  const value = Object.prototype.hasOwnProperty.call(element, name) ? element[name] : undefined;
  if (value === undefined) return [];
  return Array.isArray(value) ? value : [value];
}

/** The status of an answer/response packet (raw, trimmed), if it has one. */
export function packetStatus(p: Packet): string | undefined {
  return childText(p.body, 'status');
}

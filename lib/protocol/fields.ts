// Small helpers shared by the command modules: reading child values off parsed XML and
// writing typed values back. Internal to lib/protocol (not re-exported from index.ts).
import { childElement, childList, childText, XmlElement, XmlNode } from '../codec/packet';
import { JpayProtocolError } from '../errors';

/** Trimmed text of a child, or undefined when absent (an empty element gives ''). */
export function text(el: XmlElement | undefined, name: string): string | undefined {
  if (!el || !Object.prototype.hasOwnProperty.call(el, name)) return undefined;
  const t = childText(el, name);
  if (t !== undefined) return t.trim();
  // `<x/>` or `<x></x>` parses as '' (childText gives it), an element with children has no text.
  const node = el[name];
  const first = Array.isArray(node) ? node[0] : node;
  return typeof first === 'object' && first !== null && Object.keys(first).length === 0 ? '' : undefined;
}

/** Like text(), but '' counts as absent. */
export function nonEmptyText(el: XmlElement | undefined, name: string): string | undefined {
  const t = text(el, name);
  return t === undefined || t === '' ? undefined : t;
}

/** `<line>` texts of a child element such as `header`, `footer` or `title`. */
export function lines(el: XmlElement | undefined, name: string): string[] {
  const block = childElement(el, name);
  return childList(block, 'line').map((l) => (typeof l === 'string' ? l : (childText({ l }, 'l') ?? '')));
}

/** An element holding `<line>` children, or '' (`<header/>`) when there are none. */
export function linesElement(values: readonly string[]): XmlNode {
  return values.length === 0 ? '' : { line: [...values] };
}

/** Runs a wire conversion and turns its error into undefined (tolerant parsing). */
export function tryConvert<T>(raw: string | undefined, convert: (s: string) => T): T | undefined {
  if (raw === undefined || raw === '') return undefined;
  try {
    return convert(raw);
  } catch {
    return undefined;
  }
}

/** Runs a wire conversion and turns its error into JpayProtocolError('bad-packet'). */
export function strictConvert<T>(raw: string, convert: (s: string) => T, where: string): T {
  try {
    return convert(raw);
  } catch (error) {
    throw new JpayProtocolError('bad-packet', `${where}: ${(error as Error).message}`, { cause: error });
  }
}

/** `2018-03-28T12:01:33` → `180328120133` (the inverse of dateTimeFromWire, without a Date). */
export function isoToWireDateTime(iso: string, field = 'datetime'): string {
  const m = /^20(\d\d)-(\d\d)-(\d\d)T(\d\d):(\d\d)(?::(\d\d))?$/.exec(iso.trim());
  if (m === null) throw new RangeError(`${field}: expected an ISO local date-time 20YY-MM-DDTHH:MM:SS`);
  return `${m[1]}${m[2]}${m[3]}${m[4]}${m[5]}${m[6] ?? '00'}`;
}

/** Sets `el[name] = value` only when value is defined. Keeps insertion order = element order. */
export function put(el: XmlElement, name: string, value: XmlNode | undefined): void {
  if (value !== undefined) el[name] = value;
}

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

export function isBase64(s: string): boolean {
  return s.length > 0 && BASE64.test(s);
}

/** Decodes Base64 (whitespace inside ignored: the vendor wraps long values); undefined if invalid. */
export function decodeBase64(raw: string): Buffer | undefined {
  const s = raw.replace(/\s+/g, '');
  return isBase64(s) ? Buffer.from(s, 'base64') : undefined;
}

export function yesNo(raw: string | undefined): boolean | undefined {
  const v = raw?.toLowerCase();
  return v === 'yes' ? true : v === 'no' ? false : undefined;
}

/** Sets an optional property only when the value is defined (no `key: undefined` in results). */
export function setIf<T extends object, K extends keyof T>(obj: T, key: K, value: T[K] | undefined): void {
  if (value !== undefined) obj[key] = value;
}

// Small helpers shared by the command modules: reading child values off parsed XML and
// writing typed values back. Internal to lib/protocol (not re-exported from index.ts).
import { childElement, childList, childText, XmlElement, XmlNode } from '../codec/packet';
import { JpayProtocolError, JpayValidationError } from '../errors';
import { amountFromWire, amountToWire, countFromWire, dateTimeFromWire, signedAmountFromWire, signedAmountToWire } from './values';

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

/** A list item as an element (a text-only item has no children). */
export function asElement(node: XmlNode): XmlElement {
  return typeof node === 'object' ? node : {};
}

/** Like text(), but '' counts as absent. */
export function nonEmptyText(el: XmlElement | undefined, name: string): string | undefined {
  const t = text(el, name);
  return t === undefined || t === '' ? undefined : t;
}

/** `<line>` (or `item`) texts of a child element such as `header`, `footer`, `title` or `error-stack`. */
export function lines(el: XmlElement | undefined, name: string, item = 'line'): string[] {
  return childList(childElement(el, name), item).map((l) => (typeof l === 'string' ? l : (childText({ l }, 'l') ?? '')));
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

/** Decodes Base64 (whitespace inside ignored: the vendor wraps long values); undefined if invalid. */
export function decodeBase64(raw: string): Buffer | undefined {
  const s = raw.replace(/\s+/g, '');
  return s.length > 0 && BASE64.test(s) ? Buffer.from(s, 'base64') : undefined;
}

/** A wire name as a property key: `firmware-mcu` → `firmwareMcu`. */
export function camelCase(wire: string): string {
  return wire.replace(/-(\w)/g, (_, c: string) => c.toUpperCase());
}

/** Sets an optional property only when the value is defined (no `key: undefined` in results). */
export function setIf<T extends object, K extends keyof T>(obj: T, key: K, value: T[K] | undefined): void {
  if (value !== undefined) obj[key] = value;
}

/**
 * How a field is written on the wire: as it is, an amount (12 digits), a sum that may come
 * plain or signed (D/C + 12 digits; written signed), a counter, a date-time, yes/no.
 */
export type FieldKind = 'text' | 'amount' | 'sum' | 'count' | 'datetime' | 'yesno';

/** A wire name as a property key, for types: `firmware-mcu` → `firmwareMcu` (camelCase at compile time). */
export type CamelCase<S extends string> = S extends `${infer H}-${infer T}` ? `${H}${Capitalize<CamelCase<T>>}` : S;

/** The typed value of each kind (fromWire's result). */
export interface KindValue {
  text: string;
  amount: number;
  sum: number;
  count: number;
  datetime: string;
  yesno: boolean;
}

/** A field table's row as written for fieldTable(): a text field's wire name, or [wire, key, kind]. */
export type FieldRow<K extends string = FieldKind> = string | readonly [wire: string, key: string, kind: K];

/**
 * The object a table of rows describes, every field optional: a plain wire name is a text
 * field keyed in camelCase, [wire, key, kind] the kind's value under key (`V` maps any kind
 * beyond FieldKind). Declaring the type from its rows keeps the two from drifting apart.
 */
export type FieldsOf<R extends readonly FieldRow<string>[], V = KindValue> = {
  [E in R[number] as E extends string ? CamelCase<E> : E extends readonly [string, infer Key extends string, string] ? Key : never]?: E extends readonly [string, string, infer Kind extends keyof V] ? V[Kind] : string;
};

/** A typed object's fields and their elements, in the document's order: wire name, key, kind. */
export type FieldTable<T, K extends string = FieldKind> = readonly (readonly [wire: string, key: keyof T & string, kind: K])[];

/**
 * A field table from its rows: a plain wire name is a text field whose key is the name in
 * camelCase (`resp-code` → respCode); any other field is written out as [wire, key, kind].
 */
export function fieldTable<T, K extends string = FieldKind>(...rows: readonly (string | readonly [string, keyof T & string, K])[]): FieldTable<T, K> {
  return rows.map((row) => (typeof row === 'string' ? [row, camelCase(row) as keyof T & string, 'text' as K] : row));
}

const FROM_WIRE: Readonly<Record<FieldKind, (raw: string, field: string) => string | number | boolean | undefined>> = {
  text: (raw) => raw,
  amount: amountFromWire,
  sum: (raw, field) => (/^\s*[DC]/.test(raw) ? signedAmountFromWire(raw, field) : amountFromWire(raw, field)),
  count: countFromWire,
  datetime: dateTimeFromWire,
  yesno: (raw) => (/^yes$/i.test(raw) ? true : /^no$/i.test(raw) ? false : undefined),
};

/** A wire value → its typed value; throws a RangeError naming the field when it does not convert. */
export function fromWire(raw: string, kind: FieldKind, field: string): string | number | boolean | undefined {
  return FROM_WIRE[kind](raw, field);
}

/** A typed value → its wire text; throws JpayValidationError naming the field when it does not fit. */
export function toWire(value: unknown, kind: FieldKind, field: string): string {
  try {
    switch (kind) {
      case 'amount':
        return amountToWire(value as number, field);
      case 'sum':
        return signedAmountToWire(value as number, field);
      case 'datetime': {
        const s = String(value);
        return /^(\d{10}|\d{12})$/.test(s) ? s : isoToWireDateTime(s, field);
      }
      case 'yesno':
        return value ? 'yes' : 'no';
      default:
        return String(value);
    }
  } catch (error) {
    throw new JpayValidationError(field, error instanceof Error ? error.message : 'is invalid');
  }
}

/**
 * Reads a table's fields off an element into `target`. A value that does not convert reads
 * as absent, or, with `strict` (where to name it), numbers throw JpayProtocolError('bad-packet');
 * date-times are always tolerant. Text keeps '' (an empty element); other kinds read it as absent.
 */
export function readFields<T extends object>(el: XmlElement | undefined, fields: FieldTable<T>, target: T, strict?: string): T {
  const out = target as Record<string, unknown>;
  for (const [wire, key, kind] of fields) {
    const raw = text(el, wire);
    const value =
      kind === 'text'
        ? raw
        : strict !== undefined && kind !== 'datetime' && raw !== undefined && raw !== ''
          ? strictConvert(raw, (s) => fromWire(s, kind, wire), strict)
          : tryConvert(raw, (s) => fromWire(s, kind, wire));
    if (value !== undefined) out[key] = value;
  }
  return target;
}

/** Writes a table's defined fields into `el` in the table's order (see toWire for errors). */
export function writeFields<T extends object>(source: T, fields: FieldTable<T>, el: XmlElement = {}): XmlElement {
  const values = source as Record<string, unknown>;
  for (const [wire, key, kind] of fields) if (values[key] !== undefined) el[wire] = toWire(values[key], kind, wire);
  return el;
}

// Wire-value conversions for JPAY XML fields. Money is integer minor units (kopecks).

export const MAX_WIRE_AMOUNT = 999_999_999_999;

function fail(field: string, problem: string): never {
  throw new RangeError(`${field}: ${problem}`);
}

function show(value: unknown): string {
  return typeof value === 'string' ? JSON.stringify(value) : String(value);
}

function checkAmount(minor: unknown, field: string, allowNegative: boolean): number {
  if (typeof minor !== 'number') fail(field, `expected a number of minor units, got ${typeof minor}`);
  if (!Number.isSafeInteger(minor)) fail(field, `expected a safe integer of minor units, got ${show(minor)}`);
  const min = allowNegative ? -MAX_WIRE_AMOUNT : 0;
  if (minor < min || minor > MAX_WIRE_AMOUNT) {
    fail(field, `${minor} is outside ${min}..${MAX_WIRE_AMOUNT}`);
  }
  return minor;
}

function checkString(s: unknown, field: string): string {
  if (typeof s !== 'string') fail(field, `expected a string, got ${typeof s}`);
  return s.trim();
}

/** 12 digits, zero-padded: `amountToWire(12300)` → `000000012300`. */
export function amountToWire(minor: number, field = 'amount'): string {
  return checkAmount(minor, field, false).toString().padStart(12, '0');
}

/** Parses up to 12 digits (surrounding whitespace ignored: the vendor wraps values over lines). */
export function amountFromWire(s: string, field = 'amount'): number {
  const text = checkString(s, field);
  if (!/^\d{1,12}$/.test(text)) fail(field, `expected 1..12 digits, got ${show(s)}`);
  return Number(text);
}

/** Signed balance (§8.11): `D` = plus, `C` = minus, then the digits. */
export function signedAmountFromWire(s: string, field = 'amount'): number {
  const text = checkString(s, field);
  const m = /^([DC])(\d{1,12})$/.exec(text);
  if (m === null) fail(field, `expected D or C followed by 1..12 digits, got ${show(s)}`);
  const magnitude = Number(m[2]);
  // Avoid -0 for C000000000000.
  return m[1] === 'C' && magnitude !== 0 ? -magnitude : magnitude;
}

export function signedAmountToWire(minor: number, field = 'amount'): string {
  const n = checkAmount(minor, field, true);
  return (n < 0 ? 'C' : 'D') + Math.abs(n).toString().padStart(12, '0');
}

/** Non-negative counters such as `tnum` or `purchase-count`. */
export function countFromWire(s: string, field = 'count'): number {
  const text = checkString(s, field);
  if (!/^\d{1,15}$/.test(text)) fail(field, `expected 1..15 digits, got ${show(s)}`);
  return Number(text);
}

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

function daysInMonth(year: number, month: number): number {
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  return month === 2 && leap ? 29 : DAYS_IN_MONTH[month - 1];
}

function two(n: number): string {
  return n.toString().padStart(2, '0');
}

function checkDate(year: number, month: number, day: number, field: string, raw: string): void {
  if (month < 1 || month > 12) fail(field, `month ${two(month)} is invalid in ${show(raw)}`);
  if (day < 1 || day > daysInMonth(year, month)) fail(field, `day ${two(day)} is invalid in ${show(raw)}`);
}

/**
 * `yymmddHHMMSS` (or `yymmddHHMM`, as the card `close` example shows) → `20YY-MM-DDTHH:MM:SS`,
 * a local date-time without zone: the terminal does not say which zone it uses.
 */
export function dateTimeFromWire(s: string, field = 'datetime'): string {
  const text = checkString(s, field);
  if (!/^(\d{10}|\d{12})$/.test(text)) fail(field, `expected yymmddHHMMSS (12 digits), got ${show(s)}`);
  const pair = (at: number): number => (text.charCodeAt(at) - 48) * 10 + text.charCodeAt(at + 1) - 48;
  const year = 2000 + pair(0);
  checkDate(year, pair(2), pair(4), field, text);
  if (pair(6) > 23) fail(field, `hour ${text.slice(6, 8)} is invalid in ${show(s)}`);
  if (pair(8) > 59) fail(field, `minute ${text.slice(8, 10)} is invalid in ${show(s)}`);
  const seconds = text.length === 12 ? text.slice(10, 12) : '00';
  if (text.length === 12 && pair(10) > 59) fail(field, `second ${seconds} is invalid in ${show(s)}`);
  return `20${text.slice(0, 2)}-${text.slice(2, 4)}-${text.slice(4, 6)}T${text.slice(6, 8)}:${text.slice(8, 10)}:${seconds}`;
}

const LOCAL_ISO = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})/;

/**
 * An ISO local date-time (receipts and reports carry no zone) as milliseconds, read as if
 * it were UTC; undefined if it is not one. Differences of such values are the terminal's
 * own clock; against the host's clock they differ by the terminal's offset.
 */
export function localIsoToMs(iso: string | undefined): number | undefined {
  if (typeof iso !== 'string') return undefined;
  const m = LOCAL_ISO.exec(iso);
  if (!m) return undefined;
  const [y, mo, d, h, mi, s] = m.slice(1).map(Number);
  const ms = Date.UTC(y, mo - 1, d, h, mi, s);
  return Number.isFinite(ms) ? ms : undefined;
}

/** Local time of `date` as `yymmddHHMMSS`; only years 2000..2099 fit the wire format. */
export function dateTimeToWire(date: Date, field = 'datetime'): string {
  if (!(date instanceof Date) || Number.isNaN(date.getTime())) fail(field, 'expected a valid Date');
  const year = date.getFullYear();
  if (year < 2000 || year > 2099) fail(field, `year ${year} does not fit yymmddHHMMSS`);
  return [
    year - 2000,
    date.getMonth() + 1,
    date.getDate(),
    date.getHours(),
    date.getMinutes(),
    date.getSeconds(),
  ].map(two).join('');
}

/**
 * A number typed as digits (`000009`, an editor's `15000`) as that number; any other value
 * as it is, for the rules to judge. Up to 15 digits: beyond, a double is no longer exact.
 */
export function numberIfDigits(value: unknown): unknown {
  return typeof value === 'string' && /^\d{1,15}$/.test(value) ? Number(value) : value;
}

export interface ApplicationNameFields {
  /** Application Preferred Name (9F12) as hex ASCII. */
  apname?: string;
  /** Issuer Code Table Index (9F11): `01`..`10` = ISO 8859-1..10. */
  ictId?: string;
  /** Application Label (50), plain text. */
  alabel?: string;
  /** Name the terminal derived from the AID. */
  appname?: string;
}

function nonEmpty(s: string | undefined): string | undefined {
  const t = s?.trim();
  return t === undefined || t === '' ? undefined : t;
}

function decodeIso8859(bytes: Uint8Array, table: number): string | undefined {
  // 9F12 is `ans`: control bytes (C0, DEL, C1) mean the value is not text in this table.
  // Rejecting 0x80-0x9F also covers WHATWG mapping iso-8859-1/-9 to windows-1252/-1254,
  // which differ from ISO 8859 only in that range.
  if (bytes.some((b) => b < 0x20 || (b >= 0x7f && b <= 0x9f))) return undefined;
  if (table === 1) return Buffer.from(bytes).toString('latin1');
  try {
    return new TextDecoder(`iso-8859-${table}`, { fatal: true }).decode(bytes);
  } catch {
    // Unassigned code point in that table, or a Node build without full ICU.
    return undefined;
  }
}

function decodeApname(apname: string | undefined, ictId: string | undefined): string | undefined {
  const hex = apname?.replace(/\s+/g, '');
  const index = ictId?.trim();
  if (!hex || !index || !/^([0-9a-fA-F]{2})+$/.test(hex) || !/^\d{1,2}$/.test(index)) return undefined;
  const table = Number(index);
  if (table < 1 || table > 10) return undefined;
  return nonEmpty(decodeIso8859(Buffer.from(hex, 'hex'), table));
}

/**
 * Name to show for the card application (§8.9): apname decoded with the ict-id code table,
 * else alabel, else appname. Undefined when none is usable.
 */
export function decodeApplicationName(fields: ApplicationNameFields): string | undefined {
  return decodeApname(fields.apname, fields.ictId) ?? nonEmpty(fields.alabel) ?? nonEmpty(fields.appname);
}

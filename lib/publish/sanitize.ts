/**
 * Defensive scrubbing of everything that goes into an MQTT payload. The protocol layer
 * already keeps `plain-text-pan` out of Receipt, but receipts and metadata also arrive from
 * flows and user code, so this runs on every payload regardless:
 * - keys that name a secret (plain-text-pan, password, token, pin, cvv, track…) are dropped,
 *   and so is every `Secret` value;
 * - a `pan` value keeps at most its first 6 and last 4 digits;
 * - in free text, a run of 13–19 digits (single spaces/dashes allowed between groups) that
 *   passes the Luhn check is masked the same way.
 */
import { Secret } from '../protocol/secret';

const SECRET_KEY =
  /^(?:plain[-_ ]?text[-_ ]?pan|password|passwd|new[-_ ]?password|old[-_ ]?password|token|access[-_ ]?token|secret|credentials?|pin|pin[-_ ]?block|cvv2?|cvc2?|track[-_ ]?[12]?|track[-_ ]?data)$/i;
const PAN_KEY = /^(?:pan|card[-_ ]?number|masked[-_ ]?pan)$/i;
const MAX_DEPTH = 10;

export function isSecretKey(key: string): boolean {
  return SECRET_KEY.test(key);
}

function luhnValid(digits: string): boolean {
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    let d = digits.charCodeAt(digits.length - 1 - i) - 48;
    if (i % 2 === 1) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return sum % 10 === 0;
}

/** Star every digit but the first 6 and the last 4, keeping spaces and existing mask characters. */
function maskDigits(value: string): string {
  const total = value.replace(/\D/g, '').length;
  let index = 0;
  let out = '';
  for (const ch of value) {
    if (ch >= '0' && ch <= '9') {
      out += index < 6 || index >= total - 4 ? ch : '*';
      index++;
    } else {
      out += ch;
    }
  }
  return out;
}

/** A PAN field: kept when it shows at most 10 digits (masked already), else masked to 6 + 4. */
export function maskPanValue(value: string): string {
  return value.replace(/\D/g, '').length <= 10 ? value : maskDigits(value);
}

/** Masks the card numbers inside one maximal digit run (`4000 0000 0000 0002`, `100 4000…`). */
function maskRun(run: string): string {
  const groups = run.split(/([ -])/);
  const digitGroups: number[] = [];
  for (let i = 0; i < groups.length; i += 2) digitGroups.push(i);
  const mask = new Set<number>();
  for (let a = 0; a < digitGroups.length; a++) {
    let digits = '';
    for (let b = a; b < digitGroups.length; b++) {
      digits += groups[digitGroups[b]];
      if (digits.length > 19) break;
      if (digits.length >= 13 && luhnValid(digits)) {
        for (let k = a; k <= b; k++) mask.add(k);
      }
    }
  }
  if (mask.size === 0) return run;
  // Mask each maximal masked window as one number.
  let out = '';
  let a = 0;
  while (a < digitGroups.length) {
    if (!mask.has(a)) {
      out += groups[digitGroups[a]] + (groups[digitGroups[a] + 1] ?? '');
      a++;
      continue;
    }
    let b = a;
    while (mask.has(b + 1)) b++;
    const window = groups.slice(digitGroups[a], digitGroups[b] + 1).join('');
    out += maskDigits(window) + (groups[digitGroups[b] + 1] ?? '');
    a = b + 1;
  }
  return out;
}

/** Masks Luhn-valid 13–19 digit card numbers in free text. */
export function maskPansInText(text: string): string {
  // Fewer than 13 digits in all cannot hold a card number: most receipt fields (cheap check).
  let digits = 0;
  for (let i = 0; i < text.length && digits < 13; i++) {
    const c = text.charCodeAt(i);
    if (c >= 48 && c <= 57) digits++;
  }
  if (digits < 13) return text;
  return text.replace(/\d(?:[ -]?\d)*/g, (run) => (run.replace(/\D/g, '').length < 13 ? run : maskRun(run)));
}

function isPlainObject(value: object): value is Record<string, unknown> {
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/**
 * A JSON-safe, scrubbed copy of arbitrary data (receipt `extra`, user metadata, event data).
 * Dropped: secret keys, Secret values, functions, symbols, binary data, non-finite numbers,
 * anything nested deeper than 10 levels. Dates become ISO strings, bigints decimal strings.
 */
export function sanitizeValue(value: unknown, depth = 0): unknown {
  if (value === null || typeof value === 'boolean') return value;
  if (typeof value === 'string') return maskPansInText(value);
  if (typeof value === 'number') return Number.isFinite(value) ? value : undefined;
  if (typeof value === 'bigint') return value.toString();
  if (typeof value !== 'object' || value instanceof Secret || depth >= MAX_DEPTH) return undefined;
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? undefined : value.toISOString();
  if (Array.isArray(value)) {
    return value.map((item) => sanitizeValue(item, depth + 1)).filter((item) => item !== undefined);
  }
  if (!isPlainObject(value)) return undefined;
  const out: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) {
    if (isSecretKey(key)) continue;
    const clean = PAN_KEY.test(key) && typeof item === 'string' ? maskPansInText(maskPanValue(item)) : sanitizeValue(item, depth + 1);
    if (clean !== undefined) out[key] = clean;
  }
  return out;
}

/** sanitizeValue for a top-level object; anything else gives an empty object. */
export function sanitizeObject(value: unknown): Record<string, unknown> {
  const clean = sanitizeValue(value);
  return clean !== null && typeof clean === 'object' && !Array.isArray(clean) ? (clean as Record<string, unknown>) : {};
}

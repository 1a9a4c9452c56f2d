// Amounts typed by people: major units as a decimal string (`123.45`) → integer minor units.
// Parsed as text, digit by digit: a float never touches the value. The range (and zero) is
// the protocol's rule (lib/protocol/schemas.ts), checked on the request.

import { UsageError } from './usage-error';

const MAJOR_AMOUNT = /^(\d+)(?:\.(\d{1,2}))?$/;

/**
 * `123.45` → 12345, `0.1` → 10, `1` → 100; undefined when the option was not given.
 * Refuses what is not written as major units with at most two decimals: signs, exponents,
 * spaces, an empty string. `flag` names the option in the message (`--amount`).
 */
export function parseMajorAmount(raw: string | undefined, flag: string): number | undefined {
  if (raw === undefined) return undefined;
  const m = MAJOR_AMOUNT.exec(raw);
  if (m === null) {
    throw new UsageError(
      `${flag}: ${JSON.stringify(raw.slice(0, 40))} is not an amount; write major units with at most two decimals, e.g. 123.45`,
    );
  }
  // Beyond 15 digits a double is no longer exact, and the value is far past any amount anyway.
  const minorDigits = `${m[1]}${(m[2] ?? '').padEnd(2, '0')}`.replace(/^0+(?=\d)/, '');
  return minorDigits.length > 15 ? Number.MAX_SAFE_INTEGER : Number(minorDigits);
}

const MINOR_AMOUNT = /^\d+$/;

/**
 * `--amount-minor 12345` → 12345: minor units (kopecks) as written by scripts that hold them.
 * Digits only; the range is the protocol's rule, like `--amount`'s.
 */
export function parseMinorAmount(raw: string | undefined, flag: string): number | undefined {
  if (raw === undefined) return undefined;
  if (!MINOR_AMOUNT.test(raw)) {
    throw new UsageError(`${flag}: ${JSON.stringify(raw.slice(0, 40))} is not an amount in minor units; write digits only, e.g. 12345 for 123.45`);
  }
  const digits = raw.replace(/^0+(?=\d)/, '');
  return digits.length > 15 ? Number.MAX_SAFE_INTEGER : Number(digits);
}

/** 12345 → `123.45`, -5 → `-0.05` (integer arithmetic on the digits). */
export function formatMinor(minor: number): string {
  const sign = minor < 0 ? '-' : '';
  const digits = Math.abs(minor).toString().padStart(3, '0');
  return `${sign}${digits.slice(0, -2)}.${digits.slice(-2)}`;
}

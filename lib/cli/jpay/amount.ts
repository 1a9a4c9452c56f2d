// Amounts typed by people: major units as a decimal string (`123.45`) → integer minor units.
// Parsed as text, digit by digit: a float never touches the value.

import { MAX_WIRE_AMOUNT } from '../../protocol/values';
import { UsageError } from './usage-error';

const MAJOR_AMOUNT = /^(\d+)(?:\.(\d{1,2}))?$/;

/**
 * `123.45` → 12345, `0.1` → 10, `1` → 100. Refuses signs, exponents, more than two decimals,
 * spaces, an empty string, zero (unless allowZero) and anything over 12 digits of minor units.
 * `flag` names the option in the message (`--amount`).
 */
export function parseMajorAmount(raw: string | undefined, flag: string, allowZero = false): number {
  if (raw === undefined || raw === '') throw new UsageError(`${flag}: an amount is required, e.g. ${flag} 123.45`);
  const m = MAJOR_AMOUNT.exec(raw);
  if (m === null) {
    throw new UsageError(
      `${flag}: ${JSON.stringify(raw)} is not an amount; write major units with at most two decimals, e.g. 123.45`,
    );
  }
  const whole = m[1].replace(/^0+(?=\d)/, '');
  const minorDigits = `${whole}${(m[2] ?? '').padEnd(2, '0')}`.replace(/^0+(?=\d)/, '');
  if (minorDigits.length > 12 || Number(minorDigits) > MAX_WIRE_AMOUNT) {
    throw new UsageError(`${flag}: ${JSON.stringify(raw)} is too large (at most ${formatMinor(MAX_WIRE_AMOUNT)})`);
  }
  const minor = Number(minorDigits);
  if (minor === 0 && !allowZero) throw new UsageError(`${flag}: the amount must be greater than zero`);
  return minor;
}

/** 12345 → `123.45`, -5 → `-0.05` (integer arithmetic on the digits). */
export function formatMinor(minor: number): string {
  const sign = minor < 0 ? '-' : '';
  const digits = Math.abs(minor).toString().padStart(3, '0');
  return `${sign}${digits.slice(0, -2)}.${digits.slice(-2)}`;
}

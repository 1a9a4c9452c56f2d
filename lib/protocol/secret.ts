import { inspect } from 'node:util';

const REDACTED = '[redacted]';

/**
 * A value that must not leak: it prints, inspects and serialises as `[redacted]`.
 * Only reveal() gives the value, so every disclosure is a visible, deliberate call.
 */
export class Secret {
  readonly #value: string;

  constructor(value: string) {
    this.#value = value;
  }

  reveal(): string {
    return this.#value;
  }

  toString(): string {
    return REDACTED;
  }

  toJSON(): string {
    return REDACTED;
  }

  [inspect.custom](): string {
    return `Secret(${REDACTED})`;
  }
}

/** First 6 / last 4 at most, the rest starred: `400000******0001`. */
export function maskPan(pan: string): string {
  const digits = pan.replace(/\s+/g, '');
  if (digits.length < 10) return '*'.repeat(Math.max(0, digits.length - 4)) + digits.slice(-4);
  return `${digits.slice(0, 6)}${'*'.repeat(digits.length - 10)}${digits.slice(-4)}`;
}

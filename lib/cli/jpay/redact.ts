// Last line of defence for secrets in what the CLI prints: the library never puts them in
// messages, and the CLI never prints them itself, but a stray echo must not leak either.

import { maskPan } from '../../protocol/secret';

export interface Secrets {
  /** Replaced by `[redacted]`: admin passwords, key material. */
  hidden: readonly string[];
  /** Full card numbers, replaced by their masked form. */
  pans: readonly string[];
}

export type Redactor = (text: string) => string;

function replaceAll(text: string, find: string, by: string): string {
  return find.length === 0 ? text : text.split(find).join(by);
}

/**
 * Card numbers are masked everywhere. Passwords are redacted in diagnostics (stderr, error
 * messages) only: an 8-digit password could equal a terminal id or RRN in result data, which
 * the terminal never fills with the password anyway.
 */
export function makeRedactor(secrets: Secrets, diagnostics: boolean): Redactor {
  return (text) => {
    let out = text;
    // Longest first so a secret that contains another is replaced whole.
    for (const pan of [...secrets.pans].sort((a, b) => b.length - a.length)) out = replaceAll(out, pan, maskPan(pan));
    if (diagnostics) {
      for (const s of [...secrets.hidden].sort((a, b) => b.length - a.length)) out = replaceAll(out, s, '[redacted]');
    }
    return out;
  };
}

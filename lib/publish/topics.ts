/**
 * Topic names (docs/mqtt.md): `<prefix>/<tid>/receipt`, `<prefix>/<tid>/event`, `<prefix>/<tid>/status`.
 */
import { JpayValidationError } from '../errors';

export const DEFAULT_PREFIX = 'jpay';

export interface TerminalTopics {
  receipt: string;
  event: string;
  status: string;
}

/** NUL and control characters are not allowed in topics. */
function hasControl(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x20 || c === 0x7f) return true;
  }
  return false;
}

/** A prefix of one or more topic levels, without wildcards, not starting with `$` or `/`. */
export function normalizePrefix(prefix: string | undefined): string {
  const p = (prefix ?? DEFAULT_PREFIX).trim().replace(/\/+$/, '');
  if (p === '') throw new JpayValidationError('prefix', 'must not be empty');
  if (/[+#]/.test(p) || hasControl(p)) throw new JpayValidationError('prefix', 'must not contain +, # or control characters');
  if (p.startsWith('$') || p.startsWith('/')) throw new JpayValidationError('prefix', 'must not start with $ or /');
  if (p.split('/').some((level) => level === '')) throw new JpayValidationError('prefix', 'must not contain empty levels');
  return p;
}

/** A terminal id is one topic level: 1–64 characters, no `/`, `+`, `#` or control characters. */
export function checkTerminalId(terminalId: unknown): string {
  if (typeof terminalId !== 'string' || terminalId.trim() === '') {
    throw new JpayValidationError('terminalId', 'must be a non-empty string');
  }
  if (terminalId.length > 64) throw new JpayValidationError('terminalId', 'must be at most 64 characters');
  if (/[+#/]/.test(terminalId) || hasControl(terminalId)) throw new JpayValidationError('terminalId', 'must not contain /, +, # or control characters');
  return terminalId;
}

export function terminalTopics(prefix: string, terminalId: string): TerminalTopics {
  const base = `${prefix}/${checkTerminalId(terminalId)}`;
  return { receipt: `${base}/receipt`, event: `${base}/event`, status: `${base}/status` };
}

/**
 * The secret scanner: texts from every place a run leaves something (logs, msgs, stdout,
 * MQTT payloads, files) are searched for full PANs (the known test-card PANs anywhere, and
 * any Luhn-valid run of 13–19 digits), the admin password, tokens and session keys. A hit
 * names its source and position and shows the secret masked.
 */
import { isLuhnValid } from '../../lib/simulator/cards';

export interface Hit {
  source: string;
  kind: string;
  offset: number;
  /** The surroundings, with the secret itself masked. */
  context: string;
}

interface Secret {
  kind: string;
  value: string;
}

/** Standalone: a digit run inside a hex id or an alphanumeric token is not a card number (known PANs are found anywhere). */
const DIGIT_RUN = /(?<![A-Za-z0-9])\d{13,19}(?![A-Za-z0-9])/g;
/** 4-digit groups split by a space or dash, as receipts print card numbers. */
const GROUPED_PAN = /(?<!\d)\d{4}([ -])\d{4}\1\d{4}\1\d{1,7}(?!\d)/g;

export class SecretScanner {
  private readonly secrets: Secret[] = [];
  private readonly pans = new Set<string>();
  readonly hits: Hit[] = [];
  /** Bytes scanned per source kind (`file`, `mqtt`…), for the report. */
  readonly scanned = new Map<string, { sources: number; bytes: number }>();
  private readonly allowedRuns: ((run: string) => boolean)[] = [];

  /** A value that must appear nowhere (also searched as hex and base64 when asked). */
  addSecret(kind: string, value: string, encodings: ('hex' | 'base64')[] = []): void {
    if (value === '' || this.secrets.some((s) => s.value === value)) return;
    this.secrets.push({ kind, value });
    for (const e of encodings) this.secrets.push({ kind: `${kind} (${e})`, value: Buffer.from(value, 'utf8').toString(e) });
  }

  /** A key or other binary secret, searched as hex (both cases) and base64. */
  addBinarySecret(kind: string, value: Buffer): void {
    const hex = value.toString('hex');
    for (const [k, v] of [
      [`${kind} (hex)`, hex],
      [`${kind} (HEX)`, hex.toUpperCase()],
      [`${kind} (base64)`, value.toString('base64')],
    ]) {
      if (!this.secrets.some((s) => s.value === v)) this.secrets.push({ kind: k, value: v });
    }
  }

  addPan(pan: string): void {
    this.pans.add(pan);
    this.addSecret('PAN', pan, ['hex']);
  }

  /** A digit run that is known not to be a PAN (the reason goes in the test). */
  allowRun(test: (run: string) => boolean): void {
    this.allowedRuns.push(test);
  }

  get secretCount(): number {
    return this.secrets.length;
  }

  scan(source: string, text: string, kind = source.split(':')[0]): void {
    const seen = this.scanned.get(kind) ?? { sources: 0, bytes: 0 };
    seen.sources += 1;
    seen.bytes += text.length;
    this.scanned.set(kind, seen);
    for (const secret of this.secrets) {
      for (let at = text.indexOf(secret.value); at >= 0; at = text.indexOf(secret.value, at + 1)) {
        this.hit(source, secret.kind, text, at, secret.value.length);
      }
    }
    for (const re of [DIGIT_RUN, GROUPED_PAN]) {
      for (const m of text.matchAll(re)) {
        const digits = m[0].replace(/\D/g, '');
        if (digits.length < 13 || digits.length > 19 || !isLuhnValid(digits)) continue;
        if (this.pans.has(digits) && re === DIGIT_RUN) continue; // already a hit as a known PAN
        if (this.allowedRuns.some((allowed) => allowed(digits))) continue;
        this.hit(source, 'Luhn-valid digit run', text, m.index ?? 0, m[0].length);
      }
    }
  }

  private hit(source: string, kind: string, text: string, offset: number, length: number): void {
    const before = text.slice(Math.max(0, offset - 60), offset);
    const after = text.slice(offset + length, offset + length + 60);
    const masked = length > 8 ? `${text.slice(offset, offset + 4)}${'*'.repeat(length - 8)}${text.slice(offset + length - 4, offset + length)}` : '*'.repeat(length);
    this.hits.push({ source, kind, offset, context: `${before}[${masked}]${after}`.replace(/\s+/g, ' ') });
  }

  /** One line per hit, for the assertion message. */
  report(): string {
    if (this.hits.length === 0) return 'no hits';
    return this.hits
      .slice(0, 40)
      .map((h) => `${h.kind} in ${h.source} at ${h.offset}: …${h.context}…`)
      .join('\n');
  }
}

/** JSON of anything a node may send: cycles cut, Buffers as text and hex, functions dropped. */
export function textOf(value: unknown, skipKeys: ReadonlySet<string> = new Set()): string {
  const seen = new WeakSet<object>();
  try {
    return JSON.stringify(value, function (key, v: unknown) {
      if (skipKeys.has(key)) return '[skipped]';
      const raw = (this as Record<string, unknown>)[key];
      if (Buffer.isBuffer(raw)) return { buffer: raw.toString('latin1'), hex: raw.toString('hex') };
      if (raw instanceof Uint8Array) return { bytes: Buffer.from(raw).toString('latin1') };
      if (typeof v === 'function') return undefined;
      if (typeof v === 'bigint') return v.toString();
      if (v !== null && typeof v === 'object') {
        if (seen.has(v)) return '[cycle]';
        seen.add(v);
      }
      return v;
    }) ?? '';
  } catch (error) {
    return `[unserialisable: ${(error as Error).message}]`;
  }
}

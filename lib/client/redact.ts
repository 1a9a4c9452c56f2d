/**
 * Belt and braces for secrets: the client never writes a password or token into a
 * message on purpose, and everything it logs, emits or rejects with still passes
 * through a Redactor that knows every secret this client has held.
 */
import { JpayError, JpayStatusError } from '../errors';
import type { ClientLogger } from './options';

const REDACTED = '[redacted]';

export class Redactor {
  private readonly secrets = new Set<string>();

  add(secret: string | undefined): void {
    if (secret !== undefined && secret.length >= 4) this.secrets.add(secret);
  }

  text(value: string): string {
    let out = value;
    for (const secret of this.secrets) {
      if (out.includes(secret)) out = out.split(secret).join(REDACTED);
    }
    return out;
  }

  value(value: unknown, depth = 0): unknown {
    if (typeof value === 'string') return this.text(value);
    if (depth > 3 || value === null || typeof value !== 'object') return value;
    if (value instanceof Error) return this.text(value.message);
    if (Array.isArray(value)) return value.map((v) => this.value(v, depth + 1));
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = this.value(v, depth + 1);
    return out;
  }

  /** Scrubs an error's message (and its causes') in place; returns the same error. */
  error<E>(error: E): E {
    let current: unknown = error;
    for (let depth = 0; current instanceof Error && depth < 5; depth++) {
      const clean = this.text(current.message);
      if (clean !== current.message) current.message = clean;
      if (current instanceof JpayStatusError && current.errors.some((e) => this.text(e) !== e)) {
        Object.defineProperty(current, 'errors', { value: current.errors.map((e) => this.text(e)) });
      }
      current = current.cause;
    }
    return error;
  }
}

/** The logger the client uses internally: never throws, always redacts. */
export class SafeLogger implements ClientLogger {
  /** The target takes debug lines: the per-command ones are built only then. */
  readonly debugging: boolean;

  constructor(
    private readonly target: Partial<ClientLogger> | undefined,
    private readonly redactor: Redactor,
  ) {
    this.debugging = typeof target?.debug === 'function';
  }

  debug(msg: string, fields?: Record<string, unknown>): void {
    this.write('debug', msg, fields);
  }

  info(msg: string, fields?: Record<string, unknown>): void {
    this.write('info', msg, fields);
  }

  warn(msg: string, fields?: Record<string, unknown>): void {
    this.write('warn', msg, fields);
  }

  private write(level: keyof ClientLogger, msg: string, fields?: Record<string, unknown>): void {
    const fn = this.target?.[level];
    if (!fn) return;
    try {
      const clean = fields === undefined ? undefined : (this.redactor.value(fields) as Record<string, unknown>);
      fn.call(this.target, this.redactor.text(msg), clean);
    } catch {
      // A broken logger must not break a payment.
    }
  }
}

/** A short, safe description of any thrown value for a log field. */
export function describeError(error: unknown): string {
  if (error instanceof JpayError || error instanceof Error) return `${error.name}: ${error.message}`;
  return String(error);
}

/**
 * One request as it arrives on `<prefix>/<tid>/cmd/<command>`: bytes → a checked envelope
 * `{"id", "args", "expires"}`, or the refusal that answers it. Nothing here runs a command;
 * the command table (commands.ts) checks the arguments against the protocol's rules.
 */
import { isSecretKey } from '../publish/sanitize';
import type { GatewayError } from './answer';
import { MAX_REQUEST_ID_LENGTH, REQUEST_ID } from './topics';
import { isRecord } from '../objects';

export interface GatewayRequest {
  id: string;
  command: string;
  args: Record<string, unknown>;
  /** The request must not start after this time. */
  expires?: Date;
}

export type RequestCheck = { ok: true; request: GatewayRequest } | { ok: false; id: string | null; error: GatewayError };

const ENVELOPE_FIELDS = new Set(['id', 'args', 'expires']);
/** Card data is never taken from the broker either (no manual entry over MQTT). */
const CARD_KEY = /^(?:manual|pan|plain[-_]?text[-_]?pan|plainTextPan|expiry|cardholder)$/i;
/** An ISO 8601 date-time with its zone (`Z` or `+03:00`): a local time would mean something else on each machine. */
const ISO_WITH_ZONE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:\d{2})$/;
const MAX_DEPTH = 8;

/** The path of the first key that names a secret or card data, anywhere in the request. */
export function secretField(value: unknown, path = '', depth = 0): string | undefined {
  if (depth > MAX_DEPTH || value === null || typeof value !== 'object') return undefined;
  const entries: [string, unknown][] = Array.isArray(value) ? value.map((v, i) => [String(i), v]) : Object.entries(value);
  for (const [key, item] of entries) {
    const here = path === '' ? key : `${path}.${key}`;
    if (!Array.isArray(value) && (isSecretKey(key) || CARD_KEY.test(key))) return here;
    const inner = secretField(item, here, depth + 1);
    if (inner !== undefined) return inner;
  }
  return undefined;
}

function fail(id: string | null, code: GatewayError['code'], message: string, field?: string): RequestCheck {
  return { ok: false, id, error: field === undefined ? { code, message } : { code, message, field } };
}

/**
 * Checks the envelope. `now` is the gateway's clock (ms); `maxBytes` bounds what is parsed
 * at all. The id is checked first so that every later refusal can be answered on its topic.
 */
export function checkRequest(command: string, payload: Buffer, now: number, maxBytes: number): RequestCheck {
  if (payload.length > maxBytes) return fail(null, 'too-large', `the request is larger than ${maxBytes} bytes`);
  let body: unknown;
  try {
    body = JSON.parse(payload.toString('utf8'));
  } catch {
    return fail(null, 'bad-json', 'the request is not JSON');
  }
  if (!isRecord(body)) return fail(null, 'bad-request', 'the request must be a JSON object {"id", "args", "expires"}');
  const rawId = body.id;
  if (rawId === undefined || rawId === null || rawId === '') return fail(null, 'bad-id', 'is required', 'id');
  if (typeof rawId !== 'string') return fail(null, 'bad-id', 'must be a string', 'id');
  if (rawId.length > MAX_REQUEST_ID_LENGTH) return fail(null, 'bad-id', `must be at most ${MAX_REQUEST_ID_LENGTH} characters`, 'id');
  if (!REQUEST_ID.test(rawId)) return fail(null, 'bad-id', 'must be letters, digits, ., _, : or -, starting with a letter or digit', 'id');
  const id = rawId;
  const secret = secretField(body);
  if (secret !== undefined) {
    return fail(id, 'secret-refused', 'passwords, tokens and card data are never taken over MQTT: the admin password stays in the terminal configuration', secret);
  }
  for (const key of Object.keys(body)) {
    if (!ENVELOPE_FIELDS.has(key)) return fail(id, 'bad-request', 'is not a field of a request (id, args, expires)', key.slice(0, 64));
  }
  let expires: Date | undefined;
  if (body.expires !== undefined && body.expires !== null) {
    const text = body.expires;
    const at = typeof text === 'string' && ISO_WITH_ZONE.test(text) ? Date.parse(text) : NaN;
    if (Number.isNaN(at)) return fail(id, 'bad-expires', 'must be an ISO 8601 time with its zone, e.g. 2025-01-31T23:59:00Z', 'expires');
    if (at <= now) return fail(id, 'expired', 'the request expired before the gateway got it: nothing was done', 'expires');
    expires = new Date(at);
  }
  let args: Record<string, unknown> = {};
  if (body.args !== undefined && body.args !== null) {
    if (!isRecord(body.args)) return fail(id, 'bad-args', 'must be an object', 'args');
    args = body.args;
  }
  const request: GatewayRequest = { id, command, args };
  if (expires !== undefined) request.expires = expires;
  return { ok: true, request };
}

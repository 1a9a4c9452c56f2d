/**
 * The gateway's answer to one request (docs/fleet.md, "Answers"): the outcome in one word,
 * the terminal's status when it answered, and either the result (the same payload the
 * Node-RED nodes put in msg.payload) or an error with a code. Plain JSON, scrubbed of
 * secrets and full PANs before it leaves (lib/publish/sanitize.ts).
 */
import { JpayAbortError } from '../client/abort';
import {
  JpayConnectionError,
  JpayProtocolError,
  JpayStatusError,
  JpayTimeoutError,
  JpayValidationError,
  TransactionOutcomeUnknown,
} from '../errors';
import { maskPansInText, sanitizeValue } from '../publish/sanitize';
import { RecoveryPendingError } from '../recovery/errors';
import { outcomeUnknownPayload } from '../results/outcome-unknown';

export const ANSWER_FORMAT = 'jpay-answer/1';

export type GatewayOutcome =
  /** A command other than a payment did what it was asked. */
  | 'ok'
  | 'approved'
  | 'declined'
  | 'cancelled'
  /** The terminal answered with a non-ok status (or a settlement that did not pass). */
  | 'failed'
  /** A payment was (or may have been) sent and no usable answer came: never repeat it blindly. */
  | 'outcome-unknown'
  /** A payment with this id is running now; ask again later with the same id. */
  | 'in-progress'
  /** The gateway refused the request: nothing was sent to the terminal, nothing changed. */
  | 'refused'
  /** The terminal could not be reached or did not answer in time (not a payment: safe to ask again). */
  | 'error';

/** Codes of `error.code`: the gateway's refusals, then what the terminal or the link did. */
export type GatewayErrorCode =
  | 'too-large'
  | 'bad-json'
  | 'bad-request'
  | 'bad-id'
  | 'bad-expires'
  | 'expired'
  | 'secret-refused'
  | 'unknown-command'
  | 'disabled'
  | 'bad-args'
  | 'id-conflict'
  | 'busy'
  | 'rate-limited'
  | 'store-failed'
  | 'recovery-pending'
  | 'closing'
  | 'gateway-restarted'
  | 'outcome-unknown'
  | 'status'
  | 'connection'
  | 'timeout'
  | 'protocol'
  | 'internal';

export interface GatewayError {
  code: GatewayErrorCode;
  message: string;
  /** The request field at fault (`id`, `args.amount`). */
  field?: string;
}

export interface GatewayAnswer {
  format: typeof ANSWER_FORMAT;
  /** The request's id; null when the request had none usable. */
  id: string | null;
  /** The command of the request topic, when it named one. */
  command?: string;
  terminalId: string;
  /** True for `ok` and `approved`. */
  ok: boolean;
  outcome: GatewayOutcome;
  /** The terminal's status (`ok`, `notapproved`, `cancelled`…), when it answered. */
  status?: string;
  result?: unknown;
  error?: GatewayError;
  /** The answer of an earlier request with the same id (a payment is never started twice). */
  duplicate?: true;
  /** When the answer was made (UTC). */
  at: string;
}

const MAX_MESSAGE = 500;

export function answerOk(outcome: GatewayOutcome): boolean {
  return outcome === 'ok' || outcome === 'approved';
}

export interface AnswerBase {
  id: string | null;
  command?: string;
  terminalId: string;
  at?: Date;
}

export function makeAnswer(base: AnswerBase, outcome: GatewayOutcome, fields: { status?: string; result?: unknown; error?: GatewayError } = {}): GatewayAnswer {
  const answer: GatewayAnswer = {
    format: ANSWER_FORMAT,
    id: base.id,
    terminalId: base.terminalId,
    ok: answerOk(outcome),
    outcome,
    at: (base.at ?? new Date()).toISOString(),
  };
  if (base.command !== undefined) answer.command = base.command;
  if (fields.status !== undefined) answer.status = fields.status;
  if (fields.result !== undefined) answer.result = sanitizeValue(fields.result);
  if (fields.error !== undefined) answer.error = cleanError(fields.error);
  return answer;
}

export function refusal(base: AnswerBase, code: GatewayErrorCode, message: string, field?: string): GatewayAnswer {
  return makeAnswer(base, 'refused', { error: field === undefined ? { code, message } : { code, message, field } });
}

function cleanError(error: GatewayError): GatewayError {
  const message = maskPansInText(error.message);
  const out: GatewayError = { code: error.code, message: message.length > MAX_MESSAGE ? `${message.slice(0, MAX_MESSAGE - 1)}…` : message };
  if (error.field !== undefined) out.field = error.field;
  return out;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}

/** The answer for a command that rejected (library errors are already free of secrets). */
export function answerForError(base: AnswerBase, error: unknown): GatewayAnswer {
  if (error instanceof TransactionOutcomeUnknown) {
    return makeAnswer(base, 'outcome-unknown', { result: outcomeUnknownPayload(error), error: { code: 'outcome-unknown', message: error.message } });
  }
  if (error instanceof JpayStatusError) return makeAnswer(base, 'failed', { status: error.status, error: { code: 'status', message: error.message } });
  if (error instanceof JpayValidationError) return refusal(base, 'bad-args', error.rule, `args.${error.field}`);
  if (error instanceof RecoveryPendingError) return refusal(base, 'recovery-pending', error.message);
  if (error instanceof JpayAbortError) return refusal(base, 'closing', 'the gateway is closing: the command was not sent');
  if (error instanceof JpayTimeoutError) return makeAnswer(base, 'error', { error: { code: 'timeout', message: error.message } });
  if (error instanceof JpayConnectionError) return makeAnswer(base, 'error', { error: { code: 'connection', message: error.message } });
  if (error instanceof JpayProtocolError) return makeAnswer(base, 'error', { error: { code: 'protocol', message: messageOf(error) } });
  return makeAnswer(base, 'error', { error: { code: 'internal', message: messageOf(error) } });
}

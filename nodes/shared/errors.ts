/**
 * Library errors as Node-RED nodes report them with done(err): each gets a stable `code`
 * that the runtime copies to `msg.error.code` for Catch nodes.
 */
import {
  JpayConnectionError,
  JpayError,
  JpayProtocolError,
  JpayStatusError,
  JpayTimeoutError,
  JpayValidationError,
  TransactionOutcomeUnknown,
} from '../../lib/errors';

export const ERROR_CODES = {
  outcomeUnknown: 'JPAY_OUTCOME_UNKNOWN',
  validation: 'JPAY_VALIDATION',
  connection: 'JPAY_CONNECTION',
  timeout: 'JPAY_TIMEOUT',
  status: 'JPAY_STATUS',
  protocol: 'JPAY_PROTOCOL',
  closed: 'JPAY_CLOSED',
  noTerminal: 'JPAY_NO_TERMINAL',
  busy: 'JPAY_BUSY',
  other: 'JPAY_ERROR',
} as const;
export type FlowErrorCode = (typeof ERROR_CODES)[keyof typeof ERROR_CODES];

/** An error raised by a node itself (no terminal configured, node closing…). */
export class JpayFlowError extends JpayError {
  readonly code: FlowErrorCode;
  constructor(code: FlowErrorCode, message: string) {
    super(message);
    this.code = code;
  }
}

export function errorCode(err: unknown): FlowErrorCode {
  if (err instanceof JpayFlowError) return err.code;
  if (err instanceof TransactionOutcomeUnknown) return ERROR_CODES.outcomeUnknown;
  if (err instanceof JpayValidationError) return ERROR_CODES.validation;
  if (err instanceof JpayConnectionError) return ERROR_CODES.connection;
  if (err instanceof JpayTimeoutError) return ERROR_CODES.timeout;
  if (err instanceof JpayStatusError) return ERROR_CODES.status;
  if (err instanceof JpayProtocolError) return ERROR_CODES.protocol;
  return ERROR_CODES.other;
}

/**
 * The error to hand to done(): an Error whose own `code` is one of ERROR_CODES. Library
 * errors keep their class and fields; a protocol error's own code (`bad-xml`…) moves to
 * `protocolCode`.
 */
export function toFlowError(err: unknown): Error & { code: FlowErrorCode } {
  const code = errorCode(err);
  const error = err instanceof Error ? err : new JpayError(String(err));
  if (error instanceof JpayProtocolError) {
    return Object.assign(new JpayFlowError(code, error.message), { name: error.name, protocolCode: error.code });
  }
  if (!(error instanceof JpayFlowError)) Object.defineProperty(error, 'code', { value: code, enumerable: true, configurable: true });
  return error as Error & { code: FlowErrorCode };
}

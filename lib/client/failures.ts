/**
 * Maps how an exchange failed to the public error types (DESIGN §2):
 * nothing sent → JpayConnectionError / AbortError; a transaction that may have been sent
 * → TransactionOutcomeUnknown; anything else → timeout, protocol or connection error.
 */
import {
  JpayConnectionError,
  JpayError,
  JpayProtocolError,
  OutcomeUnknownPhase,
  outcomeUnknownReason,
  TransactionOutcomeUnknown,
  UnknownTransactionInfo,
} from '../errors';
import type { CommandName, TransactionRequest } from '../protocol/types';
import { ExchangeFailure, ExchangePhase } from './exchange';

/** The option that set the frame limit of the connection. */
export type FrameLimitOption = 'maxFrameSize' | 'maxReportFrameSize';

export interface FailureContext {
  command: CommandName;
  host: string;
  port: number;
  frameLimit: FrameLimitOption;
  /** Set for a transaction: what to report when its outcome is unknown. */
  transaction?: TransactionRequest;
  lastDisplayCode?: string;
}

const OUTCOME_PHASE: Record<Exclude<ExchangePhase, 'connect'>, OutcomeUnknownPhase> = {
  sending: 'sending',
  'awaiting-response': 'awaiting-response',
  'in-dialogue': 'in-dialogue',
};

/** What is known about a transaction, without PAN or password. */
export function transactionInfo(
  req: TransactionRequest,
  ctx: { host: string; port: number; sentAt: Date; lastDisplayCode?: string },
): UnknownTransactionInfo {
  const info: UnknownTransactionInfo = { type: req.type, host: ctx.host, port: ctx.port, sentAt: ctx.sentAt.toISOString() };
  if (req.amount !== undefined) info.amount = req.amount;
  if (req.amountOther !== undefined) info.amountOther = req.amountOther;
  if (req.currency !== undefined) info.currency = req.currency;
  if (req.number !== undefined) info.number = req.number;
  if (req.sbp !== undefined) info.sbp = req.sbp;
  if (ctx.lastDisplayCode !== undefined) info.lastDisplayCode = ctx.lastDisplayCode;
  return info;
}

/** A frame over the limit names the option that sets it. */
function namedFrameLimit(error: JpayProtocolError, option: FrameLimitOption): JpayProtocolError {
  return new JpayProtocolError('frame-too-large', `${error.message} (${option})`, { cause: error });
}

export function mapFailure(thrown: unknown, ctx: FailureContext): Error {
  if (!(thrown instanceof ExchangeFailure)) return thrown instanceof Error ? thrown : new JpayError(String(thrown));
  let error = thrown;
  const { command, host, port } = ctx;
  if (error.kind === 'aborted' || error.kind === 'connect') return error.error;
  if (!error.mayHaveSent) return new JpayError(`client closed before ${command} was sent`, { cause: error.error });
  if (error.error instanceof JpayProtocolError && error.error.code === 'frame-too-large') {
    error = new ExchangeFailure(error.phase, error.kind, namedFrameLimit(error.error, ctx.frameLimit), error.sentAt);
  }

  if (ctx.transaction && error.phase !== 'connect') {
    // A timeout's error is a JpayTimeoutError naming the limit that fired (idle or cap).
    const cause = error.kind === 'closed' ? new JpayError('client closed during the transaction', { cause: error.error }) : error.error;
    const info = transactionInfo(ctx.transaction, {
      host,
      port,
      sentAt: error.sentAt ?? new Date(),
      ...(ctx.lastDisplayCode === undefined ? {} : { lastDisplayCode: ctx.lastDisplayCode }),
    });
    const reason = error.kind === 'closed' ? 'client-closed' : outcomeUnknownReason(cause);
    return new TransactionOutcomeUnknown(OUTCOME_PHASE[error.phase], info, { cause, reason });
  }

  switch (error.kind) {
    case 'timeout':
    case 'idle':
    case 'protocol':
      return error.error;
    case 'closed':
      return new JpayError(`client closed while ${command} was running`, { cause: error.error });
    default:
      return new JpayConnectionError(`connection to ${host}:${port} lost before the ${command} response: ${error.error.message}`, host, port, {
        cause: error.error,
      });
  }
}

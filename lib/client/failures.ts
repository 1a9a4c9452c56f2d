/**
 * Maps how an exchange failed to the public error types (DESIGN §2):
 * nothing sent → JpayConnectionError / AbortError; a transaction that may have been sent
 * → TransactionOutcomeUnknown; anything else → timeout, protocol or connection error.
 */
import {
  JpayConnectionError,
  JpayError,
  JpayTimeoutError,
  OutcomeUnknownPhase,
  outcomeUnknownReason,
  TransactionOutcomeUnknown,
  UnknownTransactionInfo,
} from '../errors';
import type { CommandName, TransactionRequest } from '../protocol/types';
import { ExchangeFailure, ExchangePhase } from './dialogue';

export interface FailureContext {
  command: CommandName;
  host: string;
  port: number;
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

export function mapFailure(error: unknown, ctx: FailureContext): Error {
  if (!(error instanceof ExchangeFailure)) return error instanceof Error ? error : new JpayError(String(error));
  const { command, host, port } = ctx;
  if (error.kind === 'aborted' || error.kind === 'connect') return error.error;
  if (!error.mayHaveSent) return new JpayError(`client closed before ${command} was sent`, { cause: error.error });

  if (ctx.transaction && error.phase !== 'connect') {
    const cause =
      error.kind === 'timeout' || error.kind === 'idle'
        ? new JpayTimeoutError('transaction', error.timeoutMs ?? 0)
        : error.kind === 'closed'
          ? new JpayError('client closed during the transaction', { cause: error.error })
          : error.error;
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
      return new JpayTimeoutError('command', error.timeoutMs ?? 0);
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

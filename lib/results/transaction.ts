/**
 * A TransactionResult → its result payload (the transaction node's output, the gateway's
 * answer). Plain data only (no Secret, no Buffer), so a debug node or an MQTT client can
 * take it as it is. The full PAN is left out unless the node's opt-in is set. Approved, declined or unknown is
 * the client's decision (lib/protocol/transaction-answer.ts): an answer that contradicts
 * itself never gets here, it is a TransactionOutcomeUnknown.
 */
import { describeStatus, isStatusCode } from '../protocol/status';
import type { Language, Receipt, TransactionRequest, TransactionResult } from '../protocol/types';

/** A transaction request without manual card entry (that would carry a PAN in the payload). */
export type FlowTransactionRequest = Omit<TransactionRequest, 'manual'>;

export interface TransactionPayload {
  /** The terminal's status as sent (`ok`, `cancelled`, `notapproved`…). */
  status: string;
  /** The status explained, in the terminal's language. */
  statusText: string;
  ok: boolean;
  /** True only if a receipt is present and approved. */
  approved: boolean;
  /** What was asked, minor units (absent for a void without an amount). */
  requestedAmount?: number;
  /** What the receipt authorized, minor units: the amount that moved. */
  authorizedAmount?: number;
  /** Set when the receipt authorized another amount than requested (a dex answer may change 9F02). */
  amountMismatch?: true;
  receipt?: Receipt;
  /** The terminal's error stack, decoded. */
  errors: string[];
  /** What was asked (no card data). */
  request: FlowTransactionRequest;
  /** The full PAN, only with the node's explicit opt-in and over an encrypted session. */
  plainTextPan?: string;
}

export interface ShapeOptions {
  includePlainTextPan: boolean;
  language: Language;
}

export function statusText(status: string, language: Language): string {
  return isStatusCode(status) ? describeStatus(status, language) : describeStatus('unknown', language);
}

export function transactionPayload(
  result: TransactionResult,
  request: FlowTransactionRequest,
  options: ShapeOptions,
): TransactionPayload {
  const payload: TransactionPayload = {
    status: result.status,
    statusText: statusText(result.status, options.language),
    ok: result.ok,
    approved: result.approved,
    errors: [...result.errors],
    request: { ...request },
  };
  if (result.requestedAmount !== undefined) payload.requestedAmount = result.requestedAmount;
  if (result.authorizedAmount !== undefined) payload.authorizedAmount = result.authorizedAmount;
  if (result.amountMismatch) payload.amountMismatch = true;
  if (result.receipt) payload.receipt = result.receipt;
  if (options.includePlainTextPan && result.plainTextPan) payload.plainTextPan = result.plainTextPan.reveal();
  return payload;
}

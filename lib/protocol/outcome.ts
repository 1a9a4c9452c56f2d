// A transaction's outcome in one word, and a decline in words. One decision for the nodes'
// `msg.payload.outcome` and the CLI's `--json` `outcome`, so both use the same names.

import { describeStatus, isStatusCode } from './status';
import type { Language, Receipt, TransactionResult } from './types';

/**
 * - `approved`: the receipt is approved — money moved;
 * - `declined`: the card, the bank or the terminal refused it (a declined receipt, or `notapproved`);
 * - `cancelled`: stopped before it was decided (the cardholder, `msg.cancel`, `--cancel-after`);
 * - `failed`: the terminal could not run it (a reader error, a timeout on the terminal, …);
 * - `unknown`: the answer did not arrive or contradicted itself: the card MAY have been charged.
 * Only `approved` took money; only `unknown` needs a check (the report, or a void of "last").
 */
export type TransactionOutcome = 'approved' | 'declined' | 'cancelled' | 'failed' | 'unknown';

/** The outcome of an answer (an answer never is `unknown`: the client turns those into errors). */
export function transactionOutcome(result: Pick<TransactionResult, 'approved' | 'status' | 'receipt'>): Exclude<TransactionOutcome, 'unknown'> {
  if (result.approved) return 'approved';
  if (result.status === 'cancelled') return 'cancelled';
  if (result.receipt !== undefined || result.status === 'ok' || result.status === 'notapproved') return 'declined';
  return 'failed';
}

/** The receipt's `decline-reason` values (§ Receipt, "decline-reason"). */
const DECLINE_REASONS: Readonly<Record<string, { readonly en: string; readonly ru: string }>> = {
  onlinedeclined: { en: 'Declined by the bank', ru: 'Отклонено банком' },
  offlinedeclined: { en: 'Declined offline by the card', ru: 'Отклонено картой (офлайн)' },
  unabletogoonline: { en: 'Declined: no connection to the bank', ru: 'Отклонено: нет связи с банком' },
  systemerror: { en: 'Declined: system error', ru: 'Отклонено: системная ошибка' },
  cardprocessingerror: { en: 'Declined: card processing error', ru: 'Отклонено: ошибка обработки карты' },
};

const DECLINED = { en: 'Declined', ru: 'Отклонено' } as const;

/**
 * A declined receipt in words: the reason, then the bank's response code and its text as
 * the terminal printed them — `Declined by the bank: Insufficient funds (051)`.
 */
export function describeDecline(receipt: Pick<Receipt, 'declineReason' | 'respCode' | 'respCodeDescription'> | undefined, language: Language): string {
  const reason = receipt?.declineReason?.trim().toLowerCase() ?? '';
  const head = Object.hasOwn(DECLINE_REASONS, reason) ? DECLINE_REASONS[reason][language] : DECLINED[language];
  const text = receipt?.respCodeDescription?.trim() ?? '';
  const code = receipt?.respCode?.trim() ?? '';
  const detail = text !== '' && code !== '' ? `${text} (${code})` : text !== '' ? text : code;
  return detail === '' ? head : `${head}: ${detail}`;
}

/** What the flow reads as `statusText`: the decline when declined, else the terminal's status explained. */
export function outcomeText(result: Pick<TransactionResult, 'approved' | 'status' | 'receipt'>, language: Language): string {
  if (transactionOutcome(result) === 'declined' && result.receipt !== undefined) return describeDecline(result.receipt, language);
  return isStatusCode(result.status) ? describeStatus(result.status, language) : describeStatus('unknown', language);
}

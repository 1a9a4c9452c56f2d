/**
 * What a transaction answer must be to be believed, and what it says about the amount.
 * One rule, used by the client (and so by the CLI and the nodes): an answer that breaks it
 * is neither approved nor declined — the client makes the outcome unknown and recovery
 * reads the terminal's report.
 *
 * Contradictions (the answer against itself, §8.9 / §8.10):
 *  - a decisive element twice: the response's `status` or `receipt`; the receipt's
 *    `tstatus`, `status`, `type`, `seq`, `amount-authorized`, `amount-other`, `currency`,
 *    `datetime`, `tid`, `iface` or `decline-reason` (even with equal values: an answer
 *    says each thing once, and a parser that takes the first is what an injector counts on);
 *  - no `status`;
 *  - status `ok` and no receipt (approved needs a receipt; a terminal that did nothing says
 *    so with a status), or an approved receipt and a status other than `ok`;
 *  - a receipt without a status (`tstatus`, or `status` on SBP/MIFARE receipts), one whose
 *    status is neither approved nor declined, or whose `tstatus` and `status` disagree;
 *  - an approved receipt with a decline reason, or (card and SBP) without a readable
 *    `amount-authorized`.
 * Not a contradiction: `resp-code`. Its format belongs to the acquirer or the SBP agent
 * (§8.10: the CFT example approves with an empty one), so it cannot overrule `tstatus`.
 *
 * Mismatches (the answer against the request):
 *  - the receipt's `type` does not fit (receiptTypeFits);
 *  - a plain purchase answered with a cashback amount;
 *  - the receipt's currency is not the one the request named;
 *  - an SBP receipt when SBP was not offered (`force-sbp` false), or a card receipt when
 *    only SBP was (`force-sbp` true).
 * Not a mismatch: the amount. A dex answer may change 9F02 on purpose; the authorized
 * amount is reported next to the requested one and flagged (transactionAmounts).
 */
import { childElement, Packet, XmlElement } from '../codec/packet';
import { parseStatus } from './status';
import type { Receipt, TransactionRequest, TransactionResult, TransactionType } from './types';

export type AnswerProblemCode = 'contradictory-answer' | 'mismatched-answer';

export interface AnswerProblem {
  code: AnswerProblemCode;
  /** What is wrong, for a person; no card data. */
  detail: string;
}

const RESPONSE_ONCE = ['status', 'receipt'] as const;
const RECEIPT_ONCE = ['tstatus', 'status', 'type', 'seq', 'amount-authorized', 'amount-other', 'currency', 'datetime', 'tid', 'iface', 'decline-reason'] as const;

/** Lower case, letters only: `Purchase-Reversal` → `purchasereversal`. */
function norm(s: string | undefined): string {
  return (s ?? '').toLowerCase().replace(/[^a-z]/g, '');
}

/**
 * Whether a receipt's `type` can answer a request's type. §8.9 allows purchase, refund,
 * purchasereversal, refundreversal; spellings with hyphens or capitals are read the same.
 * purchase (and purchase-with-cashback) → purchase (the SBP example's `payment` too, and a
 * `purchasewithcashback` for cashback); refund → refund; void → either reversal.
 */
export function receiptTypeFits(request: TransactionType, receiptType: string): boolean {
  return Object.hasOwn(FITTING_RECEIPT_TYPES, request) && FITTING_RECEIPT_TYPES[request].includes(norm(receiptType));
}

const FITTING_RECEIPT_TYPES: Readonly<Record<TransactionType, readonly string[]>> = {
  purchase: ['purchase', 'payment'],
  'purchase-with-cashback': ['purchase', 'purchasewithcashback', 'payment'],
  refund: ['refund'],
  void: ['purchasereversal', 'refundreversal'],
};

function duplicated(el: XmlElement, names: readonly string[]): string | undefined {
  return names.find((name) => Object.prototype.hasOwnProperty.call(el, name) && Array.isArray(el[name]));
}

/** The answer against itself (see the top of this file). */
export function answerContradiction(p: Packet, result: TransactionResult): AnswerProblem | undefined {
  const fail = (detail: string): AnswerProblem => ({ code: 'contradictory-answer', detail });
  const twice = duplicated(p.body, RESPONSE_ONCE);
  if (twice !== undefined) return fail(`the answer carries <${twice}> more than once`);
  const receiptElement = childElement(p.body, 'receipt');
  if (receiptElement !== undefined) {
    const inner = duplicated(receiptElement, RECEIPT_ONCE);
    if (inner !== undefined) return fail(`the receipt carries <${inner}> more than once`);
  }
  if (parseStatus(result.status).raw === '') return fail('the answer carries no status');
  const receipt = result.receipt;
  if (receipt === undefined) return result.ok ? fail('status ok without a receipt') : undefined;
  // approved / declined / something else / nothing, as the receipt states it.
  const [tstatus, status] = [norm(receipt.tstatus), norm(receipt.paymentStatus)];
  const decisive = tstatus || status;
  if (decisive === '') return fail('the receipt states no status (tstatus)');
  if (decisive !== 'approved' && decisive !== 'declined') return fail(`the receipt status "${(receipt.tstatus || receipt.paymentStatus || '').slice(0, 32)}" is neither approved nor declined`);
  if (tstatus && status && tstatus !== status) return fail(`the receipt says tstatus ${tstatus} and status ${status}`);
  if (!receipt.approved) return undefined;
  if (!result.ok) return fail(`an approved receipt with status ${result.status.slice(0, 32) || '(none)'}`);
  if (receipt.declineReason !== undefined && receipt.declineReason.trim() !== '') return fail('an approved receipt with a decline reason');
  if (norm(receipt.iface) !== 'mifare' && receipt.amountAuthorized === undefined) return fail('an approved receipt without a readable amount-authorized');
  return undefined;
}

/** The answer against the request (see the top of this file). Only what the receipt states is compared. */
export function answerMismatch(request: TransactionRequest, result: TransactionResult): AnswerProblem | undefined {
  const receipt = result.receipt;
  if (receipt === undefined || norm(receipt.iface) === 'mifare') return undefined;
  const fail = (detail: string): AnswerProblem => ({ code: 'mismatched-answer', detail });
  if (receipt.type !== undefined && !receiptTypeFits(request.type, receipt.type)) {
    return fail(`a ${receipt.type.slice(0, 32)} receipt for a ${request.type}`);
  }
  if (request.type === 'purchase' && receipt.amountOther !== undefined && receipt.amountOther > 0) return fail('a cashback receipt for a purchase');
  if (request.currency !== undefined && receipt.currency !== undefined && receipt.currency.trim() !== request.currency) {
    return fail(`a receipt in currency ${receipt.currency.slice(0, 8)} for a request in ${request.currency}`);
  }
  const sbpReceipt = norm(receipt.iface) === 'sbp';
  if (request.sbp === false && sbpReceipt) return fail('an SBP receipt for a request that did not offer SBP');
  if (request.sbp === true && !sbpReceipt) return fail('a card receipt for an SBP-only request');
  return undefined;
}

/** The requested and the authorized amount, and whether the receipt authorized another amount. */
export type TransactionAmounts = Pick<TransactionResult, 'requestedAmount' | 'authorizedAmount' | 'amountMismatch'>;

export function transactionAmounts(request: TransactionRequest, receipt: Receipt | undefined): TransactionAmounts {
  const amounts: TransactionAmounts = {};
  if (request.amount !== undefined) amounts.requestedAmount = request.amount;
  const authorized = receipt?.amountAuthorized;
  if (authorized !== undefined) amounts.authorizedAmount = authorized;
  if (request.amount === undefined || authorized === undefined) return amounts;
  // Cashback: the document does not say whether amount-authorized includes amount-other
  // (EMV's 9F02 does): both readings match.
  const withOther = request.type === 'purchase-with-cashback' && request.amountOther !== undefined ? request.amount + request.amountOther : request.amount;
  if (authorized !== request.amount && authorized !== withOther) amounts.amountMismatch = true;
  return amounts;
}

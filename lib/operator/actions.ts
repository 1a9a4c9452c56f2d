/**
 * What an operator may do from a screen to a terminal of the board: a connection test, an
 * X-report (brief), and a test purchase — the purchase only with a confirmation issued for
 * that amount on that terminal (PurchaseConfirmations), and through the recovery journal
 * when the terminal has one, so a lost answer is recovered like any other sale. Results
 * are for a screen: masked PAN, no card data.
 */
import { randomUUID } from 'node:crypto';
import { TransactionOutcomeUnknown } from '../errors';
import { summarizeReceipt, type ReceiptSummary } from '../gateway/terminal-state';
import type { OperationTotals } from '../protocol/types';
import { maskPansInText } from '../publish/sanitize';
import type { BoardTerminal } from './terminal-board';

/** Test purchases are small: at most 1,000.00 in minor units. */
export const MAX_TEST_PURCHASE = 100_000;
/** A confirmation is good for one minute. */
export const CONFIRMATION_MS = 60_000;
/** Who owns a test purchase in the recovery journal (its outcome, if kept, waits for a person). */
export const TEST_PURCHASE_OWNER = 'jpay-operator-test-purchase';

export class OperatorActionError extends Error {
  /** bad-request: the input is wrong (HTTP 400); conflict: the confirmation does not hold (409). */
  readonly kind: 'bad-request' | 'conflict';
  constructor(kind: OperatorActionError['kind'], message: string) {
    super(message);
    this.name = 'OperatorActionError';
    this.kind = kind;
  }
}

export type ActionResult =
  | { ok: true; action: 'test-connection' }
  | { ok: true; action: 'x-report'; tid?: string; currency?: string; time?: string; transactions: number; totals?: OperationTotals }
  | {
      ok: true;
      action: 'test-purchase';
      /** approved / declined (any other status: its code in `status`) / unknown: the answer was lost. */
      outcome: 'approved' | 'declined' | 'outcome-unknown';
      amount: number;
      status?: string;
      receipt?: ReceiptSummary;
      message?: string;
    }
  | { ok: false; action: string; error: string };

function describe(error: unknown): string {
  return maskPansInText(error instanceof Error ? error.message : String(error));
}

/** A test purchase amount: a whole number of minor units, 1…MAX_TEST_PURCHASE. */
export function parseTestAmount(value: unknown): number {
  const n = typeof value === 'string' && /^\d{1,9}$/.test(value.trim()) ? Number(value) : value;
  if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < 1 || n > MAX_TEST_PURCHASE) {
    throw new OperatorActionError('bad-request', `amount: a whole number of minor units from 1 to ${MAX_TEST_PURCHASE}`);
  }
  return n;
}

export async function testConnection(t: BoardTerminal): Promise<ActionResult> {
  try {
    await t.client.testConnection();
    return { ok: true, action: 'test-connection' };
  } catch (error) {
    return { ok: false, action: 'test-connection', error: describe(error) };
  }
}

export async function xReport(t: BoardTerminal): Promise<ActionResult> {
  try {
    const report = await t.client.report('brief');
    const out: ActionResult = { ok: true, action: 'x-report', transactions: report.transactions.length };
    if (report.header.tid !== undefined) out.tid = report.header.tid;
    if (report.header.currency !== undefined) out.currency = report.header.currency;
    if (report.header.time !== undefined) out.time = report.header.time;
    if (report.grandTotals) out.totals = report.grandTotals;
    return out;
  } catch (error) {
    return { ok: false, action: 'x-report', error: describe(error) };
  }
}

/** Runs a purchase of `amount` now. Call it only with a confirmation taken (PurchaseConfirmations.take). */
export async function testPurchase(t: BoardTerminal, amount: number): Promise<ActionResult> {
  const request = { type: 'purchase' as const, amount };
  try {
    let result;
    if (t.recovery) {
      const sale = await t.recovery.transaction(t.client, request, { owner: TEST_PURCHASE_OWNER });
      if (sale.kind === 'unknown') return { ok: true, action: 'test-purchase', outcome: 'outcome-unknown', amount, message: describe(sale.error) };
      if (sale.kind === 'recovered') {
        return { ok: true, action: 'test-purchase', outcome: sale.result.outcome === 'approved' ? 'approved' : 'declined', amount, message: describe(sale.error) };
      }
      result = sale.result;
    } else {
      result = await t.client.transaction(request);
    }
    const out: ActionResult = { ok: true, action: 'test-purchase', outcome: result.approved ? 'approved' : 'declined', amount, status: result.status };
    if (result.receipt) out.receipt = summarizeReceipt(result.receipt, new Date());
    return out;
  } catch (error) {
    if (error instanceof TransactionOutcomeUnknown) return { ok: true, action: 'test-purchase', outcome: 'outcome-unknown', amount, message: describe(error) };
    return { ok: false, action: 'test-purchase', error: describe(error) };
  }
}

interface Pending {
  terminalId: string;
  amount: number;
  expires: number;
}

/**
 * One-use confirmations of a test purchase: `issue` names the terminal and the amount the
 * person is asked about; `take` gives the amount once, for that terminal, within a minute.
 * A second click, a replayed request or another terminal's token buys nothing.
 */
export class PurchaseConfirmations {
  readonly #pending = new Map<string, Pending>();
  readonly #now: () => number;
  readonly #max: number;

  constructor(options: { now?: () => number; max?: number } = {}) {
    this.#now = options.now ?? Date.now;
    this.#max = options.max ?? 100;
  }

  issue(terminalId: string, amount: number): { token: string; expiresInMs: number } {
    this.#prune();
    if (this.#pending.size >= this.#max) {
      // Bounded: the oldest confirmation goes.
      const oldest = this.#pending.keys().next().value;
      if (oldest !== undefined) this.#pending.delete(oldest);
    }
    const token = randomUUID();
    this.#pending.set(token, { terminalId, amount, expires: this.#now() + CONFIRMATION_MS });
    return { token, expiresInMs: CONFIRMATION_MS };
  }

  /** The confirmed amount; throws (conflict) when the token is unknown, used, expired or for another terminal. */
  take(terminalId: string, token: unknown): number {
    this.#prune();
    const pending = typeof token === 'string' ? this.#pending.get(token) : undefined;
    if (!pending || pending.terminalId !== terminalId) {
      throw new OperatorActionError('conflict', 'confirmation: unknown, used or expired — ask for a new confirmation');
    }
    this.#pending.delete(token as string);
    return pending.amount;
  }

  #prune(): void {
    const now = this.#now();
    for (const [token, p] of this.#pending) if (p.expires <= now) this.#pending.delete(token);
  }
}



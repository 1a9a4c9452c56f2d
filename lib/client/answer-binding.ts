/**
 * Binds a transaction's answer to its request. The answer must not contradict itself nor
 * the request (lib/protocol/transaction-answer.ts), and, for a bank or SBP receipt:
 *
 *  - its **time** must fit the time the transaction ran, on the terminal's clock. The
 *    clock is the offset between the terminal's local time and the host's, measured from
 *    the last receipt accepted or the last report read (its header's time): the receipt
 *    must lie in [sent + offset − tolerance, answered + offset + tolerance]. Before any
 *    measurement only the time zones bound it (UTC−12…UTC+14). An answer to another,
 *    earlier transaction carries that transaction's time and is refused (`receipt-time`).
 *  - its **number** (`seq`) must be newer than the newest this client has seen from the
 *    terminal in the same numbering — card receipts of one TID, SBP receipts of the agent's
 *    TID (§8.10: numbered apart). Numbers have 6 digits and wrap: "newer" is less than half
 *    the range ahead. A number at or behind the mark is refused (`stale-receipt`), unless
 *    the receipt's time is later than the mark's: the mark is the last receipt accepted,
 *    so every receipt the client saw carries its time or an earlier one, and one issued
 *    after it with a lower number comes from a terminal whose numbering restarted (a
 *    reset, a reinstall; some terminals after a settlement). The time check above keeps a
 *    clock set back from passing an old receipt off as later.
 *
 * A fresh client has no mark and no clock: the first answer only gets the zone-wide time
 * check. The marks and the clock live in memory; a `ReceiptWatermarkStore` (the recovery
 * journal) keeps them across restarts. MIFARE closed-loop receipts are the client's own
 * data (no number, no bank time): only the checks of lib/protocol apply to them.
 */
import type { Packet } from '../codec/packet';
import { JpayProtocolError, JpayValidationError } from '../errors';
import { answerContradiction, answerMismatch, transactionAmounts, type TransactionAmounts } from '../protocol/transaction-answer';
import type { Receipt, TransactionRequest, TransactionResult, XReport } from '../protocol/types';
import { localIsoToMs } from '../protocol/values';
import type { ClientLogger } from './options';
import { isRecord } from '../objects';

/** What a client knows of one terminal's receipts, for a store to keep. Plain JSON. */
export interface ReceiptWatermark {
  /** The newest receipt seen in each numbering (`card:<tid>`, `sbp:<tid>`): its number and its time (ISO local), if it had one. */
  marks: Record<string, { seq: number; time?: string }>;
  /** The terminal's local time (read as UTC) minus the host's clock lies in [minOffsetMs, maxOffsetMs], as last measured. */
  clock?: { minOffsetMs: number; maxOffsetMs: number };
}

/**
 * Keeps the watermark across restarts (the lead's recovery journal implements it).
 * `terminal` is `host:port`. `load` is called once, before the client's first check;
 * `save` after every change, awaited; a failure of either is logged and changes nothing.
 */
export interface ReceiptWatermarkStore {
  load(terminal: string): ReceiptWatermark | undefined | Promise<ReceiptWatermark | undefined>;
  save(terminal: string, watermark: ReceiptWatermark): unknown;
}

export const DEFAULT_RECEIPT_CLOCK_TOLERANCE_MS = 5 * 60_000;
const HOUR_MS = 3_600_000;
/** Time zones: UTC−12:00 … UTC+14:00. */
const ZONE_RANGE = { minOffsetMs: -12 * HOUR_MS, maxOffsetMs: 14 * HOUR_MS };
/** Receipt times are to the second (truncated): the true time is up to 1 s later. */
const RESOLUTION_MS = 1_000;
/** §8.9: receipt numbers have up to 6 digits. */
const RECEIPT_NUMBER_SPAN = 1_000_000;
/** Numberings remembered (a TID change starts a new one); the oldest goes first. */
const MAX_MARKS = 16;

export interface AnswerWindow {
  /** When the transaction was handed to the OS. */
  sentAt: Date;
  /** When its answer arrived. */
  receivedAt: Date;
}

/** Whether `seq` is ahead of `mark` in a numbering that wraps. */
export function isNewerReceiptNumber(seq: number, mark: number): boolean {
  const span = Math.max(RECEIPT_NUMBER_SPAN, 10 ** String(Math.max(seq, mark)).length);
  const ahead = (((seq - mark) % span) + span) % span;
  return ahead > 0 && ahead < span / 2;
}

function numberingOf(r: Receipt): string {
  return `${(r.iface ?? '').trim().toLowerCase() === 'sbp' ? 'sbp' : 'card'}:${(r.tid ?? '').trim()}`;
}

function isMifare(r: Receipt): boolean {
  return (r.iface ?? '').trim().toLowerCase() === 'mifare';
}

/** A loaded watermark, keeping only what has the right shape. */
function sanitize(value: unknown): ReceiptWatermark {
  const out: ReceiptWatermark = { marks: {} };
  if (!isRecord(value)) return out;
  if (isRecord(value.marks)) {
    for (const [key, mark] of Object.entries(value.marks).slice(-MAX_MARKS)) {
      if (!isRecord(mark) || !Number.isSafeInteger(mark.seq) || (mark.seq as number) < 0) continue;
      out.marks[key] = typeof mark.time === 'string' ? { seq: mark.seq as number, time: mark.time } : { seq: mark.seq as number };
    }
  }
  const clock = value.clock;
  if (isRecord(clock) && Number.isFinite(clock.minOffsetMs) && Number.isFinite(clock.maxOffsetMs) && (clock.minOffsetMs as number) <= (clock.maxOffsetMs as number)) {
    out.clock = { minOffsetMs: clock.minOffsetMs as number, maxOffsetMs: clock.maxOffsetMs as number };
  }
  return out;
}

export function validateWatermarkStore(value: unknown, field: string): ReceiptWatermarkStore | undefined {
  if (value === undefined) return undefined;
  if (!isRecord(value) || typeof value.load !== 'function' || typeof value.save !== 'function') {
    throw new JpayValidationError(field, 'must be an object with load(terminal) and save(terminal, watermark) functions');
  }
  return value as unknown as ReceiptWatermarkStore;
}

export class AnswerBinder {
  private watermark: ReceiptWatermark = { marks: {} };
  private loading: Promise<void> | undefined;

  constructor(
    private readonly terminal: string,
    private readonly toleranceMs: number,
    private readonly logger: ClientLogger,
    private readonly store?: ReceiptWatermarkStore,
  ) {}

  /** A copy of what the client knows now. */
  snapshot(): ReceiptWatermark {
    return structuredClone(this.watermark);
  }

  /**
   * Checks a transaction's answer against its request and the terminal's history. Throws
   * JpayProtocolError (`contradictory-answer`, `mismatched-answer`, `receipt-time`,
   * `stale-receipt`); otherwise remembers the receipt and returns the amounts.
   */
  async bind(request: TransactionRequest, response: Packet, result: TransactionResult, window: AnswerWindow): Promise<TransactionAmounts> {
    const problem = answerContradiction(response, result) ?? answerMismatch(request, result);
    if (problem) throw new JpayProtocolError(problem.code, problem.detail);
    const amounts = transactionAmounts(request, result.receipt);
    const receipt = result.receipt;
    if (receipt === undefined || isMifare(receipt)) return amounts;
    await this.load();
    const time = localIsoToMs(receipt.datetime);
    if (time !== undefined) this.checkTime(time, window);
    const numbering = numberingOf(receipt);
    const mark = this.watermark.marks[numbering];
    const seq = receipt.receiptNumber;
    if (seq !== undefined && mark !== undefined && !isNewerReceiptNumber(seq, mark.seq)) {
      const markTime = localIsoToMs(mark.time);
      const restarted = time !== undefined && markTime !== undefined && time > markTime;
      if (!restarted) throw new JpayProtocolError('stale-receipt', `receipt number ${seq} is not newer than ${mark.seq}, the newest seen from this terminal`);
      this.logger.info('the terminal numbers its receipts anew', { numbering, seq, previous: mark.seq });
    }
    let changed = false;
    if (seq !== undefined) {
      delete this.watermark.marks[numbering]; // re-inserted last: the newest numbering is evicted last
      this.watermark.marks[numbering] = receipt.datetime === undefined ? { seq } : { seq, time: receipt.datetime };
      const keys = Object.keys(this.watermark.marks);
      if (keys.length > MAX_MARKS) delete this.watermark.marks[keys[0]];
      changed = true;
    }
    if (time !== undefined) {
      this.watermark.clock = this.measured(time, window);
      changed = true;
    }
    if (changed) await this.save();
    return amounts;
  }

  /** A report's header time measures the terminal's clock (read between sentAt and receivedAt). */
  async observeReport(report: XReport, window: AnswerWindow): Promise<void> {
    const time = localIsoToMs(report.header.time);
    if (time === undefined) return;
    await this.load();
    this.watermark.clock = this.measured(time, window);
    await this.save();
  }

  /** The offsets a terminal time stamped between sentAt and receivedAt allows. */
  private measured(time: number, window: AnswerWindow): { minOffsetMs: number; maxOffsetMs: number } {
    return { minOffsetMs: time - window.receivedAt.getTime(), maxOffsetMs: time - window.sentAt.getTime() + RESOLUTION_MS };
  }

  private checkTime(time: number, window: AnswerWindow): void {
    const clock = this.watermark.clock ?? ZONE_RANGE;
    const earliest = window.sentAt.getTime() + clock.minOffsetMs - RESOLUTION_MS - this.toleranceMs;
    const latest = window.receivedAt.getTime() + clock.maxOffsetMs + this.toleranceMs;
    if (time < earliest || time > latest) {
      const off = Math.round((time < earliest ? time - earliest : time - latest) / 1000);
      throw new JpayProtocolError(
        'receipt-time',
        `the receipt's time is ${Math.abs(off)} s ${off < 0 ? 'before' : 'after'} the transaction on the terminal's clock${this.watermark.clock ? '' : ' (any time zone)'}`,
      );
    }
  }

  private load(): Promise<void> {
    this.loading ??= (async () => {
      if (!this.store) return;
      try {
        const loaded = await this.store.load(this.terminal);
        if (loaded !== undefined) this.watermark = sanitize(loaded);
      } catch (error) {
        this.logger.warn('the receipt watermark could not be loaded; starting without one', { error: error instanceof Error ? error.message : String(error) });
      }
    })();
    return this.loading;
  }

  private async save(): Promise<void> {
    if (!this.store) return;
    try {
      await this.store.save(this.terminal, this.snapshot());
    } catch (error) {
      this.logger.warn('the receipt watermark could not be saved', { error: error instanceof Error ? error.message : String(error) });
    }
  }
}

/**
 * TransactionJournal: the durable in-flight journal. Before a transaction is sent it is
 * recorded (begin, fsync'd); an answer marks it answered, a lost answer marks it unknown
 * and leaves it unresolved until the recovery procedure (recover.ts) or a person decides.
 * It also remembers the newest receipt seen from each terminal (the "anchor" a later
 * recovery searches after) and every receipt already accounted for ("claims").
 *
 * One journal file per process: two journals on one file would interleave their writes.
 */
import { randomUUID } from 'node:crypto';
import type { TransactionOutcomeUnknown } from '../errors';
import type { TransactionStart } from '../client/transaction-hooks';
import type { Receipt, TransactionResult } from '../protocol/types';
import { JournalError } from './errors';
import { JournalFile, type JournalLine } from './journal-file';
import {
  ANNOTATION,
  terminalKey,
  type JournalEntry,
  type ReceiptRef,
  type RecoveryRecord,
  type TerminalKey,
} from './types';

export interface JournalOptions {
  /** Host clock (tests). */
  now?: () => Date;
  /** Compact on open when the file holds more lines than this (default 5000). */
  compactAbove?: number;
  /** Resolved entries younger than this survive compaction, as claims (default 7 days). */
  keepResolvedMs?: number;
}

const DEFAULT_COMPACT_ABOVE = 5000;
const DAY_MS = 86_400_000;

/** A receipt that can be found in the terminal's bank log (MIFARE receipts are the client's own). */
export function receiptRef(receipt: Receipt | undefined): ReceiptRef | undefined {
  if (!receipt || receipt.iface === 'mifare') return undefined;
  if (receipt.seq === undefined && receipt.rrn === undefined) return undefined;
  const ref: ReceiptRef = { approved: receipt.approved };
  if (receipt.seq !== undefined) ref.seq = receipt.seq;
  if (receipt.rrn !== undefined) ref.rrn = receipt.rrn;
  if (receipt.datetime !== undefined) ref.time = receipt.datetime;
  if (receipt.type !== undefined) ref.type = receipt.type;
  if (receipt.amountAuthorized !== undefined) ref.amount = receipt.amountAuthorized;
  if (receipt.tid !== undefined) ref.tid = receipt.tid;
  return ref;
}

function clone<T>(value: T): T {
  return structuredClone(value);
}

export class TransactionJournal {
  private readonly entries = new Map<string, JournalEntry>();
  private readonly anchors = new Map<TerminalKey, ReceiptRef>();
  private readonly tids = new Map<TerminalKey, string>();
  /** Entries this process began and has not settled: in flight right now, not leftovers. */
  private readonly live = new Set<string>();
  private readonly locks = new Map<TerminalKey, Promise<void>>();
  private readonly now: () => Date;

  private constructor(
    private readonly file: JournalFile,
    options: JournalOptions,
  ) {
    this.now = options.now ?? (() => new Date());
  }

  static async open(file: string, options: JournalOptions = {}): Promise<TransactionJournal> {
    const { journal: handle, lines } = await JournalFile.open(file);
    const journal = new TransactionJournal(handle, options);
    try {
      for (const line of lines) journal.apply(line);
      if (lines.length > (options.compactAbove ?? DEFAULT_COMPACT_ABOVE)) await journal.compact(options.keepResolvedMs ?? 7 * DAY_MS);
    } catch (error) {
      await handle.close();
      throw error;
    }
    return journal;
  }

  get path(): string {
    return this.file.file;
  }

  // ---- Writing ----

  /** Records a transaction about to be sent; resolves (with its id) once it is on disk. */
  async begin(start: TransactionStart): Promise<string> {
    const terminal = terminalKey(start.host, start.port);
    const id = randomUUID();
    const line: JournalLine = {
      v: 1,
      op: 'begin',
      id,
      at: this.now().toISOString(),
      terminal,
      request: clone(start.request),
      annotations: { ...start.annotations },
    };
    const anchor = this.anchors.get(terminal);
    if (anchor) line.anchor = clone(anchor);
    const tid = this.tids.get(terminal);
    if (tid) line.tid = tid;
    await this.write(line);
    this.live.add(id);
    return id;
  }

  async answered(id: string, result: TransactionResult): Promise<void> {
    const line: JournalLine = { v: 1, op: 'answered', id, at: this.now().toISOString(), status: result.status, approved: result.approved };
    const ref = receiptRef(result.receipt);
    if (ref) line.receipt = ref;
    await this.settle(id, line);
  }

  async unknown(id: string, error: TransactionOutcomeUnknown): Promise<void> {
    const line: JournalLine = { v: 1, op: 'unknown', id, at: this.now().toISOString(), phase: error.phase };
    if (error.transaction.lastDisplayCode !== undefined) line.lastDisplayCode = error.transaction.lastDisplayCode;
    await this.settle(id, line);
  }

  async notSent(id: string, reason: string): Promise<void> {
    await this.settle(id, { v: 1, op: 'not-sent', id, at: this.now().toISOString(), reason: reason.slice(0, 200) });
  }

  /** The recovery's decision for an entry. */
  async recovered(id: string, record: RecoveryRecord): Promise<void> {
    this.mustExist(id);
    await this.write({ v: 1, op: 'recovered', id, ...clone(record) });
  }

  /**
   * A person's decision (after checking the terminal or the bank): closes an unresolved
   * or ambiguous entry. Nothing is sent to the terminal.
   */
  async resolveManually(id: string, outcome: 'approved' | 'declined-or-not-recorded', note = ''): Promise<void> {
    await this.recovered(id, { outcome, at: this.now().toISOString(), candidates: 0, manual: true, note: note.slice(0, 500) });
  }

  /** The newest entry of a terminal's log, seen in a report: the next transaction's anchor. */
  async seen(terminal: TerminalKey, receipt: ReceiptRef): Promise<void> {
    await this.write({ v: 1, op: 'anchor', terminal, at: this.now().toISOString(), receipt: clone(receipt) });
  }

  /** Rewrites the file with what still matters: open entries, recent ones (claims) and the anchors. */
  async compact(keepResolvedMs = 7 * DAY_MS): Promise<void> {
    const cutoff = this.now().getTime() - keepResolvedMs;
    const lines: JournalLine[] = [];
    for (const entry of this.entries.values()) {
      const open = this.isUnresolved(entry) || this.needsReviewEntry(entry) || this.live.has(entry.id);
      if (!open && Date.parse(entry.begunAt) <= cutoff) {
        this.entries.delete(entry.id);
        continue;
      }
      lines.push(...entryLines(entry));
    }
    for (const [terminal, receipt] of this.anchors) lines.push({ v: 1, op: 'anchor', terminal, at: this.now().toISOString(), receipt });
    await this.file.rewrite(lines);
  }

  async close(): Promise<void> {
    await this.file.close();
  }

  // ---- Reading ----

  get(id: string): JournalEntry | undefined {
    const entry = this.entries.get(id);
    return entry && clone(entry);
  }

  list(terminal?: TerminalKey): JournalEntry[] {
    return [...this.entries.values()].filter((e) => terminal === undefined || e.terminal === terminal).map(clone);
  }

  /** Sent (or maybe sent) with no known outcome: unknown, or in flight in an earlier run of the process. */
  unresolved(terminal?: TerminalKey): JournalEntry[] {
    return this.list(terminal).filter((e) => this.isUnresolved(e));
  }

  /** Recovery could not tell (ambiguous): a person must look. Does not block new sales. */
  needsReview(terminal?: TerminalKey): JournalEntry[] {
    return this.list(terminal).filter((e) => this.needsReviewEntry(e));
  }

  isLive(id: string): boolean {
    return this.live.has(id);
  }

  anchor(terminal: TerminalKey): ReceiptRef | undefined {
    const a = this.anchors.get(terminal);
    return a && clone(a);
  }

  /** Receipts of this terminal already accounted for (answered or recovered entries). */
  claims(terminal: TerminalKey): ReceiptRef[] {
    const out: ReceiptRef[] = [];
    for (const e of this.entries.values()) {
      if (e.terminal !== terminal) continue;
      if (e.receipt) out.push(clone(e.receipt));
      if (e.recovery?.receipt && e.recovery.outcome !== 'ambiguous') out.push(clone(e.recovery.receipt));
      if (e.recovery?.reversal?.receipt) out.push(clone(e.recovery.reversal.receipt));
    }
    return out;
  }

  /** Voids recovery sent (or began) to reverse entry `id`. */
  reversalsOf(id: string): JournalEntry[] {
    return [...this.entries.values()].filter((e) => e.annotations[ANNOTATION.reversalOf] === id).map(clone);
  }

  /** Runs `work` alone for this terminal (two recoveries must never both decide to void). */
  async exclusive<T>(terminal: TerminalKey, work: () => Promise<T>): Promise<T> {
    const previous = this.locks.get(terminal) ?? Promise.resolve();
    let release!: () => void;
    const mine = new Promise<void>((resolve) => (release = resolve));
    const chained = previous.then(() => mine);
    this.locks.set(terminal, chained);
    await previous;
    try {
      return await work();
    } finally {
      release();
      if (this.locks.get(terminal) === chained) this.locks.delete(terminal);
    }
  }

  // ---- Internals ----

  private isUnresolved(e: JournalEntry): boolean {
    return e.state === 'unknown' || (e.state === 'in-flight' && !this.live.has(e.id));
  }

  private needsReviewEntry(e: JournalEntry): boolean {
    return e.state === 'recovered' && e.recovery?.outcome === 'ambiguous';
  }

  private mustExist(id: string): JournalEntry {
    const entry = this.entries.get(id);
    if (!entry) throw new JournalError(`journal ${this.path}: no entry ${id}`, this.path);
    return entry;
  }

  private async settle(id: string, line: JournalLine): Promise<void> {
    this.mustExist(id);
    try {
      await this.write(line);
    } finally {
      // Even if the write failed, this process no longer has it in flight: a restart recovers it.
      this.live.delete(id);
    }
  }

  private async write(line: JournalLine): Promise<void> {
    await this.file.append([line]);
    this.apply(line);
  }

  /** Applies one record to the in-memory state (on open, and after each write). */
  private apply(line: JournalLine): void {
    const at = typeof line.at === 'string' ? line.at : this.now().toISOString();
    if (line.op === 'anchor') {
      const receipt = line.receipt as ReceiptRef | undefined;
      if (typeof line.terminal === 'string' && receipt) this.setAnchor(line.terminal, receipt);
      return;
    }
    const id = line.id;
    if (typeof id !== 'string') return;
    if (line.op === 'begin') {
      const entry: JournalEntry = {
        id,
        terminal: String(line.terminal),
        request: line.request as JournalEntry['request'],
        annotations: (line.annotations as JournalEntry['annotations']) ?? {},
        begunAt: at,
        state: 'in-flight',
      };
      if (line.anchor) entry.anchor = line.anchor as ReceiptRef;
      if (typeof line.tid === 'string') entry.tid = line.tid;
      this.entries.set(id, entry);
      return;
    }
    const entry = this.entries.get(id);
    if (!entry) return; // compacted away: nothing to update
    switch (line.op) {
      case 'answered': {
        entry.state = 'answered';
        entry.status = String(line.status);
        entry.approved = line.approved === true;
        const receipt = line.receipt as ReceiptRef | undefined;
        if (receipt) {
          entry.receipt = receipt;
          this.setAnchor(entry.terminal, receipt);
        }
        break;
      }
      case 'unknown':
        entry.state = 'unknown';
        entry.unknownAt = at;
        if (typeof line.phase === 'string') entry.phase = line.phase as JournalEntry['phase'];
        if (typeof line.lastDisplayCode === 'string') entry.lastDisplayCode = line.lastDisplayCode;
        break;
      case 'not-sent':
        entry.state = 'not-sent';
        entry.reason = String(line.reason ?? '');
        break;
      case 'recovered': {
        const { v: _v, op: _op, id: _id, ...record } = line;
        entry.state = 'recovered';
        entry.recovery = record as unknown as RecoveryRecord;
        break;
      }
      default:
        break;
    }
  }

  private setAnchor(terminal: TerminalKey, receipt: ReceiptRef): void {
    this.anchors.set(terminal, receipt);
    if (receipt.tid) this.tids.set(terminal, receipt.tid);
  }
}

/** An entry as the lines that rebuild it (compaction). */
function entryLines(e: JournalEntry): JournalLine[] {
  const begin: JournalLine = { v: 1, op: 'begin', id: e.id, at: e.begunAt, terminal: e.terminal, request: e.request, annotations: e.annotations };
  if (e.anchor) begin.anchor = e.anchor;
  if (e.tid) begin.tid = e.tid;
  const lines: JournalLine[] = [begin];
  if (e.state === 'answered') {
    const line: JournalLine = { v: 1, op: 'answered', id: e.id, at: e.begunAt, status: e.status, approved: e.approved };
    if (e.receipt) line.receipt = e.receipt;
    lines.push(line);
  } else if (e.state === 'not-sent') {
    lines.push({ v: 1, op: 'not-sent', id: e.id, at: e.begunAt, reason: e.reason ?? '' });
  } else if (e.state === 'unknown') {
    const line: JournalLine = { v: 1, op: 'unknown', id: e.id, at: e.unknownAt ?? e.begunAt };
    if (e.phase) line.phase = e.phase;
    if (e.lastDisplayCode) line.lastDisplayCode = e.lastDisplayCode;
    lines.push(line);
  } else if (e.state === 'recovered' && e.recovery) {
    if (e.unknownAt) lines.push({ v: 1, op: 'unknown', id: e.id, at: e.unknownAt, ...(e.phase ? { phase: e.phase } : {}) });
    lines.push({ v: 1, op: 'recovered', id: e.id, ...e.recovery });
  }
  return lines;
}

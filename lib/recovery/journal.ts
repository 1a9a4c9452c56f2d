/**
 * TransactionJournal: the durable in-flight journal. Before a transaction is sent it is
 * recorded (begin, fdatasync'd); an answer marks it answered, a lost answer marks it unknown
 * and leaves it unresolved until the recovery procedure (recover.ts) or a person decides.
 * It also remembers the newest receipt seen from each terminal (the "anchor" a later
 * recovery searches after), every receipt already accounted for ("claims"), the client's
 * receipt watermark per terminal, and which outcomes their owner has not received yet
 * (delivery: pending / attempted; TransactionRecovery hands them over).
 *
 * Storage: a durable log (lib/durable; records: journal-file.ts), one record per entry,
 * rewritten at each step. begin, an answer, a recovery's decision and each delivery step
 * are synced before they resolve: an answered sale is never found "in flight" after a
 * power cut, so its result, already delivered, is never recovered and delivered again. A
 * lost or unsent outcome and the watermark are written at once and synced with the next
 * step or within 100 ms: after a power cut in between the entry is in flight, i.e.
 * unresolved — the same thing; the watermark goes out with the answer that moved it.
 *
 * Cost per sale is O(1): unresolved entries are indexed per terminal, a step replaces one
 * record, and resolved entries older than `keepResolvedMs` are dropped as the journal runs
 * (the log compacts itself when half of its file is superseded).
 *
 * One journal file per process (a second open is refused): two writers would interleave.
 */
import { randomUUID } from 'node:crypto';
import type { TransactionOutcomeUnknown } from '../errors';
import type { TransactionSettlement, TransactionStart } from '../client/transaction-hooks';
import type { DurableFs } from '../durable/fs';
import { DurableLog, type OpenReport } from '../durable/log';
import { DurableLogError } from '../durable/errors';
import type { EncodedRecord } from '../durable/record';
import type { ReceiptWatermark } from '../client/answer-binding';
import type { Receipt, TransactionResult } from '../protocol/types';
import { definedOnly } from '../objects';
import { JournalError } from './errors';
import {
  anchorKey,
  decodeJournalRecord,
  entryKey,
  readLegacyJournal,
  watermarkKey,
  JOURNAL_RECORD_VERSION,
  type AnchorRecord,
  type EntryOp,
  type EntryRecord,
  type JournalRecord,
  type WatermarkRecord,
} from './journal-file';
import { ANNOTATION, terminalKey, type DeliveryState, type JournalEntry, type ReceiptRef, type RecoveryRecord, type TerminalKey } from './types';

export interface JournalOptions {
  /** Host clock (tests). */
  now?: () => Date;
  /** Compact on open when the file holds more records than this (default 5000). */
  compactAbove?: number;
  /** Resolved entries younger than this are kept, as claims (default 7 days). */
  keepResolvedMs?: number;
  /** The log rewrites itself once its file is this big and half superseded (default 1 MiB). */
  compactAtBytes?: number;
  /** The file system (tests inject faults). */
  fs?: DurableFs;
  /** Told what opening found that loses nothing (writes lost in a power cut, a torn tail) and trouble of the background work. */
  warn?: (message: string) => void;
}

const DEFAULT_COMPACT_ABOVE = 5000;
const DAY_MS = 86_400_000;
/** Resolved entries past keepResolvedMs are dropped at most this often while running. */
const EXPIRE_EVERY_MS = 60_000;

/** A receipt that can be found in the terminal's bank log (MIFARE receipts are the client's own). */
export function receiptRef(receipt: Receipt | undefined): ReceiptRef | undefined {
  if (!receipt || receipt.iface === 'mifare') return undefined;
  if (receipt.seq === undefined && receipt.rrn === undefined) return undefined;
  const { approved, seq, rrn, datetime: time, type, amountAuthorized: amount, tid } = receipt;
  return definedOnly<ReceiptRef>({ approved, seq, rrn, time, type, amount, tid });
}

/** The owner of an entry's outcome (annotation `owner`), if any. */
export function ownerOf(entry: Pick<JournalEntry, 'annotations'>): string | undefined {
  const owner = entry.annotations[ANNOTATION.owner];
  return typeof owner === 'string' && owner !== '' ? owner : undefined;
}

/** Answered or recovered, and its owner does not have it (pending, or a hand-over never confirmed). */
function awaitsDelivery(entry: JournalEntry): boolean {
  return entry.delivery === 'pending' || entry.delivery === 'attempted';
}

const DELIVERY_OP: Readonly<Record<DeliveryState, EntryOp>> = { pending: 'undelivered', attempted: 'delivering', delivered: 'delivered' };

/** How an outcome is written: `undelivered` keeps it for its owner (delivery pending). */
export interface OutcomeOptions {
  undelivered?: boolean;
}

interface Anchor {
  receipt: ReceiptRef;
  /** Step that set it: the anchor is the receipt of the latest step. */
  seq: number;
  /** The entry whose answer carries it (no anchor record needed while that entry is kept). */
  from?: string;
}

function addTo(index: Map<TerminalKey, Set<string>>, terminal: TerminalKey, id: string): void {
  let set = index.get(terminal);
  if (!set) index.set(terminal, (set = new Set()));
  set.add(id);
}

function removeFrom(index: Map<TerminalKey, Set<string>>, terminal: TerminalKey, id: string): void {
  const set = index.get(terminal);
  if (set?.delete(id) && set.size === 0) index.delete(terminal);
}

/** Runs `work` once the work queued before it under the same key has ended (the queue forgets a key once idle). */
export function oneAfterAnother<T>(queue: Map<string, Promise<void>>, key: string, work: () => Promise<T>): Promise<T> {
  const run = (queue.get(key) ?? Promise.resolve()).then(work);
  const tail = run.then(() => undefined, () => undefined);
  queue.set(key, tail);
  void tail.then(() => {
    if (queue.get(key) === tail) queue.delete(key);
  });
  return run;
}

export class TransactionJournal {
  private readonly entries = new Map<string, JournalEntry>();
  /** Step number of each entry's record. */
  private readonly entrySeq = new Map<string, number>();
  private readonly anchors = new Map<TerminalKey, Anchor>();
  /** Terminals with an anchor record in the log (as queued). */
  private readonly anchorRecords = new Set<TerminalKey>();
  private readonly tids = new Map<TerminalKey, string>();
  /** Entries this process began and has not settled: in flight right now, not leftovers. */
  private readonly live = new Set<string>();
  /** In flight or unknown, per terminal: unresolved unless live. */
  private readonly open = new Map<TerminalKey, Set<string>>();
  /** Recovered as ambiguous, per terminal. */
  private readonly review = new Map<TerminalKey, Set<string>>();
  /** Outcomes their owner has not received, per owner. */
  private readonly toDeliver = new Map<string, Set<string>>();
  private readonly watermarks = new Map<TerminalKey, ReceiptWatermark>();
  private readonly locks = new Map<TerminalKey, Promise<void>>();
  private readonly now: () => Date;
  private readonly keepResolvedMs: number;
  private readonly warn: (message: string) => void;
  private seq = 0;
  private lastExpiry: number;

  private constructor(
    private readonly log: DurableLog<JournalRecord>,
    options: JournalOptions,
  ) {
    this.now = options.now ?? (() => new Date());
    this.keepResolvedMs = options.keepResolvedMs ?? 7 * DAY_MS;
    this.warn = options.warn ?? (() => undefined);
    this.lastExpiry = this.now().getTime();
  }

  static async open(file: string, options: JournalOptions = {}): Promise<TransactionJournal> {
    let log: DurableLog<JournalRecord>;
    try {
      log = await DurableLog.open<JournalRecord>(file, {
        fs: options.fs,
        compactAtBytes: options.compactAtBytes,
        decode: decodeJournalRecord,
        // A journal with a hole could hide a payment whose outcome is unknown: never trust one.
        damaged: 'refuse',
        legacy: (bytes) => ({ entries: readLegacyJournal(bytes.toString('utf8'), file) }),
        warn: (e) => options.warn?.(e.message),
      });
    } catch (error) {
      if (error instanceof JournalError) throw error;
      const message = error instanceof DurableLogError && error.code === 'in-use' ? `journal ${error.file} is already open in this process` : `cannot open journal ${file}: ${(error as Error).message}`;
      throw new JournalError(message, error instanceof DurableLogError ? error.file : file, { cause: error });
    }
    const journal = new TransactionJournal(log, options);
    try {
      for (const [, record] of log.entries()) journal.load(record);
      journal.reportOpen(log.report);
      if (log.report.puts + log.report.removals > (options.compactAbove ?? DEFAULT_COMPACT_ABOVE)) {
        // Best effort: opening never needs free space; the log compacts itself later.
        await journal.compact(journal.keepResolvedMs).catch((error: Error) => journal.warn(`journal ${journal.path}: compaction postponed: ${error.message}`));
      }
    } catch (error) {
      await log.close();
      throw error;
    }
    return journal;
  }

  get path(): string {
    return this.log.file;
  }

  /** What opening the file found (torn tail, writes lost in a power cut, migration). */
  get loadReport(): OpenReport {
    return this.log.report;
  }

  // ---- Writing ----

  /** Records a transaction about to be sent; resolves (with its id) once it is on disk. */
  async begin(start: TransactionStart): Promise<string> {
    const terminal = terminalKey(start.host, start.port);
    const id = randomUUID();
    const entry: JournalEntry = {
      id,
      terminal,
      // Flat (primitives only; a manual entry is the flag `true`): a copy of the top level is a copy.
      request: { ...start.request },
      annotations: { ...start.annotations },
      begunAt: this.now().toISOString(),
      state: 'in-flight',
    };
    const anchor = this.anchors.get(terminal);
    if (anchor) entry.anchor = { ...anchor.receipt };
    const tid = this.tids.get(terminal);
    if (tid) entry.tid = tid;
    await this.writeEntry(entry, 'begin', true);
    this.live.add(id);
    this.expireLater();
    return id;
  }

  /** The terminal's answer; `undelivered`: its owner was not there to take it (kept for it). */
  async answered(id: string, result: TransactionResult, options: OutcomeOptions = {}): Promise<void> {
    const entry: JournalEntry = { ...this.mustExist(id), state: 'answered', status: result.status, approved: result.approved, answeredAt: this.now().toISOString() };
    const ref = receiptRef(result.receipt);
    if (ref) entry.receipt = ref;
    if (options.undelivered === true && ownerOf(entry) !== undefined) entry.delivery = 'pending';
    await this.settle(id, () => this.writeEntry(entry, 'answered', true));
  }

  async unknown(id: string, error: TransactionOutcomeUnknown): Promise<void> {
    const entry: JournalEntry = { ...this.mustExist(id), state: 'unknown', unknownAt: this.now().toISOString(), phase: error.phase };
    if (error.transaction.lastDisplayCode !== undefined) entry.lastDisplayCode = error.transaction.lastDisplayCode;
    await this.settle(id, () => this.writeEntry(entry, 'unknown', false));
  }

  async notSent(id: string, reason: string): Promise<void> {
    const entry: JournalEntry = { ...this.mustExist(id), state: 'not-sent', reason: reason.slice(0, 200) };
    await this.settle(id, () => this.writeEntry(entry, 'not-sent', false));
  }

  /** How the transaction ended, as the client's hooks are told (the not-sent reason: the error's message). */
  async settled(id: string, settlement: TransactionSettlement, options: OutcomeOptions = {}): Promise<void> {
    if (settlement.kind === 'answered') await this.answered(id, settlement.result, options);
    else if (settlement.kind === 'unknown') await this.unknown(id, settlement.error);
    else await this.notSent(id, settlement.error.message);
  }

  /** The recovery's decision for an entry (synced: a decision is not taken twice); `undelivered`: kept for its owner. */
  async recovered(id: string, record: RecoveryRecord, options: OutcomeOptions = {}): Promise<void> {
    const entry: JournalEntry = { ...this.mustExist(id), state: 'recovered', recovery: structuredClone(record) };
    delete entry.delivery;
    if (options.undelivered === true && ownerOf(entry) !== undefined) entry.delivery = 'pending';
    await this.writeEntry(entry, 'recovered', true);
  }

  /**
   * Moves an answered or recovered outcome of an owned entry along its delivery (synced):
   * pending — kept for its owner (it closed as the outcome came); attempted — a hand-over
   * begins (written first: a crash after it makes the next hand-over say it may repeat);
   * delivered — the owner (or a person) has it. False when the entry has no such outcome.
   */
  async setDelivery(id: string, state: DeliveryState): Promise<boolean> {
    const entry = this.mustExist(id);
    if (ownerOf(entry) === undefined || (entry.state !== 'answered' && entry.state !== 'recovered')) return false;
    if (entry.delivery === state) return true;
    const next: JournalEntry = { ...entry, delivery: state };
    if (state === 'delivered') next.deliveredAt = this.now().toISOString();
    await this.writeEntry(next, DELIVERY_OP[state], true);
    return true;
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
    const record: AnchorRecord = { v: JOURNAL_RECORD_VERSION, seq: ++this.seq, op: 'anchor', terminal, at: this.now().toISOString(), receipt: structuredClone(receipt) };
    this.anchorRecords.add(terminal);
    await this.write([this.log.encode(anchorKey(terminal), record)], false);
    this.load(record);
  }

  /**
   * The client's receipt watermark of a terminal (lib/client/answer-binding.ts); the
   * journal keeps the object it is given (the client hands over a snapshot). Deferred:
   * it goes to disk with the next synced step — the answer that moved it — so a power cut
   * never leaves a delivered answer behind the watermark on disk.
   */
  async saveWatermark(terminal: TerminalKey, watermark: ReceiptWatermark): Promise<void> {
    const record: WatermarkRecord = { v: 2, seq: ++this.seq, op: 'watermark', terminal, at: this.now().toISOString(), watermark };
    await this.write([this.log.encode(watermarkKey(terminal), record)], false);
    this.load(record);
  }

  watermark(terminal: TerminalKey): ReceiptWatermark | undefined {
    const w = this.watermarks.get(terminal);
    return w && structuredClone(w);
  }

  /**
   * Drops resolved entries older than keepResolvedMs (keeping open ones, those needing
   * review, and the anchors), then rewrites the file with what is left.
   */
  async compact(keepResolvedMs = this.keepResolvedMs): Promise<void> {
    await this.expire(keepResolvedMs);
    try {
      await this.log.compact();
    } catch (error) {
      throw this.failure(error);
    }
  }

  async close(): Promise<void> {
    await this.log.close();
  }

  // ---- Reading ----

  get(id: string): JournalEntry | undefined {
    const entry = this.entries.get(id);
    return entry && structuredClone(entry);
  }

  list(terminal?: TerminalKey): JournalEntry[] {
    return [...this.entries.values()].filter((e) => terminal === undefined || e.terminal === terminal).map((e) => structuredClone(e));
  }

  /** Sent (or maybe sent) with no known outcome: unknown, or in flight in an earlier run of the process. */
  unresolved(terminal?: TerminalKey): JournalEntry[] {
    return this.indexed(this.open, terminal).filter((e) => !this.live.has(e.id));
  }

  /** Recovery could not tell (ambiguous): a person must look. Does not block new sales. */
  needsReview(terminal?: TerminalKey): JournalEntry[] {
    return this.indexed(this.review, terminal);
  }

  /** Whether the owner of an entry has its outcome (no copy: cheap on every sale). */
  deliveryState(id: string): DeliveryState | undefined {
    return this.entries.get(id)?.delivery;
  }

  /** Outcomes their owner has not received (delivery pending or attempted), oldest first; of one owner, or all. */
  awaitingDelivery(owner?: string): JournalEntry[] {
    return this.indexed(this.toDeliver, owner).sort((a, b) => Date.parse(a.begunAt) - Date.parse(b.begunAt));
  }

  isLive(id: string): boolean {
    return this.live.has(id);
  }

  anchor(terminal: TerminalKey): ReceiptRef | undefined {
    const a = this.anchors.get(terminal);
    return a && structuredClone(a.receipt);
  }

  /** Receipts of this terminal already accounted for (answered or recovered entries). */
  claims(terminal: TerminalKey): ReceiptRef[] {
    const out: ReceiptRef[] = [];
    for (const e of this.entries.values()) {
      if (e.terminal !== terminal) continue;
      if (e.receipt) out.push(structuredClone(e.receipt));
      if (e.recovery?.receipt && e.recovery.outcome !== 'ambiguous') out.push(structuredClone(e.recovery.receipt));
      if (e.recovery?.reversal?.receipt) out.push(structuredClone(e.recovery.reversal.receipt));
    }
    return out;
  }

  /** Voids recovery sent (or began) to reverse entry `id`. */
  reversalsOf(id: string): JournalEntry[] {
    return [...this.entries.values()].filter((e) => e.annotations[ANNOTATION.reversalOf] === id).map((e) => structuredClone(e));
  }

  /** Runs `work` alone for this terminal (two recoveries must never both decide to void). */
  exclusive<T>(terminal: TerminalKey, work: () => Promise<T>): Promise<T> {
    return oneAfterAnother(this.locks, terminal, work);
  }

  // ---- Internals ----

  /** Entries of an index (per terminal or owner), as copies: of one key in the order they entered it, of all keys by their latest step. */
  private indexed(index: Map<string, Set<string>>, key: string | undefined): JournalEntry[] {
    const ids = key === undefined ? [...index.values()].flatMap((s) => [...s]) : [...(index.get(key) ?? [])];
    const out = ids.map((id) => this.entries.get(id) as JournalEntry);
    if (key === undefined) out.sort((a, b) => (this.entrySeq.get(a.id) ?? 0) - (this.entrySeq.get(b.id) ?? 0));
    return out.map((e) => structuredClone(e));
  }

  private mustExist(id: string): JournalEntry {
    const entry = this.entries.get(id);
    if (!entry) throw new JournalError(`journal ${this.path}: no entry ${id}`, this.path);
    return entry;
  }

  private async settle(id: string, write: () => Promise<void>): Promise<void> {
    try {
      await write();
    } finally {
      // Even if the write failed, this process no longer has it in flight: a restart recovers it.
      this.live.delete(id);
    }
  }

  private async writeEntry(entry: JournalEntry, op: EntryOp, sync: boolean): Promise<void> {
    const record: EntryRecord = { v: JOURNAL_RECORD_VERSION, seq: ++this.seq, op, at: this.now().toISOString(), ...entry };
    const records = [this.log.encode(entryKey(entry.id), record)];
    // This answer is the terminal's anchor now: a separate anchor record is superseded (removed after it).
    if (op === 'answered' && entry.receipt && this.anchorRecords.delete(entry.terminal)) records.push(this.log.encode(anchorKey(entry.terminal), undefined));
    await this.write(records, sync);
    this.load(record);
  }

  private async write(records: EncodedRecord<JournalRecord>[], sync: boolean): Promise<void> {
    try {
      await this.log.write(records, { sync });
    } catch (error) {
      throw this.failure(error);
    }
  }

  private failure(error: unknown): JournalError {
    if (error instanceof JournalError) return error;
    const closed = error instanceof DurableLogError && error.code === 'closed';
    return new JournalError(closed ? `journal ${this.path} is closed` : `journal ${this.path}: write failed (${(error as Error).message})`, this.path, { cause: error });
  }

  /** Applies one stored record to the in-memory state (on open, and after each write). */
  private load(record: JournalRecord): void {
    this.seq = Math.max(this.seq, record.seq);
    if (record.op === 'anchor') {
      this.anchorRecords.add(record.terminal);
      this.setAnchor(record.terminal, { receipt: record.receipt, seq: record.seq });
      return;
    }
    if (record.op === 'watermark') {
      this.watermarks.set(record.terminal, record.watermark);
      return;
    }
    const { v: _v, seq: _seq, op: _op, at: _at, ...entry } = record;
    const old = this.entries.get(entry.id);
    if (old) {
      removeFrom(this.open, old.terminal, old.id);
      removeFrom(this.review, old.terminal, old.id);
      const oldOwner = ownerOf(old);
      if (oldOwner !== undefined) removeFrom(this.toDeliver, oldOwner, old.id);
    }
    this.entries.set(entry.id, entry);
    this.entrySeq.set(entry.id, record.seq);
    if (entry.state === 'in-flight' || entry.state === 'unknown') addTo(this.open, entry.terminal, entry.id);
    if (entry.state === 'recovered' && entry.recovery?.outcome === 'ambiguous') addTo(this.review, entry.terminal, entry.id);
    const owner = ownerOf(entry);
    if (owner !== undefined && awaitsDelivery(entry)) addTo(this.toDeliver, owner, entry.id);
    if (entry.state === 'answered' && entry.receipt) this.setAnchor(entry.terminal, { receipt: entry.receipt, seq: record.seq, from: entry.id });
  }

  private setAnchor(terminal: TerminalKey, anchor: Anchor): void {
    const current = this.anchors.get(terminal);
    if (current && current.seq > anchor.seq) return;
    this.anchors.set(terminal, anchor);
    if (anchor.receipt.tid) this.tids.set(terminal, anchor.receipt.tid);
  }

  private reportOpen(report: OpenReport): void {
    if (report.zeroedBytes > 0) this.warn(`journal ${this.path}: ${report.zeroedBytes} zero bytes skipped (writes lost in a power cut); affected entries count as in flight`);
    if (report.tornBytes > 0) this.warn(`journal ${this.path}: a torn last write (${report.tornBytes} bytes) was cut off`);
  }

  private expireLater(): void {
    const now = this.now().getTime();
    if (now - this.lastExpiry < EXPIRE_EVERY_MS) return;
    this.lastExpiry = now;
    this.expire(this.keepResolvedMs).catch((error: unknown) => this.warn(`journal ${this.path}: dropping old entries failed: ${(error as Error).message}`));
  }

  /** Removes resolved entries begun before the cutoff; an anchor one of them carries gets its own record first. */
  private async expire(keepResolvedMs: number): Promise<void> {
    const cutoff = this.now().getTime() - keepResolvedMs;
    const gone: JournalEntry[] = [];
    const anchored: Anchor[] = [];
    const records: EncodedRecord<JournalRecord>[] = [];
    for (const entry of this.entries.values()) {
      if (Date.parse(entry.begunAt) > cutoff) break; // begun in order: the rest are younger
      const keep =
        entry.state === 'in-flight' || entry.state === 'unknown' || this.live.has(entry.id) || this.review.get(entry.terminal)?.has(entry.id) || awaitsDelivery(entry);
      if (keep) continue;
      const anchor = this.anchors.get(entry.terminal);
      if (anchor?.from === entry.id) {
        const record: AnchorRecord = { v: JOURNAL_RECORD_VERSION, seq: anchor.seq, op: 'anchor', terminal: entry.terminal, at: this.now().toISOString(), receipt: anchor.receipt };
        records.push(this.log.encode(anchorKey(entry.terminal), record));
        this.anchorRecords.add(entry.terminal);
        anchored.push(anchor);
      }
      records.push(this.log.encode(entryKey(entry.id), undefined));
      gone.push(entry);
    }
    if (records.length === 0) return;
    await this.write(records, false);
    for (const anchor of anchored) anchor.from = undefined;
    for (const entry of gone) {
      this.entries.delete(entry.id);
      this.entrySeq.delete(entry.id);
    }
  }
}

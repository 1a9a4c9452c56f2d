/**
 * The terminal's transaction log: receipt numbering (card and SBP separately), the
 * records the reports and reversals use, and the admin password hash. In memory by
 * default; with a file it is loaded at start and each change is appended and synced
 * (log-store.ts) before the command's response goes out. No full PAN is ever stored.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Cvm, DeclineReason } from './outcome';
import type { SbpCftBlock } from '../protocol/types';
import type { DurableFs } from '../durable/fs';
import { LogStore, type LogMeta } from './log-store';

export type RecordKind = 'card' | 'sbp';
export type Operation = 'purchase' | 'refund' | 'purchase-with-cashback' | 'purchase-reversal' | 'refund-reversal';
export type ReceiptType = 'purchase' | 'refund' | 'purchasereversal' | 'refundreversal';
export type EntryMode = 'contactless' | 'manual' | 'forced' | 'cardless' | 'sbp';

export interface CardData {
  /** Test card id, if it was one. */
  cardId?: string;
  /** Masked as printed: `************1111`. */
  pan: string;
  aed: string;
  aid: string;
  appname: string;
  alabel?: string;
  apname?: string;
  ictId?: string;
  rid: string;
  scheme: string;
  cvm: Cvm;
}

export interface LogRecord {
  /** Receipt number (card and SBP records are numbered separately). */
  seq: number;
  kind: RecordKind;
  operation: Operation;
  tstatus: 'approved' | 'declined';
  amount: number;
  amountOther?: number;
  currency: string;
  /** ISO local date-time. */
  datetime: string;
  tid: string;
  mid: string;
  rrn: string;
  authNumber: string;
  respCode: string;
  respCodeDescription?: string;
  declineReason?: DeclineReason;
  entry: EntryMode;
  card?: CardData;
  tvr: string;
  tsi: string;
  /** BER-TLV hex of the tags a dex answer applied (the receipt's `record`). */
  dexRecord?: string;
  /** Sum already reversed (void) or refunded (SBP refund) against this record. */
  reversedAmount: number;
  /** For a reversal or SBP refund: the seq of the original. */
  originalSeq?: number;
  /** SBP: the agent's payment reference (duplicated in rrn) and CFT data. */
  sbp?: { localQrcId: string; qrcId: string; cft?: SbpCftBlock };
}

const MAX_SEQ = 999_999;

function hashPassword(password: string, salt: Buffer): string {
  return createHash('sha256').update(salt).update(password, 'utf8').digest('hex');
}

export class TransactionLog {
  private records: LogRecord[] = [];
  /** Each record's key in the store. */
  private readonly keys = new WeakMap<LogRecord, string>();
  /** The next receipt number of each kind (card and SBP are numbered separately). */
  private nextSeq: Record<RecordKind, number> = { card: 1, sbp: 1 };
  private batchNumber = 1;
  private nextKey = 1;
  private password: { salt: string; hash: string };
  private readonly store: LogStore | undefined;

  private constructor(store: LogStore | undefined, initialPassword: string) {
    this.store = store;
    this.password = TransactionLog.makeHash(initialPassword);
  }

  /** Opens the log; a file that exists but is not a valid log is an error (never silently replaced). */
  static async open(file: string | undefined, initialPassword: string, options: { fs?: DurableFs } = {}): Promise<TransactionLog> {
    if (file === undefined) return new TransactionLog(undefined, initialPassword);
    const store = await LogStore.open(file, options.fs);
    const log = new TransactionLog(store, initialPassword);
    const { meta, records } = store.load();
    if (meta) {
      log.nextSeq = { card: meta.nextSeq, sbp: meta.nextSbpSeq };
      log.batchNumber = meta.batch;
      log.nextKey = meta.nextKey;
      if (meta.password) log.password = meta.password;
      for (const [key, record] of records) {
        log.records.push(record);
        log.keys.set(record, key);
      }
    } else {
      try {
        await log.persist([]);
      } catch (error) {
        await store.close();
        throw error;
      }
    }
    return log;
  }

  private static makeHash(password: string): { salt: string; hash: string } {
    const salt = randomBytes(16);
    return { salt: salt.toString('hex'), hash: hashPassword(password, salt) };
  }

  get persistent(): boolean {
    return this.store !== undefined;
  }

  get batch(): number {
    return this.batchNumber;
  }

  /** A copy of every record, oldest first. */
  list(): LogRecord[] {
    return this.records.map((r) => structuredClone(r));
  }

  get size(): number {
    return this.records.length;
  }

  find(kind: RecordKind, seq: number): LogRecord | undefined {
    return this.records.find((r) => r.kind === kind && r.seq === seq);
  }

  /** The most recent record of a kind (and operation) with this rrn (SBP: or localQrcId). */
  findByRrn(kind: RecordKind, rrn: string, operation?: Operation): LogRecord | undefined {
    for (let i = this.records.length - 1; i >= 0; i--) {
      const r = this.records[i];
      if (r.kind !== kind || (operation !== undefined && r.operation !== operation)) continue;
      if (r.rrn === rrn || r.sbp?.localQrcId === rrn) return r;
    }
    return undefined;
  }

  /** The most recent record of a kind. */
  last(kind: RecordKind): LogRecord | undefined {
    for (let i = this.records.length - 1; i >= 0; i--) if (this.records[i].kind === kind) return this.records[i];
    return undefined;
  }

  /** Reserves the next receipt number of a kind (wraps after 999999). */
  takeSeq(kind: RecordKind): number {
    const seq = this.nextSeq[kind];
    this.nextSeq[kind] = seq >= MAX_SEQ ? 1 : seq + 1;
    return seq;
  }

  /** Appends a record (and applies its effect on the original, if any), then persists. */
  async append(record: LogRecord): Promise<void> {
    const copy = structuredClone(record);
    const key = `r:${this.nextKey++}`;
    this.records.push(copy);
    this.keys.set(copy, key);
    const changed: [string, LogRecord][] = [[key, copy]];
    if (record.originalSeq !== undefined && record.tstatus === 'approved') {
      const original = this.find(record.kind, record.originalSeq);
      if (original) {
        // A new object: the stored one is the store's.
        const updated = { ...original, reversedAmount: original.reversedAmount + record.amount };
        this.records[this.records.indexOf(original)] = updated;
        const originalKey = this.keys.get(original) as string;
        this.keys.set(updated, originalKey);
        changed.push([originalKey, updated]);
      }
    }
    await this.persist(changed);
  }

  /** Deletes every record (settlement after success, clear); numbering continues, the batch advances. */
  async empty(): Promise<number> {
    const gone = this.records;
    this.records = [];
    this.batchNumber += 1;
    await this.persist(gone.map((r) => [this.keys.get(r) as string, undefined]));
    return gone.length;
  }

  checkPassword(candidate: string): boolean {
    const expected = Buffer.from(this.password.hash, 'hex');
    const actual = Buffer.from(hashPassword(candidate, Buffer.from(this.password.salt, 'hex')), 'hex');
    return expected.length === actual.length && timingSafeEqual(expected, actual);
  }

  async setPassword(password: string): Promise<void> {
    this.password = TransactionLog.makeHash(password);
    await this.persist([]);
  }

  /** Back to the first start: no records, numbering from 1, the given password. */
  async reset(password: string): Promise<void> {
    const gone = this.records;
    this.records = [];
    this.nextSeq = { card: 1, sbp: 1 };
    this.batchNumber = 1;
    this.password = TransactionLog.makeHash(password);
    await this.persist(gone.map((r) => [this.keys.get(r) as string, undefined]));
  }

  /** Resolves when every queued write is on disk. */
  async flush(): Promise<void> {
    await this.store?.flush();
  }

  /** Writes what is queued and closes the file (the simulator's close). */
  async close(): Promise<void> {
    await this.store?.close();
  }

  /** Stores the numbering and password, then the changed records (undefined: removed). */
  private async persist(changed: [string, LogRecord | undefined][]): Promise<void> {
    if (!this.store) return;
    const meta: LogMeta = {
      nextSeq: this.nextSeq.card,
      nextSbpSeq: this.nextSeq.sbp,
      batch: this.batchNumber,
      nextKey: this.nextKey,
      password: this.password,
    };
    await this.store.write(meta, changed);
  }
}

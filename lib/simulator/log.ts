/**
 * The terminal's transaction log: receipt numbering (card and SBP separately), the
 * records the reports and reversals use, and the admin password hash. In memory by
 * default; with a file it is loaded at start and rewritten atomically after each change,
 * before the command's response goes out. No full PAN is ever stored.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { JpayError } from '../errors';
import type { Cvm, DeclineReason } from './outcome';
import type { SbpCftBlock } from '../protocol/types';
import { LogStore } from './log-store';

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

interface LogFile {
  format: 'jpay-sim-log';
  version: 1;
  nextSeq: number;
  nextSbpSeq: number;
  batch: number;
  password?: { salt: string; hash: string };
  records: LogRecord[];
}

const MAX_SEQ = 999_999;

function hashPassword(password: string, salt: Buffer): string {
  return createHash('sha256').update(salt).update(password, 'utf8').digest('hex');
}

export class TransactionLog {
  private records: LogRecord[] = [];
  private nextSeq = 1;
  private nextSbpSeq = 1;
  private batchNumber = 1;
  private password: { salt: string; hash: string };
  private readonly store: LogStore | undefined;

  private constructor(file: string | undefined, initialPassword: string) {
    this.store = file === undefined ? undefined : new LogStore(file);
    this.password = TransactionLog.makeHash(initialPassword);
  }

  /** Opens the log; a file that exists but is not a valid log is an error (never silently replaced). */
  static async open(file: string | undefined, initialPassword: string): Promise<TransactionLog> {
    const log = new TransactionLog(file, initialPassword);
    if (log.store) {
      const text = await log.store.read();
      if (text !== undefined) log.load(text, log.store.file);
      else await log.persist();
    }
    return log;
  }

  private static makeHash(password: string): { salt: string; hash: string } {
    const salt = randomBytes(16);
    return { salt: salt.toString('hex'), hash: hashPassword(password, salt) };
  }

  private load(text: string, file: string): void {
    let data: LogFile;
    try {
      data = JSON.parse(text) as LogFile;
    } catch (error) {
      throw new JpayError(`log file ${file} is not valid JSON: ${(error as Error).message}`);
    }
    if (data?.format !== 'jpay-sim-log' || data.version !== 1 || !Array.isArray(data.records)) {
      throw new JpayError(`log file ${file} is not a jpay-sim log (format/version/records)`);
    }
    this.records = data.records;
    this.nextSeq = Number.isInteger(data.nextSeq) ? data.nextSeq : 1;
    this.nextSbpSeq = Number.isInteger(data.nextSbpSeq) ? data.nextSbpSeq : 1;
    this.batchNumber = Number.isInteger(data.batch) ? data.batch : 1;
    if (data.password && typeof data.password.salt === 'string' && typeof data.password.hash === 'string') {
      this.password = data.password;
    }
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
    if (kind === 'sbp') {
      const seq = this.nextSbpSeq;
      this.nextSbpSeq = seq >= MAX_SEQ ? 1 : seq + 1;
      return seq;
    }
    const seq = this.nextSeq;
    this.nextSeq = seq >= MAX_SEQ ? 1 : seq + 1;
    return seq;
  }

  /** Appends a record (and applies its effect on the original, if any), then persists. */
  async append(record: LogRecord): Promise<void> {
    this.records.push(structuredClone(record));
    if (record.originalSeq !== undefined && record.tstatus === 'approved') {
      const original = this.find(record.kind, record.originalSeq);
      if (original) original.reversedAmount += record.amount;
    }
    await this.persist();
  }

  /** Deletes every record (settlement after success, clear); numbering continues, the batch advances. */
  async empty(): Promise<number> {
    const count = this.records.length;
    this.records = [];
    this.batchNumber += 1;
    await this.persist();
    return count;
  }

  checkPassword(candidate: string): boolean {
    const expected = Buffer.from(this.password.hash, 'hex');
    const actual = Buffer.from(hashPassword(candidate, Buffer.from(this.password.salt, 'hex')), 'hex');
    return expected.length === actual.length && timingSafeEqual(expected, actual);
  }

  async setPassword(password: string): Promise<void> {
    this.password = TransactionLog.makeHash(password);
    await this.persist();
  }

  /** Back to the first start: no records, numbering from 1, the given password. */
  async reset(password: string): Promise<void> {
    this.records = [];
    this.nextSeq = 1;
    this.nextSbpSeq = 1;
    this.batchNumber = 1;
    this.password = TransactionLog.makeHash(password);
    await this.persist();
  }

  async flush(): Promise<void> {
    await this.store?.flush();
  }

  private async persist(): Promise<void> {
    if (!this.store) return;
    const data: LogFile = {
      format: 'jpay-sim-log',
      version: 1,
      nextSeq: this.nextSeq,
      nextSbpSeq: this.nextSbpSeq,
      batch: this.batchNumber,
      password: this.password,
      records: this.records,
    };
    await this.store.write(`${JSON.stringify(data, null, 1)}\n`);
  }
}

/**
 * The terminal's transaction log: receipt numbering (card and SBP separately), the
 * records the reports and reversals use, and the admin password hash. In memory by
 * default; with a file it is loaded at start and each change is appended and synced
 * before the command's response goes out. No full PAN is ever stored.
 *
 * The file is a durable log (lib/durable, docs/reliability.md) with the key `meta`
 * (numbering, batch, password hash) and one key `r:<n>` per record. Each change of the
 * log appends its records (meta first) in one write and one sync. A file of the earlier
 * format (one JSON document, rewritten whole at each change) is read and rewritten. A
 * file that is neither, or has a damaged record, is refused and left as it is.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { TestCard } from './cards';
import type { DeclineReason } from './outcome';
import type { SbpCftBlock } from '../protocol/types';
import { JpayError } from '../errors';
import { DurableLogError } from '../durable/errors';
import type { DurableFs } from '../durable/fs';
import { DurableLog } from '../durable/log';

export type RecordKind = 'card' | 'sbp';
export type Operation = 'purchase' | 'refund' | 'purchase-with-cashback' | 'purchase-reversal' | 'refund-reversal';
export type ReceiptType = 'purchase' | 'refund' | 'purchasereversal' | 'refundreversal';
export type EntryMode = 'contactless' | 'manual' | 'forced' | 'cardless' | 'sbp';

/** The card as the log keeps it: the test card's application data, the PAN masked as printed (`************1111`). */
export type CardData = Pick<TestCard, 'aid' | 'appname' | 'alabel' | 'apname' | 'ictId' | 'rid' | 'scheme' | 'cvm'> & {
  /** Test card id, if it was one. */
  cardId?: string;
  pan: string;
  aed: string;
};

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

/** The `meta` record: receipt numbering (card and SBP separately), batch, next record key, password hash. */
interface LogMeta {
  nextSeq: number;
  nextSbpSeq: number;
  batch: number;
  /** Next record key number (`r:<n>`). */
  nextKey: number;
  password?: { salt: string; hash: string };
}

type Value = LogMeta | LogRecord;

const META = 'meta';
const SEQ_FIELD: Readonly<Record<RecordKind, 'nextSeq' | 'nextSbpSeq'>> = { card: 'nextSeq', sbp: 'nextSbpSeq' };
const isInt = (v: unknown): v is number => Number.isSafeInteger(v);

function decode(value: unknown, key: string): Value {
  const o = value as Record<string, unknown> | null;
  if (o === null || typeof o !== 'object') throw new Error('not a record');
  if (key === META) {
    if (!isInt(o.nextSeq) || !isInt(o.nextSbpSeq) || !isInt(o.batch) || !isInt(o.nextKey)) throw new Error('not the log header');
    return o as unknown as LogMeta;
  }
  if (!/^r:\d+$/.test(key) || !isInt(o.seq) || typeof o.kind !== 'string') throw new Error('not a log record');
  return o as unknown as LogRecord;
}

/** The earlier format: `{"format":"jpay-sim-log","version":1,"nextSeq":…,"records":[…]}`. */
function legacy(bytes: Buffer, file: string): [string, Value][] {
  let data: Record<string, unknown>;
  try {
    data = JSON.parse(bytes.toString('utf8')) as Record<string, unknown>;
  } catch (error) {
    throw new JpayError(`log file ${file} is not valid JSON: ${(error as Error).message}`);
  }
  if (data?.format !== 'jpay-sim-log' || data.version !== 1 || !Array.isArray(data.records)) {
    throw new JpayError(`log file ${file} is not a jpay-sim log (format/version/records)`);
  }
  const records = data.records as LogRecord[];
  const meta: LogMeta = {
    nextSeq: isInt(data.nextSeq) ? data.nextSeq : 1,
    nextSbpSeq: isInt(data.nextSbpSeq) ? data.nextSbpSeq : 1,
    batch: isInt(data.batch) ? data.batch : 1,
    nextKey: records.length + 1,
  };
  const password = data.password as LogMeta['password'];
  if (password && typeof password.salt === 'string' && typeof password.hash === 'string') meta.password = password;
  return [[META, meta], ...records.map((r, i) => [`r:${i + 1}`, r] as [string, Value])];
}

function hashPassword(password: string, salt: Buffer): string {
  return createHash('sha256').update(salt).update(password, 'utf8').digest('hex');
}

function freshMeta(password: string, nextKey = 1): Required<LogMeta> {
  const salt = randomBytes(16);
  return { nextSeq: 1, nextSbpSeq: 1, batch: 1, nextKey, password: { salt: salt.toString('hex'), hash: hashPassword(password, salt) } };
}

export class TransactionLog {
  private records: LogRecord[] = [];
  /** Each record's key in the file. */
  private readonly keys = new WeakMap<LogRecord, string>();
  private meta: Required<LogMeta>;

  private constructor(
    private readonly store: DurableLog<Value> | undefined,
    initialPassword: string,
  ) {
    this.meta = freshMeta(initialPassword);
  }

  /** Opens the log; a file that exists but is not a valid log is an error (never silently replaced). */
  static async open(file: string | undefined, initialPassword: string, options: { fs?: DurableFs } = {}): Promise<TransactionLog> {
    if (file === undefined) return new TransactionLog(undefined, initialPassword);
    let store: DurableLog<Value>;
    try {
      store = await DurableLog.open<Value>(file, { fs: options.fs, decode, damaged: 'refuse', legacy: (bytes) => ({ entries: legacy(bytes, file) }) });
    } catch (error) {
      if (!(error instanceof DurableLogError)) throw error;
      throw new JpayError(`log file ${error.message}`, { cause: error });
    }
    const log = new TransactionLog(store, initialPassword);
    const entries = [...store.entries()];
    const meta = entries.find(([key]) => key === META)?.[1] as LogMeta | undefined;
    if (meta) {
      const { nextSeq, nextSbpSeq, batch, nextKey, password } = meta;
      log.meta = { nextSeq, nextSbpSeq, batch, nextKey, password: password ?? log.meta.password };
      for (const [key, record] of entries) {
        if (key === META) continue;
        log.records.push(record as LogRecord);
        log.keys.set(record as LogRecord, key);
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

  get persistent(): boolean {
    return this.store !== undefined;
  }

  get batch(): number {
    return this.meta.batch;
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
    const seq = this.meta[SEQ_FIELD[kind]];
    this.meta[SEQ_FIELD[kind]] = seq >= MAX_SEQ ? 1 : seq + 1;
    return seq;
  }

  /** Appends a record (and applies its effect on the original, if any), then persists. */
  async append(record: LogRecord): Promise<void> {
    const copy = structuredClone(record);
    const key = `r:${this.meta.nextKey++}`;
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
    this.meta.batch += 1;
    return this.removeAll();
  }

  checkPassword(candidate: string): boolean {
    const { salt, hash } = this.meta.password;
    const expected = Buffer.from(hash, 'hex');
    const actual = Buffer.from(hashPassword(candidate, Buffer.from(salt, 'hex')), 'hex');
    return expected.length === actual.length && timingSafeEqual(expected, actual);
  }

  async setPassword(password: string): Promise<void> {
    this.meta.password = freshMeta(password).password;
    await this.persist([]);
  }

  /** Back to the first start: no records, numbering from 1, the given password. */
  async reset(password: string): Promise<void> {
    this.meta = freshMeta(password, this.meta.nextKey);
    await this.removeAll();
  }

  /** Resolves when every queued write is on disk. */
  async flush(): Promise<void> {
    await this.store?.flush();
  }

  /** Writes what is queued and closes the file (the simulator's close). */
  async close(): Promise<void> {
    await this.store?.close();
  }

  private async removeAll(): Promise<number> {
    const gone = this.records;
    this.records = [];
    await this.persist(gone.map((r) => [this.keys.get(r) as string, undefined]));
    return gone.length;
  }

  /** Stores the meta record, then the changed records (undefined: removed), in one write; resolves once synced. */
  private async persist(changed: [string, LogRecord | undefined][]): Promise<void> {
    if (!this.store) return;
    const store = this.store;
    await store.write([store.encode(META, { ...this.meta }), ...changed.map(([key, record]) => store.encode(key, record))]);
  }
}

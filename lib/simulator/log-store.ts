/**
 * The transaction log's file: a durable log (lib/durable, docs/reliability.md) with the
 * key `meta` (numbering, batch, password hash) and one key `r:<n>` per record. Each change
 * of the log appends its records (meta first) in one write and one sync. A file of the
 * earlier format (one JSON document, rewritten whole at each change) is read and rewritten.
 * A file that is neither, or has a damaged record, is refused and left as it is.
 */
import { JpayError } from '../errors';
import { DurableLogError } from '../durable/errors';
import type { DurableFs } from '../durable/fs';
import { DurableLog } from '../durable/log';
import type { LogRecord } from './log';

export interface LogMeta {
  nextSeq: number;
  nextSbpSeq: number;
  batch: number;
  /** Next record key number (`r:<n>`). */
  nextKey: number;
  password?: { salt: string; hash: string };
}

type Value = LogMeta | LogRecord;

const META = 'meta';
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

export class LogStore {
  private constructor(private readonly log: DurableLog<Value>) {}

  static async open(file: string, fs?: DurableFs): Promise<LogStore> {
    try {
      return new LogStore(await DurableLog.open<Value>(file, { fs, decode, damaged: 'refuse', legacy: (bytes) => ({ entries: legacy(bytes, file) }) }));
    } catch (error) {
      if (!(error instanceof DurableLogError)) throw error;
      throw new JpayError(`log file ${error.message}`, { cause: error });
    }
  }

  get file(): string {
    return this.log.file;
  }

  /** What the file holds: the header (undefined for a new file) and the records, oldest first. */
  load(): { meta?: LogMeta; records: [string, LogRecord][] } {
    const records: [string, LogRecord][] = [];
    let meta: LogMeta | undefined;
    for (const [key, value] of this.log.entries()) {
      if (key === META) meta = value as LogMeta;
      else records.push([key, value as LogRecord]);
    }
    return meta ? { meta, records } : { records };
  }

  /** Stores the header and the changed records (undefined: removed); resolves once synced. */
  async write(meta: LogMeta, changed: readonly [string, LogRecord | undefined][]): Promise<void> {
    await this.log.write([this.log.encode(META, meta), ...changed.map(([key, record]) => this.log.encode(key, record))]);
  }

  flush(): Promise<void> {
    return this.log.flush();
  }

  close(): Promise<void> {
    return this.log.close();
  }
}

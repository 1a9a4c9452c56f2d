/**
 * The durable outbox: the receipts not yet acknowledged by the broker, in a durable log
 * (lib/durable; record format: journal-format.ts).
 *
 * - add() resolves only after the whole receipt record is written and fdatasync'd.
 *   Concurrent adds share one write and one sync (group commit). `onWritten` is told as
 *   soon as the bytes are in the file, so the publisher can send while the sync runs.
 * - ack() removes the receipt without a sync of its own (synced with the next add, or
 *   within 100 ms): losing it in a power cut only means the receipt is published again (a
 *   duplicate, which consumers drop by receiptId).
 * - A failed write (disk full, I/O error) rejects the adds of that write and leaves
 *   nothing of them in the file; a failed sync also makes the outbox refuse further adds
 *   until it is reopened.
 * - A damaged or edited record is never published: on open it is copied to
 *   `<journal>.quarantine`, left out and reported (loadReport).
 * - The file stays bounded: rewritten with the pending receipts only (on open when it
 *   holds anything else; while running once it is over `compactAtBytes` and at least half
 *   acknowledged), truncated when nothing is pending (on close, or once over the limit).
 * - A journal of the earlier format (JSON lines without checksums) is read and rewritten.
 */
import type { DurableFs } from '../durable/fs';
import { DurableLog } from '../durable/log';
import { DurableLogError } from '../durable/errors';
import { OutboxError } from './errors';
import {
  decodeOutboxValue,
  outboxKey,
  outboxN,
  outboxValue,
  scanLegacyJournal,
  storedReceipt,
  type LegacyScan,
  type OutboxValue,
  type StoredReceipt,
} from './journal-format';

export interface OutboxLimits {
  /** Most receipts held unacknowledged. */
  maxQueued: number;
  /** Most journal bytes held by unacknowledged receipts. */
  maxQueuedBytes: number;
  /** Journal size above which a partly acknowledged journal is rewritten. */
  compactAtBytes: number;
}

export const DEFAULT_OUTBOX_LIMITS: OutboxLimits = {
  maxQueued: 10_000,
  maxQueuedBytes: 32 * 1024 * 1024,
  compactAtBytes: 1024 * 1024,
};

export interface LoadReport {
  /** Receipts waiting to be published. */
  pending: number;
  /** Highest receipt position read. */
  lastN: number;
  /** Receipt records and acknowledgements read. */
  receiptLines: number;
  ackLines: number;
  /** Damaged or edited records: left out, kept in `backupPath`. */
  corruptLines: number;
  /** Bytes of a torn last write (its add never resolved), cut off. */
  tornBytes: number;
  /** Zero bytes skipped where unsynced writes were lost in a power cut. */
  zeroedBytes: number;
  /** Where the damaged records are: `<journal>.quarantine` (earlier format: a copy of the whole file, `<journal>.corrupt-<time>`). */
  backupPath?: string;
  /** The journal was in the earlier format and has been rewritten. */
  migrated: boolean;
}

export interface OutboxEntry {
  receiptId: string;
  terminalId: string;
  topic: string;
  payload: string;
}

function loadReport(log: DurableLog<OutboxValue>, legacy: LegacyScan | undefined, pending: StoredReceipt[]): LoadReport {
  const r = log.report;
  const report: LoadReport = {
    pending: pending.length,
    lastN: pending.reduce((max, p) => Math.max(max, p.n), legacy?.lastN ?? 0),
    receiptLines: legacy?.receiptLines ?? r.puts,
    ackLines: legacy?.ackLines ?? r.removals,
    corruptLines: legacy?.corruptLines ?? r.damaged.filter((d) => d.reason !== 'zeroed').length,
    tornBytes: legacy?.tornBytes ?? r.tornBytes,
    zeroedBytes: r.zeroedBytes,
    migrated: r.migrated,
  };
  const backup = r.legacyCopyPath ?? r.quarantinePath;
  if (backup !== undefined) report.backupPath = backup;
  return report;
}

export class Outbox {
  readonly path: string;
  readonly loadReport: LoadReport;
  readonly #log: DurableLog<OutboxValue>;
  readonly #limits: OutboxLimits;
  readonly #live = new Map<number, StoredReceipt>();
  #liveBytes = 0;
  #reservedCount = 0;
  #reservedBytes = 0;
  #nextN: number;
  #closed = false;

  private constructor(log: DurableLog<OutboxValue>, limits: OutboxLimits, legacy: LegacyScan | undefined) {
    this.path = log.file;
    this.#log = log;
    this.#limits = limits;
    for (const [key, value] of log.entries()) {
      const n = outboxN(key) as number;
      const record = storedReceipt(n, value, log.encode(key, value).line.length);
      this.#live.set(n, record);
      this.#liveBytes += record.bytes;
    }
    const pending = this.pending();
    this.loadReport = loadReport(log, legacy, pending);
    this.#nextN = this.loadReport.lastN + 1;
  }

  /** Opens (creating if needed) the journal, repairs or migrates it, and loads what is pending; `fs`: the file system (tests). */
  static async open(file: string, options: Partial<OutboxLimits> & { fs?: DurableFs } = {}, warn: (e: Error) => void = () => undefined): Promise<Outbox> {
    const { fs, ...limits } = options;
    const resolved = { ...DEFAULT_OUTBOX_LIMITS, ...limits };
    let legacy: LegacyScan | undefined;
    let log: DurableLog<OutboxValue>;
    try {
      log = await DurableLog.open<OutboxValue>(file, {
        fs,
        decode: decodeOutboxValue,
        damaged: 'quarantine',
        compactAtBytes: resolved.compactAtBytes,
        warn: (e) => warn(new OutboxError('journal-failed', `outbox journal: ${e.message}`, { cause: e })),
        legacy: (bytes) => {
          legacy = scanLegacyJournal(bytes.toString('utf8'));
          return {
            entries: legacy.pending.map((r) => [outboxKey(r.n), outboxValue(r)] as const),
            ...(legacy.corruptLines > 0 ? { keepCopyAs: `.corrupt-${new Date().toISOString().replace(/[:.]/g, '-')}` } : {}),
          };
        },
      });
    } catch (error) {
      if (error instanceof DurableLogError && error.code === 'in-use') {
        throw new OutboxError('journal-in-use', `outbox journal ${error.file} is already open in this process`, { cause: error });
      }
      throw new OutboxError('journal-failed', `cannot open outbox journal ${file}: ${(error as Error).message}`, { cause: error });
    }
    const outbox = new Outbox(log, resolved, legacy);
    // Anything but pending receipts in the file (acks, damage): rewrite it now if there is room.
    if (log.fileBytes > log.liveBytes) await log.compact().catch((e: Error) => warn(new OutboxError('journal-failed', `compacting the outbox journal failed: ${e.message}`, { cause: e })));
    return outbox;
  }

  /** Receipts held (written or being written) and not acknowledged. */
  get count(): number {
    return this.#live.size + this.#reservedCount;
  }

  get bytes(): number {
    return this.#liveBytes + this.#reservedBytes;
  }

  /** Current journal file size. */
  get fileBytes(): number {
    return this.#log.fileBytes;
  }

  /** Unacknowledged receipts on disk, in journal order. */
  pending(): StoredReceipt[] {
    return [...this.#live.values()].sort((a, b) => a.n - b.n);
  }

  /**
   * Appends a receipt; resolves once it is on disk. `onWritten` is called when its bytes
   * are in the file, before the sync. Rejects with OutboxError: then the receipt is not
   * stored (it may have been handed to the broker already, from onWritten).
   */
  add(entry: OutboxEntry, onWritten?: (record: StoredReceipt) => void): Promise<StoredReceipt> {
    if (this.#closed) return Promise.reject(new OutboxError('closed', 'the outbox is closed'));
    const broken = this.#log.broken;
    if (broken) return Promise.reject(new OutboxError('journal-failed', `the outbox journal failed earlier: ${broken.message}`, { cause: broken }));
    const n = this.#nextN;
    const encoded = this.#log.encode(outboxKey(n), outboxValue(entry));
    const record: StoredReceipt = { n, ...entry, bytes: encoded.line.length };
    const { maxQueued, maxQueuedBytes } = this.#limits;
    if (this.count + 1 > maxQueued || this.bytes + record.bytes > maxQueuedBytes) {
      return Promise.reject(
        new OutboxError(
          'outbox-full',
          `outbox full: ${this.count} receipts / ${this.bytes} bytes wait for the broker (limits ${maxQueued} / ${maxQueuedBytes}); the receipt was not stored`,
        ),
      );
    }
    this.#nextN++;
    this.#reservedCount++;
    this.#reservedBytes += record.bytes;
    const unreserve = (): void => {
      this.#reservedCount--;
      this.#reservedBytes -= record.bytes;
    };
    return this.#log.write([encoded], { onWritten: onWritten && (() => onWritten(record)) }).then(
      () => {
        unreserve();
        this.#live.set(n, record);
        this.#liveBytes += record.bytes;
        return record;
      },
      (error: Error) => {
        unreserve();
        const why = error instanceof DurableLogError && error.code === 'no-space' ? 'the disk is full' : error.message;
        throw new OutboxError('journal-failed', `writing the outbox journal failed (${why}); the receipt was not stored`, { cause: error });
      },
    );
  }

  /** Marks a receipt acknowledged. Unknown or already acknowledged numbers are ignored. */
  async ack(n: number): Promise<void> {
    const record = this.#live.get(n);
    if (this.#closed || this.#log.broken || !record) return;
    await this.#log.remove(outboxKey(n), { sync: false });
    if (this.#live.delete(n)) this.#liveBytes -= record.bytes;
  }

  /** Waits for queued writes, then closes the file. Pending receipts stay in the journal. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#log.close();
  }
}

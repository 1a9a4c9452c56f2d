/**
 * The durable outbox: an fsync'd append-only journal of receipts not yet acknowledged by
 * the broker (format: journal-format.ts).
 *
 * - add() resolves only after the receipt line is written and fdatasync'd. Concurrent adds
 *   share one write + sync (group commit).
 * - ack() appends an ack line without a sync of its own: losing it in a power cut only
 *   means the receipt is published again (a duplicate, which consumers drop by receiptId).
 * - Compaction keeps the file bounded: once nothing is pending it is truncated; once it is
 *   over `compactAtBytes` and at least half acked, the pending lines are rewritten to a
 *   temporary file that replaces it atomically (rename + directory sync).
 * - Opening tolerates a torn last line (dropped) and skips corrupt lines, keeping a copy of
 *   the damaged file beside it (`<journal>.corrupt-<time>`), then compacts.
 * - A failed write is cut back off the file; if even that fails, the outbox refuses every
 *   further add (never a journal with a hole in its middle).
 */
import { promises as fs } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { encodeAckLine, encodeReceiptLine, JournalScan, scanJournal, StoredReceipt } from './journal-format';
import { OutboxError } from './errors';

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

export type LoadReport = Omit<JournalScan, 'pending' | 'clean'> & { pending: number; backupPath?: string };

export interface OutboxEntry {
  receiptId: string;
  terminalId: string;
  topic: string;
  payload: string;
}

type Op =
  | { kind: 'add'; record: StoredReceipt; line: string; resolve: (r: StoredReceipt) => void; reject: (e: Error) => void }
  | { kind: 'ack'; n: number; resolve: () => void; reject: (e: Error) => void };

/** Journals open in this process: two writers on one file would corrupt it. */
const openJournals = new Set<string>();

async function syncDirectory(dir: string): Promise<void> {
  let handle: FileHandle | undefined;
  try {
    handle = await fs.open(dir, 'r');
    await handle.sync();
  } catch {
    // Not supported everywhere (Windows); the rename itself is still atomic.
  } finally {
    await handle?.close();
  }
}

async function writeFileDurably(file: string, data: string): Promise<void> {
  const handle = await fs.open(file, 'w');
  try {
    await handle.writeFile(data);
    await handle.datasync();
  } finally {
    await handle.close();
  }
}

export class Outbox {
  readonly path: string;
  readonly loadReport: LoadReport;
  readonly #limits: OutboxLimits;
  readonly #live = new Map<number, StoredReceipt>();
  readonly #queue: Op[] = [];
  #handle: FileHandle;
  #size: number;
  #liveBytes = 0;
  #reservedCount = 0;
  #reservedBytes = 0;
  #nextN: number;
  #running: Promise<void> | undefined;
  #broken: Error | undefined;
  #closed = false;
  readonly #warn: (error: Error) => void;

  private constructor(file: string, handle: FileHandle, size: number, scan: JournalScan, report: LoadReport, limits: OutboxLimits, warn: (e: Error) => void) {
    this.path = file;
    this.#handle = handle;
    this.#size = size;
    this.#limits = limits;
    this.#warn = warn;
    this.#nextN = scan.lastN + 1;
    this.loadReport = report;
    for (const r of scan.pending) {
      this.#live.set(r.n, r);
      this.#liveBytes += r.bytes;
    }
  }

  /** Opens (creating if needed) the journal, repairs/compacts it, and loads what is pending. */
  static async open(file: string, limits: Partial<OutboxLimits> = {}, warn: (e: Error) => void = () => undefined): Promise<Outbox> {
    const resolved = path.resolve(file);
    if (openJournals.has(resolved)) throw new OutboxError('journal-in-use', `outbox journal ${resolved} is already open in this process`);
    openJournals.add(resolved);
    try {
      await fs.mkdir(path.dirname(resolved), { recursive: true });
      let text = '';
      let existed = true;
      try {
        text = await fs.readFile(resolved, 'utf8');
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
        existed = false;
      }
      const scan = scanJournal(text);
      const { pending: _pending, clean: _clean, ...counts } = scan;
      const report: LoadReport = { ...counts, pending: scan.pending.length };
      if (scan.corruptLines > 0) {
        report.backupPath = `${resolved}.corrupt-${new Date().toISOString().replace(/[:.]/g, '-')}`;
        await fs.copyFile(resolved, report.backupPath);
      }
      if (!scan.clean) await Outbox.#rewrite(resolved, scan.pending);
      const handle = await fs.open(resolved, 'a');
      if (!existed) await syncDirectory(path.dirname(resolved));
      const { size } = await handle.stat();
      return new Outbox(resolved, handle, size, scan, report, { ...DEFAULT_OUTBOX_LIMITS, ...limits }, warn);
    } catch (error) {
      openJournals.delete(resolved);
      if (error instanceof OutboxError) throw error;
      throw new OutboxError('journal-failed', `cannot open outbox journal ${resolved}: ${(error as Error).message}`, { cause: error });
    }
  }

  static async #rewrite(file: string, records: Iterable<StoredReceipt>): Promise<number> {
    const tmp = `${file}.tmp`;
    let data = '';
    for (const r of records) data += encodeReceiptLine(r);
    try {
      await writeFileDurably(tmp, data);
      await fs.rename(tmp, file);
    } catch (error) {
      await fs.rm(tmp, { force: true }).catch(() => undefined);
      throw error;
    }
    await syncDirectory(path.dirname(file));
    return Buffer.byteLength(data);
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
    return this.#size;
  }

  /** Unacknowledged receipts on disk, in journal order. */
  pending(): StoredReceipt[] {
    return [...this.#live.values()];
  }

  /** Appends a receipt; resolves once it is on disk. Rejects with OutboxError (nothing stored). */
  add(entry: OutboxEntry): Promise<StoredReceipt> {
    if (this.#closed) return Promise.reject(new OutboxError('closed', 'the outbox is closed'));
    if (this.#broken) {
      return Promise.reject(new OutboxError('journal-failed', `the outbox journal failed earlier: ${this.#broken.message}`, { cause: this.#broken }));
    }
    const base = { n: this.#nextN, ...entry };
    const line = encodeReceiptLine(base);
    const record: StoredReceipt = { ...base, bytes: Buffer.byteLength(line) };
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
    return new Promise<StoredReceipt>((resolve, reject) => {
      this.#queue.push({ kind: 'add', record, line, resolve, reject });
      this.#kick();
    });
  }

  /** Marks a receipt acknowledged. Unknown or already acknowledged numbers are ignored. */
  ack(n: number): Promise<void> {
    if (this.#closed || this.#broken || !this.#live.has(n)) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      this.#queue.push({ kind: 'ack', n, resolve, reject });
      this.#kick();
    });
  }

  /** Waits for queued writes, then closes the file. Pending receipts stay in the journal. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    while (this.#running) await this.#running;
    await this.#handle.close().catch(() => undefined);
    openJournals.delete(this.path);
  }

  #kick(): void {
    if (this.#running) return;
    this.#running = this.#drain().finally(() => {
      this.#running = undefined;
    });
  }

  async #drain(): Promise<void> {
    while (this.#queue.length > 0) {
      const batch = this.#queue.splice(0);
      await this.#writeBatch(batch);
      if (!this.#broken) await this.#maybeCompact();
    }
  }

  async #writeBatch(batch: Op[]): Promise<void> {
    let data = '';
    let needsSync = false;
    const acked = new Set<number>();
    for (const op of batch) {
      if (op.kind === 'add') {
        data += op.line;
        needsSync = true;
      } else if (this.#live.has(op.n) && !acked.has(op.n)) {
        data += encodeAckLine(op.n);
        acked.add(op.n);
      }
    }
    const before = this.#size;
    try {
      if (this.#broken) throw this.#broken;
      if (data !== '') {
        await this.#handle.write(data);
        this.#size += Buffer.byteLength(data);
      }
      if (needsSync) await this.#handle.datasync();
    } catch (error) {
      await this.#cutBack(before, error as Error);
      const failure =
        error instanceof OutboxError ? error : new OutboxError('journal-failed', `writing the outbox journal failed: ${(error as Error).message}`, { cause: error });
      for (const op of batch) {
        if (op.kind === 'add') this.#unreserve(op.record);
        op.reject(failure);
      }
      return;
    }
    for (const op of batch) {
      if (op.kind === 'add') {
        this.#unreserve(op.record);
        this.#live.set(op.record.n, op.record);
        this.#liveBytes += op.record.bytes;
        op.resolve(op.record);
      } else {
        const record = this.#live.get(op.n);
        if (record) {
          this.#live.delete(op.n);
          this.#liveBytes -= record.bytes;
        }
        op.resolve();
      }
    }
  }

  #unreserve(record: StoredReceipt): void {
    this.#reservedCount--;
    this.#reservedBytes -= record.bytes;
  }

  /** Removes a partial write so no torn line sits in the middle of the journal. */
  async #cutBack(size: number, cause: Error): Promise<void> {
    if (this.#broken) return;
    try {
      await this.#handle.truncate(size);
      await this.#handle.datasync();
      this.#size = size;
    } catch {
      this.#broken = cause;
    }
  }

  async #maybeCompact(): Promise<void> {
    try {
      if (this.#live.size === 0 && this.#size > 0) {
        await this.#handle.truncate(0);
        await this.#handle.datasync();
        this.#size = 0;
      } else if (this.#size >= this.#limits.compactAtBytes && this.#liveBytes * 2 <= this.#size) {
        const size = await Outbox.#rewrite(this.path, this.#live.values());
        // The old handle points at the replaced file: switch to the new one.
        const handle = await fs.open(this.path, 'a');
        await this.#handle.close().catch(() => undefined);
        this.#handle = handle;
        this.#size = size;
      }
    } catch (error) {
      this.#warn(new OutboxError('journal-failed', `compacting the outbox journal failed: ${(error as Error).message}`, { cause: error }));
      if (!(await this.#stillWritable())) this.#broken = error as Error;
    }
  }

  async #stillWritable(): Promise<boolean> {
    try {
      const [onDisk, viaHandle] = await Promise.all([fs.stat(this.path), this.#handle.stat()]);
      return onDisk.ino === viaHandle.ino;
    } catch {
      return false;
    }
  }
}

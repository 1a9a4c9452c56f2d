/**
 * DurableLog: an append-only file of keyed records (format: record.ts) with the state it
 * describes — the newest value of each key — kept in memory. The one durable store of the
 * package: the MQTT outbox, the recovery journal and the simulator's transaction log are
 * built on it (docs/reliability.md, "The durable log").
 *
 * - A write is stored only when all of its bytes are in the file (short writes are
 *   continued) and, for a synced write, fdatasync'd. A write that fails (ENOSPC, EIO) is
 *   cut back off the file, so a later record never lands behind a torn one; it rejects and
 *   nothing written before it is touched. If even the cut fails, or a sync fails, the log
 *   refuses further writes (`broken`) until it is reopened.
 * - Group commit: writes queued while one is on the disk go out together, one write and
 *   one sync. A deferred change (`sync: false`) costs no I/O of its own: its record goes
 *   out with the next synced write, by a timer within `syncDelayMs`, or on close.
 * - Every record carries a CRC-32C. On open, a torn tail is cut off; a record that does not
 *   match its checksum (edited, damaged) is either quarantined (copied to
 *   `<file>.quarantine`, reported, left out of the state) or makes the open fail, as the
 *   owner chose; zero bytes where records were (writes lost in a power cut) are skipped
 *   and reported.
 * - Compaction writes only the live records to `<file>.compact.tmp`, syncs it, renames it
 *   over the file and syncs the directory: it needs free space for the live records only,
 *   and it runs when at least half of a file of `compactAtBytes` or more is superseded. A
 *   log with nothing live is simply truncated. A compaction that fails (disk full) changes
 *   nothing; opening never needs one.
 *
 * Values given to the log are owned by it: do not change them afterwards.
 */
import path from 'node:path';
import { DurableLogError, fsFailure } from './errors';
import { nodeFs, type DurableFile, type DurableFs } from './fs';
import { encodeRecord, FORMAT_VERSION, isBlank, isCurrentFormat, scanRecords, type Damage, type EncodedRecord } from './record';

/** Thrown by a `decode` that meets a record version newer than it knows: the open fails ('newer-format'). */
export class NewerRecordVersion extends Error {
  constructor(readonly version: number) {
    super(`record version ${version}`);
  }
}

export type DamagePolicy =
  /** Damaged records are copied to `<file>.quarantine`, reported and left out. */
  | 'quarantine'
  /** Opening fails (DurableLogError 'damaged') and the file is left as it is. */
  | 'refuse';

/** What an earlier file format held, read by the log's owner. */
export interface LegacyImport<V> {
  /** The live entries, in order. */
  entries: Iterable<readonly [string, V]>;
  /** Keep a copy of the old file beside it under this suffix (e.g. when it had damaged lines). */
  keepCopyAs?: string;
}

export interface DurableLogOptions<V> {
  /** The file system (tests pass a faulty one). */
  fs?: DurableFs;
  /** Permissions of files the log creates (default 0600). */
  mode?: number;
  /** Checks a stored value; throws when it is not one (the record then counts as damaged), NewerRecordVersion for a version it does not know. */
  decode: (value: unknown, key: string) => V;
  damaged: DamagePolicy;
  /** Reads a file of an earlier format: undefined when it is not one. May throw. */
  legacy?: (bytes: Buffer) => LegacyImport<V> | undefined;
  /** Compaction threshold (default 1 MiB). */
  compactAtBytes?: number;
  /** A deferred write is synced at most this long after it (default 100 ms). */
  syncDelayMs?: number;
  /** Trouble that loses nothing the caller was promised: a failed compaction, quarantine or background sync. */
  warn?: (error: DurableLogError) => void;
}

export interface OpenReport {
  /** Records read. */
  puts: number;
  removals: number;
  /** Damaged records left out (quarantined) — with policy 'refuse' the open fails instead. */
  damaged: Damage[];
  /** Zero bytes skipped: writes lost in a power cut before their sync. */
  zeroedBytes: number;
  /** Bytes of a torn last write, cut off. */
  tornBytes: number;
  /** Where the damaged records were copied (when that succeeded). */
  quarantinePath?: string;
  /** The file was in an earlier format and has been rewritten in this one. */
  migrated: boolean;
  /** Copy of the earlier-format file, when its reader asked for one. */
  legacyCopyPath?: string;
}

export interface WriteOptions {
  /**
   * true (default): resolves once the record is written and fdatasync'd. false (deferred):
   * resolves once the change is in the state; its record is written and synced with the
   * next synced write, within syncDelayMs, or on close — a crash or a power cut before
   * that loses it. For changes whose loss costs only a repetition (an ack: a duplicate).
   */
  sync?: boolean;
  /** Called once the bytes are in the file, before the sync: work that may overlap it. */
  onWritten?: () => void;
}

interface Live<V> {
  value: V;
  bytes: number;
}

type Job<V> =
  | { kind: 'write'; records: readonly EncodedRecord<V>[]; options: WriteOptions; resolve: () => void; reject: (e: Error) => void }
  | { kind: 'task'; run: () => Promise<void>; resolve: () => void; reject: (e: Error) => void };

const DEFAULT_COMPACT_AT = 1024 * 1024;
const DEFAULT_SYNC_DELAY_MS = 100;
const COMPACT_CHUNK = 1024 * 1024;
const NEWLINE = Buffer.from('\n');

/** Files open in this process: two writers on one file would corrupt it. */
const openFiles = new Set<string>();

export class DurableLog<V> {
  readonly file: string;
  readonly report: OpenReport;
  readonly #fs: DurableFs;
  readonly #mode: number;
  readonly #compactAt: number;
  readonly #syncDelayMs: number;
  readonly #warn: (error: DurableLogError) => void;
  readonly #live = new Map<string, Live<V>>();
  #liveBytes = 0;
  #handle: DurableFile;
  #size: number;
  #needsNewline: boolean;
  /** Records of deferred changes, applied to the state, not yet written. */
  #deferred: Buffer[] = [];
  #syncTimer: NodeJS.Timeout | undefined;
  readonly #queue: Job<V>[] = [];
  #running: Promise<void> | undefined;
  #broken: DurableLogError | undefined;
  #closing: Promise<void> | undefined;
  /** Damaged lines not yet copied to the quarantine file: compaction waits for them. */
  #toQuarantine: { damage: Damage; bytes: Buffer }[] = [];
  /** After a failed compaction, the next automatic one waits until the file reaches this size. */
  #compactRetryAt = 0;

  private constructor(file: string, fs: DurableFs, handle: DurableFile, size: number, needsNewline: boolean, options: DurableLogOptions<V>, report: OpenReport) {
    this.file = file;
    this.#fs = fs;
    this.#handle = handle;
    this.#size = size;
    this.#needsNewline = needsNewline;
    this.#mode = options.mode ?? 0o600;
    this.#compactAt = options.compactAtBytes ?? DEFAULT_COMPACT_AT;
    this.#syncDelayMs = options.syncDelayMs ?? DEFAULT_SYNC_DELAY_MS;
    this.#warn = options.warn ?? (() => undefined);
    this.report = report;
  }

  /**
   * Opens (creating it and its folder) the log, repairs a torn tail, quarantines or refuses
   * damaged records, migrates an earlier format, and loads the state.
   */
  static async open<V>(file: string, options: DurableLogOptions<V>): Promise<DurableLog<V>> {
    const resolved = path.resolve(file);
    if (openFiles.has(resolved)) throw new DurableLogError('in-use', resolved, `${resolved} is already open in this process`);
    openFiles.add(resolved);
    try {
      return await DurableLog.#open(resolved, options);
    } catch (error) {
      openFiles.delete(resolved);
      throw error;
    }
  }

  static async #open<V>(file: string, options: DurableLogOptions<V>): Promise<DurableLog<V>> {
    const fs = options.fs ?? nodeFs;
    const mode = options.mode ?? 0o600;
    const dir = path.dirname(file);
    const report: OpenReport = { puts: 0, removals: 0, damaged: [], zeroedBytes: 0, tornBytes: 0, migrated: false };
    let bytes: Buffer | undefined;
    try {
      await fs.mkdir(dir);
      bytes = await fs.readFile(file);
      // Left by a compaction or migration a crash interrupted: it holds space and nothing else.
      await fs.remove(`${file}.compact.tmp`);
      await fs.remove(`${file}.migrate.tmp`);
    } catch (error) {
      throw fsFailure(error, file, 'reading');
    }
    if (bytes !== undefined && !isBlank(bytes) && !isCurrentFormat(bytes)) {
      const imported = options.legacy?.(bytes);
      if (!imported) throw new DurableLogError('not-a-log', file, `${file} is not a durable log file (nor an earlier format): it is left as it is`);
      bytes = await DurableLog.#migrate(fs, file, mode, bytes, imported, report);
    }
    const scan = scanRecords(bytes ?? Buffer.alloc(0));
    if (scan.newerVersion !== undefined) {
      throw new DurableLogError('newer-format', file, `${file} was written in log format ${scan.newerVersion} by a newer version (this one reads ${FORMAT_VERSION})`);
    }
    const harmful = scan.damaged.filter((d) => d.reason !== 'zeroed');
    const live = new Map<string, Live<V>>();
    for (const record of scan.records) {
      if (record.removed) {
        report.removals++;
        live.delete(record.key);
        continue;
      }
      let value: V;
      try {
        value = options.decode(record.value, record.key);
      } catch (error) {
        if (error instanceof NewerRecordVersion) {
          throw new DurableLogError('newer-format', file, `${file}: line ${record.line} is a record of version ${error.version}, written by a newer version of this library`);
        }
        harmful.push({ line: record.line, offset: record.offset, length: record.bytes - 1, reason: 'format' });
        continue;
      }
      report.puts++;
      live.set(record.key, { value, bytes: record.bytes });
    }
    if (harmful.length > 0 && options.damaged === 'refuse') {
      const first = [...harmful].sort((a, b) => a.line - b.line)[0];
      const what = first.reason === 'checksum' ? 'does not match its checksum (edited or damaged)' : 'is not a valid record';
      throw new DurableLogError(
        'damaged',
        file,
        `${file}: line ${first.line} ${what}${harmful.length > 1 ? ` (and ${harmful.length - 1} more)` : ''}; the file is not trusted and was left as it is`,
      );
    }
    report.damaged = [...scan.damaged.filter((d) => d.reason === 'zeroed'), ...harmful].sort((a, b) => a.line - b.line);
    report.zeroedBytes = scan.zeroedBytes;
    report.tornBytes = scan.tornBytes;

    let handle: DurableFile;
    try {
      handle = await fs.open(file, { mode });
    } catch (error) {
      throw fsFailure(error, file, 'opening');
    }
    try {
      if (bytes === undefined) await fs.syncDirectory(dir);
      if (bytes !== undefined && scan.end < bytes.length) {
        // The torn tail of a write that never completed: cut it off, durably, before anything follows it.
        await handle.truncate(scan.end);
        await handle.datasync();
      }
    } catch (error) {
      await handle.close().catch(() => undefined);
      throw fsFailure(error, file, 'repairing');
    }
    const log = new DurableLog<V>(file, fs, handle, scan.end, scan.needsNewline, options, report);
    for (const [key, entry] of live) log.#setLive(key, entry);
    if (bytes !== undefined) {
      log.#toQuarantine = harmful.map((damage) => ({ damage, bytes: bytes.subarray(damage.offset, damage.offset + damage.length) }));
    }
    await log.#quarantine();
    return log;
  }

  /** Rewrites an earlier-format file in this format (temp file, sync, rename, directory sync). */
  static async #migrate<V>(fs: DurableFs, file: string, mode: number, old: Buffer, imported: LegacyImport<V>, report: OpenReport): Promise<Buffer> {
    const lines: Buffer[] = [];
    for (const [key, value] of imported.entries) lines.push(encodeRecord(key, value).line);
    const data = Buffer.concat(lines);
    try {
      if (imported.keepCopyAs !== undefined) {
        report.legacyCopyPath = `${file}${imported.keepCopyAs}`;
        await writeFileDurably(fs, report.legacyCopyPath, old, mode);
      }
      const temp = `${file}.migrate.tmp`;
      await writeFileDurably(fs, temp, data, mode);
      await fs.rename(temp, file);
      await fs.syncDirectory(path.dirname(file));
    } catch (error) {
      throw fsFailure(error, file, 'rewriting the earlier-format file');
    }
    report.migrated = true;
    return data;
  }

  // ---- The state ----

  get size(): number {
    return this.#live.size;
  }

  has(key: string): boolean {
    return this.#live.has(key);
  }

  get(key: string): V | undefined {
    return this.#live.get(key)?.value;
  }

  /** Live entries, in the order their keys were first written. */
  *entries(): IterableIterator<[string, V]> {
    for (const [key, entry] of this.#live) yield [key, entry.value];
  }

  /** Bytes of the live records' lines. */
  get liveBytes(): number {
    return this.#liveBytes;
  }

  /** Bytes of the file. */
  get fileBytes(): number {
    return this.#size;
  }

  /** Set after a failed sync or a failed cut: every write is refused until the log is reopened. */
  get broken(): DurableLogError | undefined {
    return this.#broken;
  }

  // ---- Writing ----

  /** Encodes a change (undefined value: removal); its `line.length` is what it will take on disk. */
  encode(key: string, value: V | undefined): EncodedRecord<V> {
    return encodeRecord(key, value);
  }

  put(key: string, value: V, options?: WriteOptions): Promise<void> {
    return this.write([encodeRecord(key, value)], options);
  }

  remove(key: string, options?: WriteOptions): Promise<void> {
    return this.write([encodeRecord<V>(key, undefined)], options);
  }

  /**
   * Writes changes in order, in one write and one sync. The state changes once they are
   * stored — a deferred batch (`sync: false`) once the queue reaches it, with no I/O.
   */
  write(records: readonly EncodedRecord<V>[], options: WriteOptions = {}): Promise<void> {
    const refused = this.#refusal();
    if (refused) return Promise.reject(refused);
    return new Promise<void>((resolve, reject) => {
      this.#queue.push({ kind: 'write', records, options, resolve, reject });
      this.#kick();
    });
  }

  /** Resolves once everything written so far is synced. */
  flush(): Promise<void> {
    return this.#task(() => this.#syncNow());
  }

  /** Rewrites the file with the live records only (or truncates it when nothing is live). */
  compact(): Promise<void> {
    return this.#task(() => this.#compactNow());
  }

  /** Waits for queued writes, syncs, truncates an empty log, closes. Never rejects: trouble goes to `warn`. */
  close(): Promise<void> {
    this.#closing ??= this.#close();
    return this.#closing;
  }

  async #close(): Promise<void> {
    while (this.#running) await this.#running;
    clearTimeout(this.#syncTimer);
    try {
      if (!this.#broken) {
        if (this.#live.size === 0 && (this.#size > 0 || this.#deferred.length > 0)) await this.#truncateEmpty();
        else await this.#syncNow();
      }
    } catch (error) {
      this.#warn(fsFailure(error, this.file, 'closing'));
    } finally {
      await this.#handle.close().catch(() => undefined);
      openFiles.delete(this.file);
    }
  }

  #refusal(): DurableLogError | undefined {
    if (this.#closing) return new DurableLogError('closed', this.file, `${this.file} is closed`);
    if (this.#broken) return new DurableLogError('broken', this.file, `${this.file} failed earlier and takes no more writes until it is reopened: ${this.#broken.message}`, { cause: this.#broken });
    return undefined;
  }

  #task(run: () => Promise<void>): Promise<void> {
    const refused = this.#refusal();
    if (refused) return Promise.reject(refused);
    return new Promise<void>((resolve, reject) => {
      this.#queue.push({ kind: 'task', run, resolve, reject });
      this.#kick();
    });
  }

  #kick(): void {
    if (this.#running) return;
    this.#running = this.#drain().finally(() => {
      this.#running = undefined;
      // A job queued between the loop's last check and this moment found #running still set.
      if (this.#queue.length > 0) this.#kick();
    });
  }

  async #drain(): Promise<void> {
    while (this.#queue.length > 0) {
      const head = this.#queue[0];
      if (head.kind === 'task') {
        this.#queue.shift();
        try {
          await head.run();
          head.resolve();
        } catch (error) {
          head.reject(error as Error);
        }
        continue;
      }
      let n = 0;
      while (n < this.#queue.length && this.#queue[n].kind === 'write') n++;
      const batch = this.#queue.splice(0, n) as Extract<Job<V>, { kind: 'write' }>[];
      await this.#writeBatch(batch);
      await this.#autoCompact();
    }
  }

  async #writeBatch(batch: Extract<Job<V>, { kind: 'write' }>[]): Promise<void> {
    if (this.#broken) {
      const refused = this.#refusal() as DurableLogError;
      for (const job of batch) job.reject(refused);
      return;
    }
    const synced = batch.filter((job) => job.options.sync !== false);
    if (synced.length > 0 && !(await this.#writeSynced(batch, synced))) {
      // The synced changes were refused; the deferred ones of the batch still apply.
      this.#defer(batch.filter((job) => job.options.sync === false));
      return;
    }
    if (synced.length === 0) this.#defer(batch);
  }

  /** Applies deferred changes and keeps their records for the next write. */
  #defer(jobs: Extract<Job<V>, { kind: 'write' }>[]): void {
    if (jobs.length === 0) return;
    for (const job of jobs) {
      for (const record of job.records) {
        this.#apply(record);
        this.#deferred.push(record.line);
      }
      job.resolve();
    }
    this.#scheduleSync();
  }

  /** Writes the deferred records and the batch's in one write, then syncs. False when refused. */
  async #writeSynced(batch: Extract<Job<V>, { kind: 'write' }>[], synced: Extract<Job<V>, { kind: 'write' }>[]): Promise<boolean> {
    const parts: Buffer[] = this.#needsNewline ? [NEWLINE, ...this.#deferred] : [...this.#deferred];
    for (const job of batch) for (const record of job.records) parts.push(record.line);
    const data = parts.length === 1 ? parts[0] : Buffer.concat(parts);
    const start = this.#size;
    try {
      await writeFully(this.#handle, data, start);
    } catch (error) {
      await this.#cutBack(start);
      const failure = fsFailure(error, this.file, 'writing');
      for (const job of synced) job.reject(failure);
      return false;
    }
    this.#size = start + data.length;
    this.#needsNewline = false;
    for (const job of synced) {
      try {
        job.options.onWritten?.();
      } catch {
        // The caller's work; the write itself stands.
      }
    }
    try {
      await this.#handle.datasync();
    } catch (error) {
      // The data's fate is unknown (the kernel may have dropped it): stop here, and cut
      // the batch off so its records, refused to their callers, do not come back.
      this.#broken = fsFailure(error, this.file, 'syncing', 'broken');
      await this.#cutBack(start);
      for (const job of synced) job.reject(this.#broken);
      return false;
    }
    this.#deferred = [];
    clearTimeout(this.#syncTimer);
    this.#syncTimer = undefined;
    for (const job of batch) {
      for (const record of job.records) this.#apply(record);
      job.resolve();
    }
    return true;
  }

  /** Removes a failed write's bytes, durably; if that fails the log is broken. */
  async #cutBack(size: number): Promise<void> {
    try {
      await this.#handle.truncate(size);
      await this.#handle.datasync();
      this.#size = size;
    } catch (error) {
      this.#broken ??= fsFailure(error, this.file, 'cutting a failed write off', 'broken');
    }
  }

  #apply(record: EncodedRecord<V>): void {
    const old = this.#live.get(record.key);
    if (old) this.#liveBytes -= old.bytes;
    if (record.value === undefined) {
      this.#live.delete(record.key);
    } else if (old) {
      // Same key: keeps its place (first-written order), new value.
      old.value = record.value;
      old.bytes = record.line.length;
      this.#liveBytes += old.bytes;
    } else {
      this.#setLive(record.key, { value: record.value, bytes: record.line.length });
    }
  }

  #setLive(key: string, entry: Live<V>): void {
    this.#live.set(key, entry);
    this.#liveBytes += entry.bytes;
  }

  #scheduleSync(): void {
    if (this.#syncTimer) return;
    this.#syncTimer = setTimeout(() => {
      this.#syncTimer = undefined;
      if (this.#closing || this.#broken) return;
      this.#task(() => this.#syncNow()).catch((error: unknown) => this.#warn(fsFailure(error, this.file, 'syncing')));
    }, this.#syncDelayMs);
    this.#syncTimer.unref();
  }

  /** Writes and syncs the deferred records. */
  async #syncNow(): Promise<void> {
    if (this.#broken) throw this.#refusal();
    if (this.#deferred.length === 0) return;
    const data = Buffer.concat(this.#needsNewline ? [NEWLINE, ...this.#deferred] : this.#deferred);
    const start = this.#size;
    try {
      await writeFully(this.#handle, data, start);
    } catch (error) {
      await this.#cutBack(start);
      throw fsFailure(error, this.file, 'writing');
    }
    this.#size = start + data.length;
    this.#needsNewline = false;
    try {
      await this.#handle.datasync();
    } catch (error) {
      this.#broken = fsFailure(error, this.file, 'syncing', 'broken');
      throw this.#broken;
    }
    this.#deferred = [];
  }

  // ---- Compaction and quarantine ----

  async #autoCompact(): Promise<void> {
    if (this.#broken || this.#size < this.#compactAt || this.#size < this.#compactRetryAt) return;
    if (this.#live.size > 0 && this.#liveBytes * 2 > this.#size) return;
    try {
      await this.#compactNow();
    } catch (error) {
      this.#compactRetryAt = this.#size + Math.max(this.#compactAt / 2, 1);
      this.#warn(fsFailure(error, this.file, 'compacting'));
    }
  }

  async #compactNow(): Promise<void> {
    if (this.#broken) throw this.#refusal();
    if (!(await this.#quarantine())) {
      throw new DurableLogError('io', this.file, `${this.file}: damaged records are not yet copied to ${this.#quarantinePath()}, so the file is not compacted`);
    }
    if (this.#live.size === 0) {
      if (this.#size > 0 || this.#deferred.length > 0) await this.#truncateEmpty();
      return;
    }
    const temp = `${this.file}.compact.tmp`;
    let out: DurableFile | undefined;
    let size = 0;
    try {
      out = await this.#fs.open(temp, { mode: this.#mode, truncate: true });
      let chunk: Buffer[] = [];
      let chunkBytes = 0;
      const flush = async (): Promise<void> => {
        if (chunkBytes === 0) return;
        const data = chunk.length === 1 ? chunk[0] : Buffer.concat(chunk, chunkBytes);
        await writeFully(out as DurableFile, data, size);
        size += data.length;
        chunk = [];
        chunkBytes = 0;
      };
      for (const [key, entry] of this.#live) {
        const { line } = encodeRecord(key, entry.value);
        chunk.push(line);
        chunkBytes += line.length;
        if (chunkBytes >= COMPACT_CHUNK) await flush();
      }
      await flush();
      await out.datasync();
      await this.#fs.rename(temp, this.file);
    } catch (error) {
      await out?.close().catch(() => undefined);
      await this.#fs.remove(temp).catch(() => undefined);
      throw fsFailure(error, this.file, 'compacting');
    }
    // The new file is in place: the old handle points at the replaced one.
    const old = this.#handle;
    this.#handle = out;
    this.#size = size;
    this.#needsNewline = false;
    this.#deferred = [];
    this.#compactRetryAt = 0;
    await old.close().catch(() => undefined);
    try {
      await this.#fs.syncDirectory(path.dirname(this.file));
    } catch (error) {
      // After a power cut the name could point at the old file: writing on would lose records.
      this.#broken = fsFailure(error, this.file, 'syncing the directory after compacting', 'broken');
      throw this.#broken;
    }
  }

  async #truncateEmpty(): Promise<void> {
    await this.#handle.truncate(0);
    await this.#handle.datasync();
    this.#size = 0;
    this.#needsNewline = false;
    this.#deferred = [];
  }

  #quarantinePath(): string {
    return `${this.file}.quarantine`;
  }

  /** Copies damaged lines to `<file>.quarantine` (appended, synced). False when that failed. */
  async #quarantine(): Promise<boolean> {
    if (this.#toQuarantine.length === 0) return true;
    const file = this.#quarantinePath();
    const at = new Date().toISOString();
    const text = this.#toQuarantine
      .map(({ damage, bytes }) =>
        JSON.stringify({ at, file: path.basename(this.file), line: damage.line, offset: damage.offset, reason: damage.reason, text: bytes.toString('utf8'), base64: bytes.toString('base64') }),
      )
      .join('\n');
    try {
      // Synced before the damaged records can leave the log; a new file's name is made
      // durable by the directory sync of the compaction that drops them.
      const existing = await this.#fs.readFile(file);
      const out = await this.#fs.open(file, { mode: this.#mode });
      try {
        await writeFully(out, Buffer.from(`${text}\n`, 'utf8'), existing?.length ?? 0);
        await out.datasync();
      } finally {
        await out.close().catch(() => undefined);
      }
    } catch (error) {
      this.#warn(fsFailure(error, file, `copying ${this.#toQuarantine.length} damaged record(s) of ${this.file} to`));
      return false;
    }
    this.#toQuarantine = [];
    this.report.quarantinePath = file;
    return true;
  }
}

/** Writes all of `data` at `position`, continuing after short writes. */
async function writeFully(file: DurableFile, data: Buffer, position: number): Promise<void> {
  let done = 0;
  while (done < data.length) {
    const n = await file.write(data, done, data.length - done, position + done);
    if (!(n > 0)) throw Object.assign(new Error('the write made no progress'), { code: 'EIO' });
    done += n;
  }
}

async function writeFileDurably(fs: DurableFs, file: string, data: Buffer, mode: number): Promise<void> {
  const out = await fs.open(file, { mode, truncate: true });
  try {
    await writeFully(out, data, 0);
    await out.datasync();
  } catch (error) {
    await out.close().catch(() => undefined);
    await fs.remove(file).catch(() => undefined);
    throw error;
  }
  await out.close();
}

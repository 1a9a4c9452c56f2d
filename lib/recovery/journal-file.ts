/**
 * The journal's file: JSON lines, append-only, each append written and fsync'd before it
 * resolves (a write-ahead log). A crash can leave only a torn last line — a write that was
 * never acknowledged — which open() cuts off. Anything else that does not parse stops the
 * open: a journal is never silently shortened. Compaction writes a new file beside it,
 * fsyncs it, renames it over the old one and fsyncs the directory.
 */
import { constants, promises as fs } from 'node:fs';
import path from 'node:path';
import { JournalError } from './errors';

export type JournalLine = Record<string, unknown> & { v: 1; op: string };

async function syncDirectory(dir: string): Promise<void> {
  let handle: fs.FileHandle | undefined;
  try {
    handle = await fs.open(dir, constants.O_RDONLY);
    await handle.sync();
  } catch {
    // Some platforms cannot fsync a directory; the rename is still atomic there.
  } finally {
    await handle?.close().catch(() => undefined);
  }
}

function parseLines(text: string, file: string): { lines: JournalLine[]; keepBytes: number; terminated: boolean } {
  const lines: JournalLine[] = [];
  let keepBytes = 0;
  let terminated = true;
  const parts = text.split('\n');
  for (let i = 0; i < parts.length; i++) {
    const raw = parts[i];
    const last = i === parts.length - 1;
    if (last && raw === '') break;
    let line: Partial<JournalLine> | null;
    try {
      line = JSON.parse(raw) as Partial<JournalLine> | null;
    } catch (error) {
      // Only the unterminated tail can be a torn write.
      if (last) break;
      throw new JournalError(`journal ${file} is corrupt at line ${i + 1}`, file, { cause: error });
    }
    if (typeof line !== 'object' || line === null || line.v !== 1 || typeof line.op !== 'string') {
      if (last) break;
      throw new JournalError(`journal ${file}: line ${i + 1} is not a version 1 journal record`, file);
    }
    lines.push(line as JournalLine);
    keepBytes += Buffer.byteLength(raw, 'utf8') + (last ? 0 : 1);
    terminated = !last;
  }
  return { lines, keepBytes, terminated };
}

export class JournalFile {
  private handle: fs.FileHandle;
  private tail: Promise<void> = Promise.resolve();
  private closed = false;
  /** True when the file's last byte is not a newline (only after a torn tail we kept). */
  private needsNewline: boolean;

  private constructor(
    readonly file: string,
    handle: fs.FileHandle,
    needsNewline: boolean,
  ) {
    this.handle = handle;
    this.needsNewline = needsNewline;
  }

  /** Opens (creating it and its folder if needed) and returns the records already in it. */
  static async open(file: string): Promise<{ journal: JournalFile; lines: JournalLine[] }> {
    const resolved = path.resolve(file);
    const dir = path.dirname(resolved);
    try {
      await fs.mkdir(dir, { recursive: true });
    } catch (error) {
      throw new JournalError(`cannot create the folder of journal ${resolved}`, resolved, { cause: error });
    }
    let text: string | undefined;
    try {
      text = await fs.readFile(resolved, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw new JournalError(`cannot read journal ${resolved}`, resolved, { cause: error });
    }
    const { lines, keepBytes, terminated } = text === undefined ? { lines: [], keepBytes: 0, terminated: true } : parseLines(text, resolved);
    const handle = await fs.open(resolved, 'a+', 0o600);
    try {
      const size = (await handle.stat()).size;
      if (text !== undefined && keepBytes < size) {
        // The torn tail of an unacknowledged write: cut it off, durably.
        await handle.truncate(keepBytes);
        await handle.sync();
      }
      if (text === undefined) {
        await handle.sync();
        await syncDirectory(dir);
      }
    } catch (error) {
      await handle.close().catch(() => undefined);
      throw new JournalError(`cannot prepare journal ${resolved}`, resolved, { cause: error });
    }
    return { journal: new JournalFile(resolved, handle, !terminated), lines };
  }

  /** Appends the records as lines and fsyncs; resolves once they are on disk. */
  append(lines: readonly JournalLine[]): Promise<void> {
    return this.serial(async () => {
      const text = (this.needsNewline ? '\n' : '') + lines.map((l) => `${JSON.stringify(l)}\n`).join('');
      const buffer = Buffer.from(text, 'utf8');
      let written = 0;
      while (written < buffer.length) {
        const { bytesWritten } = await this.handle.write(buffer, written, buffer.length - written);
        written += bytesWritten;
      }
      await this.handle.sync();
      this.needsNewline = false;
    });
  }

  /** Replaces the whole file atomically with these records (compaction). */
  rewrite(lines: readonly JournalLine[]): Promise<void> {
    return this.serial(async () => {
      const temp = `${this.file}.${process.pid}.tmp`;
      const out = await fs.open(temp, 'w', 0o600);
      try {
        await out.writeFile(lines.map((l) => `${JSON.stringify(l)}\n`).join(''), 'utf8');
        await out.sync();
      } finally {
        await out.close();
      }
      await fs.rename(temp, this.file);
      await syncDirectory(path.dirname(this.file));
      const old = this.handle;
      this.handle = await fs.open(this.file, 'a+', 0o600);
      this.needsNewline = false;
      await old.close().catch(() => undefined);
    });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.tail.catch(() => undefined);
    await this.handle.close().catch(() => undefined);
  }

  private serial(work: () => Promise<void>): Promise<void> {
    if (this.closed) return Promise.reject(new JournalError(`journal ${this.file} is closed`, this.file));
    const run = this.tail.then(work, work);
    this.tail = run.catch(() => undefined);
    return run.catch((error: unknown) => {
      throw error instanceof JournalError ? error : new JournalError(`journal ${this.file}: write failed`, this.file, { cause: error });
    });
  }
}

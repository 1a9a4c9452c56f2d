/**
 * The file-system seam of the durable log: the few calls it makes, behind a small
 * interface, so tests can count syncs and inject short writes, ENOSPC, failing syncs and
 * power cuts (as SQLite's own tests do) — test/helpers/faulty-fs.ts. `nodeFs` is the real one.
 */
import { constants, promises as fsp, writeSync } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';

/** An open file: positional writes only (the log knows where each record goes). */
export interface DurableFile {
  /** Writes bytes[offset, offset+length) at `position`; resolves the count written, which may be short. */
  write(bytes: Uint8Array, offset: number, length: number, position: number): Promise<number>;
  /** fdatasync: the data written so far (and the size) is on the device. */
  datasync(): Promise<void>;
  truncate(length: number): Promise<void>;
  close(): Promise<void>;
}

export interface DurableFs {
  /** Opens for reading and writing, creating it with `mode` if missing; `truncate` empties it. */
  open(file: string, options: { mode: number; truncate?: boolean }): Promise<DurableFile>;
  /** The whole file, or undefined when it does not exist. */
  readFile(file: string): Promise<Buffer | undefined>;
  /** Atomic replace (POSIX rename). */
  rename(from: string, to: string): Promise<void>;
  /** Removes a file; no error when it does not exist. */
  remove(file: string): Promise<void>;
  /** Creates a directory and its parents. */
  mkdir(dir: string): Promise<void>;
  /** fsync of a directory: a created or renamed entry survives a power cut. */
  syncDirectory(dir: string): Promise<void>;
}

class NodeFile implements DurableFile {
  constructor(private readonly handle: FileHandle) {}

  /**
   * A synchronous pwrite: a record batch is a few KiB copied to the page cache, cheaper
   * than a round trip through libuv's thread pool (which a loaded machine makes cost
   * 100 µs or more). The sync, which waits for the device, stays asynchronous.
   */
  async write(bytes: Uint8Array, offset: number, length: number, position: number): Promise<number> {
    return writeSync(this.handle.fd, bytes, offset, length, position);
  }

  datasync(): Promise<void> {
    return this.handle.datasync();
  }

  truncate(length: number): Promise<void> {
    return this.handle.truncate(length);
  }

  close(): Promise<void> {
    return this.handle.close();
  }
}

/** Codes of a platform that cannot open or fsync a directory (Windows): the rename itself is still atomic there. */
const NO_DIRECTORY_SYNC = new Set(['EISDIR', 'EPERM', 'EACCES', 'EINVAL', 'ENOTSUP', 'EBADF']);

function code(error: unknown): string | undefined {
  return (error as NodeJS.ErrnoException | undefined)?.code;
}

export const nodeFs: DurableFs = {
  async open(file, { mode, truncate }) {
    const flags = constants.O_RDWR | constants.O_CREAT | (truncate ? constants.O_TRUNC : 0);
    return new NodeFile(await fsp.open(file, flags, mode));
  },
  async readFile(file) {
    try {
      return await fsp.readFile(file);
    } catch (error) {
      if (code(error) === 'ENOENT') return undefined;
      throw error;
    }
  },
  rename: (from, to) => fsp.rename(from, to),
  remove: (file) => fsp.rm(file, { force: true }),
  async mkdir(dir) {
    await fsp.mkdir(dir, { recursive: true });
  },
  async syncDirectory(dir) {
    let handle: FileHandle;
    try {
      handle = await fsp.open(dir, constants.O_RDONLY);
    } catch (error) {
      if (NO_DIRECTORY_SYNC.has(code(error) ?? '')) return;
      throw error;
    }
    try {
      await handle.sync();
    } catch (error) {
      if (!NO_DIRECTORY_SYNC.has(code(error) ?? '')) throw error;
    } finally {
      await handle.close().catch(() => undefined);
    }
  },
};

/**
 * A file system for durability tests, in the manner of SQLite's own test VFS: real files
 * underneath, plus
 *  - a record of every call (`ops`) and a count of syncs, so a test sees that a write is
 *    synced before the call that made it resolves;
 *  - injected faults: short writes, a full disk (ENOSPC once `spaceLimit` bytes are used),
 *    failing syncs, renames, opens;
 *  - power cuts: `powerCut()` puts every file back to what its last fdatasync made durable,
 *    and every name back to what its directory's last fsync made durable (a rename or a
 *    create that was not followed by a directory sync is undone). Handles opened before
 *    the cut fail from then on, as the process they belonged to is gone.
 */
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, readSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { nodeFs, type DurableFile, type DurableFs } from '../../lib/durable/fs';

export type FsOp =
  | { op: 'open'; file: string; truncate: boolean }
  | { op: 'write'; file: string; position: number; length: number; written: number }
  | { op: 'datasync'; file: string }
  | { op: 'truncate'; file: string; length: number }
  | { op: 'rename'; from: string; to: string }
  | { op: 'remove'; file: string }
  | { op: 'syncdir'; dir: string };

export interface Faults {
  /** At most this many bytes per write call (a short write). */
  maxWrite?: number;
  /** Total bytes the files may take; beyond it a write is short, then fails with ENOSPC. */
  spaceLimit?: number;
  /** Return an error to make this fdatasync fail. */
  sync?: (file: string, index: number) => Error | undefined;
  /** fdatasync waits for this (a slow disk). */
  syncGate?: Promise<void>;
  rename?: (from: string, to: string) => Error | undefined;
  open?: (file: string) => Error | undefined;
  syncDirectory?: (dir: string) => Error | undefined;
}

interface Inode {
  id: number;
  /** Content as of its last fdatasync. */
  durable: Buffer;
}

export function errno(code: string, message = code): NodeJS.ErrnoException {
  return Object.assign(new Error(`${code}: ${message}`), { code });
}

export class FaultyFs implements DurableFs {
  readonly ops: FsOp[] = [];
  faults: Faults = {};
  #generation = 0;
  #nextInode = 1;
  readonly #inodes = new Map<number, Inode>();
  /** path → inode, as the running process sees it. */
  readonly #names = new Map<string, number>();
  /** path → inode, as a power cut would leave it. */
  readonly #durableNames = new Map<string, number>();

  /** fdatasync calls so far (optionally of one file). */
  syncs(file?: string): number {
    return this.ops.filter((o) => o.op === 'datasync' && (file === undefined || o.file === path.resolve(file))).length;
  }

  /** Bytes of every file this file system knows. */
  used(): number {
    let total = 0;
    for (const file of this.#names.keys()) if (existsSync(file)) total += statSync(file).size;
    return total;
  }

  /** Every file back to its durable content and name; earlier handles stop working. */
  powerCut(): void {
    this.#generation++;
    const paths = new Set([...this.#names.keys(), ...this.#durableNames.keys()]);
    for (const file of paths) {
      const id = this.#durableNames.get(file);
      if (id === undefined) rmSync(file, { force: true });
      else writeFileSync(file, (this.#inodes.get(id) as Inode).durable);
    }
    this.#names.clear();
    for (const [file, id] of this.#durableNames) {
      // After the cut each durable name has its own inode again (a file written whole is durable).
      const inode: Inode = { id: this.#nextInode++, durable: (this.#inodes.get(id) as Inode).durable };
      this.#inodes.set(inode.id, inode);
      this.#names.set(file, inode.id);
      this.#durableNames.set(file, inode.id);
    }
  }

  /** A file that exists on disk but not in the model (written by the test): durable as it is. */
  #know(file: string): number | undefined {
    const known = this.#names.get(file);
    if (known !== undefined) return known;
    if (!existsSync(file) || statSync(file).isDirectory()) return undefined;
    const inode: Inode = { id: this.#nextInode++, durable: readFileSync(file) };
    this.#inodes.set(inode.id, inode);
    this.#names.set(file, inode.id);
    this.#durableNames.set(file, inode.id);
    return inode.id;
  }

  async open(file: string, options: { mode: number; truncate?: boolean }): Promise<DurableFile> {
    const resolved = path.resolve(file);
    const injected = this.faults.open?.(resolved);
    if (injected) throw injected;
    let id = this.#know(resolved);
    const real = await nodeFs.open(resolved, options);
    if (id === undefined) {
      id = this.#nextInode++;
      this.#inodes.set(id, { id, durable: Buffer.alloc(0) });
      this.#names.set(resolved, id);
    }
    this.ops.push({ op: 'open', file: resolved, truncate: options.truncate === true });
    return new FaultyFile(this, resolved, id, real, this.#generation);
  }

  async readFile(file: string): Promise<Buffer | undefined> {
    const resolved = path.resolve(file);
    this.#know(resolved);
    return nodeFs.readFile(resolved);
  }

  async rename(from: string, to: string): Promise<void> {
    const [a, b] = [path.resolve(from), path.resolve(to)];
    const injected = this.faults.rename?.(a, b);
    if (injected) throw injected;
    const id = this.#know(a);
    this.#know(b);
    renameSync(a, b);
    this.#names.delete(a);
    if (id !== undefined) this.#names.set(b, id);
    this.ops.push({ op: 'rename', from: a, to: b });
  }

  async remove(file: string): Promise<void> {
    const resolved = path.resolve(file);
    this.#know(resolved);
    rmSync(resolved, { force: true });
    this.#names.delete(resolved);
    this.ops.push({ op: 'remove', file: resolved });
  }

  async mkdir(dir: string): Promise<void> {
    mkdirSync(dir, { recursive: true });
  }

  async syncDirectory(dir: string): Promise<void> {
    const resolved = path.resolve(dir);
    const injected = this.faults.syncDirectory?.(resolved);
    if (injected) throw injected;
    for (const file of [...this.#durableNames.keys()]) if (path.dirname(file) === resolved && !this.#names.has(file)) this.#durableNames.delete(file);
    for (const [file, id] of this.#names) if (path.dirname(file) === resolved) this.#durableNames.set(file, id);
    this.ops.push({ op: 'syncdir', dir: resolved });
  }

  // ---- for FaultyFile ----

  check(generation: number, file: string): void {
    if (generation !== this.#generation) throw errno('EIO', `${file}: the power was cut`);
  }

  /** How many of `length` bytes at `position` may be written now. */
  allowance(file: string, position: number, length: number): number {
    let allowed = Math.min(length, this.faults.maxWrite ?? length);
    if (this.faults.spaceLimit !== undefined) {
      const size = existsSync(file) ? statSync(file).size : 0;
      const growth = Math.max(0, position + allowed - size);
      const free = Math.max(0, this.faults.spaceLimit - this.used());
      if (growth > free) allowed = Math.max(0, size + free - position);
    }
    return allowed;
  }

  syncInode(id: number, fd: number, file: string): void {
    const index = this.syncs();
    const injected = this.faults.sync?.(file, index);
    this.ops.push({ op: 'datasync', file });
    if (injected) throw injected;
    (this.#inodes.get(id) as Inode).durable = readAll(fd);
  }

  record(op: FsOp): void {
    this.ops.push(op);
  }
}

function readAll(fd: number): Buffer {
  const chunks: Buffer[] = [];
  let position = 0;
  for (;;) {
    const chunk = Buffer.alloc(64 * 1024);
    const n = readSync(fd, chunk, 0, chunk.length, position);
    if (n === 0) break;
    chunks.push(chunk.subarray(0, n));
    position += n;
  }
  return Buffer.concat(chunks);
}

class FaultyFile implements DurableFile {
  readonly #fd: number;

  constructor(
    private readonly fs: FaultyFs,
    private readonly file: string,
    private readonly inode: number,
    private readonly real: DurableFile,
    private readonly generation: number,
  ) {
    // A second descriptor on the same file, to read what a sync makes durable.
    this.#fd = openSync(file, 'r');
  }

  async write(bytes: Uint8Array, offset: number, length: number, position: number): Promise<number> {
    this.fs.check(this.generation, this.file);
    const allowed = this.fs.allowance(this.file, position, length);
    if (allowed <= 0 && length > 0) {
      this.fs.record({ op: 'write', file: this.file, position, length, written: 0 });
      throw errno('ENOSPC', 'no space left on device');
    }
    const written = await this.real.write(bytes, offset, allowed, position);
    this.fs.record({ op: 'write', file: this.file, position, length, written });
    return written;
  }

  async datasync(): Promise<void> {
    this.fs.check(this.generation, this.file);
    await this.fs.faults.syncGate;
    await this.real.datasync();
    this.fs.syncInode(this.inode, this.#fd, this.file);
  }

  async truncate(length: number): Promise<void> {
    this.fs.check(this.generation, this.file);
    await this.real.truncate(length);
    this.fs.record({ op: 'truncate', file: this.file, length });
  }

  async close(): Promise<void> {
    closeSync(this.#fd);
    await this.real.close();
  }
}

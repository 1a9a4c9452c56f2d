/**
 * Durable file for the transaction log: every write goes to a temp file that is fsynced
 * and then renamed over the old one (and the directory fsynced), so a crash leaves either
 * the old or the new file, never half of one. Writes are serialised.
 */
import { open, readFile, rename, rm } from 'node:fs/promises';
import { dirname, basename, join } from 'node:path';
import { randomBytes } from 'node:crypto';

export class LogStore {
  private chain: Promise<void> = Promise.resolve();

  constructor(readonly file: string) {}

  /** The file's text, or undefined when it does not exist. */
  async read(): Promise<string | undefined> {
    try {
      return await readFile(this.file, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw error;
    }
  }

  /** Queues a write of `text`; resolves when it is on disk. */
  write(text: string): Promise<void> {
    const next = this.chain.then(() => this.writeNow(text));
    this.chain = next.catch(() => undefined);
    return next;
  }

  /** Resolves when every queued write has finished. */
  async flush(): Promise<void> {
    await this.chain;
  }

  private async writeNow(text: string): Promise<void> {
    const tmp = join(dirname(this.file), `.${basename(this.file)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
    try {
      const handle = await open(tmp, 'w', 0o600);
      try {
        await handle.writeFile(text, 'utf8');
        await handle.sync();
      } finally {
        await handle.close();
      }
      await rename(tmp, this.file);
    } catch (error) {
      await rm(tmp, { force: true });
      throw error;
    }
    await syncDirectory(dirname(this.file));
  }
}

async function syncDirectory(dir: string): Promise<void> {
  try {
    const handle = await open(dir, 'r');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  } catch {
    // Some platforms cannot fsync a directory; the rename is still atomic.
  }
}

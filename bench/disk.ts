/**
 * Where the durable files of a benchmark live, and the floor under every synced write:
 * appending one record (600 bytes) and fdatasync'ing it, as the durable log does. The
 * journal and outbox rows run on the disk (the machine's temporary directory) and, where
 * there is one, on a RAM disk (/dev/shm, a tmpfs: a sync costs nothing), which shows the
 * library's own cost apart from the disk's.
 */
import { existsSync, statfsSync } from 'node:fs';
import { open, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { median } from './stats';

export interface Medium {
  name: 'disk' | 'RAM disk';
  dir: string;
}

const TMPFS_MAGIC = 0x01021994;

function ramDisk(): Medium[] {
  try {
    return existsSync('/dev/shm') && statfsSync('/dev/shm').type === TMPFS_MAGIC ? [{ name: 'RAM disk', dir: '/dev/shm' }] : [];
  } catch {
    return [];
  }
}

/** The disk first, then the RAM disk when the machine has one. */
export const MEDIA: readonly Medium[] = [{ name: 'disk', dir: tmpdir() }, ...ramDisk()];

/** µs per append + fdatasync in `where` (median of `count`). */
export async function measureSync(count: number, where = tmpdir()): Promise<number> {
  const dir = await mkdtemp(path.join(where, 'jpay-bench-sync-'));
  const file = await open(path.join(dir, 'sync.bin'), 'w');
  try {
    const record = Buffer.alloc(600, 0x61);
    const samples: number[] = [];
    for (let i = 0; i < count; i++) {
      const start = process.hrtime.bigint();
      await file.write(record, 0, record.length, i * record.length);
      await file.datasync();
      samples.push(Number(process.hrtime.bigint() - start) / 1e3);
    }
    return median(samples);
  } finally {
    await file.close();
    await rm(dir, { recursive: true, force: true });
  }
}

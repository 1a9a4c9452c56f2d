/**
 * A real, small, full-able disk: a tmpfs mounted on a temporary directory (needs root, as
 * CI has). Where it cannot be mounted the caller skips with the reason — except in CI
 * (`CI` set), where that is a failure: the full-disk tests must run there. The same cases
 * run everywhere through the faulty file system (test/helpers/faulty-fs.ts).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, statfsSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

export interface Tmpfs {
  dir: string;
  /** Bytes still free. */
  free(): number;
  /** Fills the disk up (a filler file) to leave about `leave` bytes; returns the filler's path. */
  fill(leave?: number): string;
  unmount(): void;
}

export function mountTmpfs(sizeBytes: number): Tmpfs | { cannot: string } {
  const dir = mkdtempSync(path.join(tmpdir(), 'jpay-tmpfs-'));
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${sizeBytes},mode=0755`, 'tmpfs', dir], { stdio: 'pipe' });
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    const why = `cannot mount a tmpfs (root needed): ${((error as { stderr?: Buffer }).stderr?.toString() || (error as Error).message).trim()}`;
    if (process.env.CI) throw new Error(`${why} — the full-disk tests must run in CI`, { cause: error });
    return { cannot: why };
  }
  let fillers = 0;
  return {
    dir,
    free() {
      const s = statfsSync(dir);
      return s.bavail * s.bsize;
    },
    fill(leave = 0) {
      const file = path.join(dir, `filler-${fillers++}`);
      const s = statfsSync(dir);
      writeFileSync(file, Buffer.alloc(Math.max(0, s.bavail * s.bsize - leave)));
      return file;
    },
    unmount() {
      execFileSync('umount', ['-l', dir], { stdio: 'pipe' });
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

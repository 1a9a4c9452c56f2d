/**
 * Runs tasks strictly one at a time in call order: the protocol allows one command per
 * terminal at a time (§8). A task waiting its turn can leave the queue when its signal
 * aborts; close() rejects every waiting task and refuses new ones.
 */
import { JpayError } from '../errors';

interface Entry {
  start(): void;
  fail(error: Error): void;
}

export class CommandQueue {
  private readonly waiting: Entry[] = [];
  private running = false;
  private closedWith: Error | undefined;
  private current: Promise<unknown> = Promise.resolve();

  get busy(): boolean {
    return this.running;
  }

  get pending(): number {
    return this.waiting.length;
  }

  /**
   * Queue a task. `abortError` is called when the signal aborts while the task waits;
   * its result rejects the call (the task never starts).
   */
  run<T>(task: () => Promise<T>, signal?: AbortSignal, abortError?: () => Error): Promise<T> {
    if (this.closedWith) return Promise.reject(this.closedWith);
    // The usual case, nothing running: the task starts now, with no entry to wait in.
    if (!this.running && this.waiting.length === 0) return this.start(task);
    return new Promise<T>((resolve, reject) => {
      const onAbort = (): void => {
        const index = this.waiting.indexOf(entry);
        if (index < 0) return;
        this.waiting.splice(index, 1);
        reject(abortError ? abortError() : new JpayError('aborted while queued'));
      };
      const entry: Entry = {
        start: () => {
          signal?.removeEventListener('abort', onAbort);
          this.start(task).then(resolve, reject);
        },
        fail: (error) => {
          signal?.removeEventListener('abort', onAbort);
          reject(error);
        },
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.waiting.push(entry);
      if (!this.running) this.next();
    });
  }

  /** Runs the task now; the next waiting one starts when it settled. */
  private start<T>(task: () => Promise<T>): Promise<T> {
    this.running = true;
    const done = (async () => {
      try {
        return await task();
      } finally {
        this.running = false;
        this.next();
      }
    })();
    this.current = done;
    return done;
  }

  private next(): void {
    if (this.running) return;
    const entry = this.waiting.shift();
    entry?.start();
  }

  /** Reject everything waiting and refuse new tasks; resolves when the running task settled. */
  async close(error: Error): Promise<void> {
    this.closedWith ??= error;
    for (const entry of this.waiting.splice(0)) entry.fail(this.closedWith);
    await this.current.catch(() => undefined);
  }
}

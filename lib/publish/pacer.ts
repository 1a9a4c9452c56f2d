/**
 * Paces a backlog replay: at most `ratePerSecond` sends per second (0: no limit). Tokens
 * refill continuously up to a burst of 1/20 s worth (at least one), so high rates work
 * with millisecond timers; `take()` says whether a send may go now and, when not, wakes
 * the caller once one may.
 */
export class RatePacer {
  readonly #rate: number;
  readonly #burst: number;
  readonly #wake: () => void;
  readonly #now: () => number;
  #tokens = 1;
  #last: number;
  #timer: NodeJS.Timeout | undefined;

  constructor(ratePerSecond: number, wake: () => void, now: () => number = () => performance.now()) {
    this.#rate = ratePerSecond;
    this.#burst = Math.max(1, ratePerSecond / 20);
    this.#wake = wake;
    this.#now = now;
    this.#last = now();
  }

  /** A new replay starts: one send may go at once. */
  reset(): void {
    this.#tokens = 1;
    this.#last = this.#now();
  }

  /** True (and counted) when a send may go now; false and a later wake-up otherwise. */
  take(): boolean {
    if (this.#rate <= 0) return true;
    const now = this.#now();
    this.#tokens = Math.min(this.#burst, this.#tokens + ((now - this.#last) * this.#rate) / 1000);
    this.#last = now;
    if (this.#tokens >= 1) {
      this.#tokens -= 1;
      return true;
    }
    if (!this.#timer) {
      this.#timer = setTimeout(
        () => {
          this.#timer = undefined;
          this.#wake();
        },
        Math.ceil(((1 - this.#tokens) * 1000) / this.#rate),
      );
      this.#timer.unref();
    }
    return false;
  }

  stop(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }
}

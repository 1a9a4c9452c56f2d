/**
 * Card detection: what the terminal waits for after "present card". Events come from the
 * auto-present timer (the default test card), the control API (a chosen test card), a
 * virtual MIFARE card in the field, the SBP agent, or the detection timeout.
 */
import type { TestCard } from './cards';
import type { SbpOutcome } from './options';
import type { Terminal } from './terminal';

export type DetectionEvent =
  | { kind: 'card'; card: TestCard; source: 'auto' | 'control' }
  | { kind: 'mifare' }
  | { kind: 'sbp'; outcome: 'approved' | 'declined' }
  | { kind: 'sbp-error' }
  | { kind: 'timeout' };

export interface DetectionOptions {
  card: boolean;
  sbp: boolean;
  mifare: boolean;
  /** The card the auto-present timer presents (e.g. the original card of a void). */
  preferredCard?: TestCard;
}

export class Detector {
  private readonly queue: DetectionEvent[] = [];
  private waiter: ((event: DetectionEvent) => void) | undefined;
  private readonly timers = new Set<NodeJS.Timeout>();
  private sbpTimer: NodeJS.Timeout | undefined;
  private mifareSuppressed = false;
  private stopped = false;

  constructor(
    private readonly t: Terminal,
    private readonly options: DetectionOptions,
    private readonly command: string,
  ) {}

  start(): void {
    const { t, options } = this;
    const timing = t.config.timing;
    t.detector = this;
    if (options.card) {
      t.emitEvent({ type: 'waiting-for-card', command: this.command });
      for (const card of t.presentedCards.splice(0)) this.presentCard(card);
    }
    if (options.mifare && this.mifareInField()) {
      this.after(timing.cardDelayMs, () => this.push({ kind: 'mifare' }));
    } else {
      this.scheduleAutoPresent();
    }
    if (options.sbp) {
      const queued = t.sbpOutcomes.shift();
      // The agent's own result ('none' never comes: sbpResult ignores it).
      if (queued) this.sbpResult(queued);
      else this.sbpTimer = this.after(t.config.sbp.payDelayMs, () => this.sbpResult(t.config.sbp.outcome));
    }
    this.after(timing.cardTimeoutMs, () => this.push({ kind: 'timeout' }));
  }

  next(): Promise<DetectionEvent> {
    const queued = this.queue.shift();
    if (queued) return Promise.resolve(queued);
    return new Promise((resolve) => {
      this.waiter = resolve;
    });
  }

  presentCard(card: TestCard, source: 'auto' | 'control' = 'control'): void {
    if (!this.options.card) return;
    this.push({ kind: 'card', card, source });
  }

  sbpResult(outcome: SbpOutcome): void {
    if (!this.options.sbp || outcome === 'none') return;
    this.clearSbpTimer();
    this.push(outcome === 'error' ? { kind: 'sbp-error' } : { kind: 'sbp', outcome });
  }

  /** The MIFARE card session ended without a receipt: wait for a bank card now. */
  mifareDone(): void {
    this.mifareSuppressed = true;
    this.scheduleAutoPresent();
  }

  /** The SBP status read failed: the QR code is gone, card detection goes on. */
  sbpStopped(): void {
    this.options.sbp = false;
    this.clearSbpTimer();
  }

  stop(): void {
    this.stopped = true;
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    if (this.t.detector === this) this.t.detector = undefined;
  }

  private mifareInField(): boolean {
    const card = this.t.mifare;
    return !this.mifareSuppressed && this.t.config.mifare.enabled && card !== undefined && card.inField;
  }

  private scheduleAutoPresent(): void {
    if (!this.options.card || !this.t.autoPresent) return;
    this.after(this.t.config.timing.cardDelayMs, () => {
      const t = this.t;
      const card = this.options.preferredCard ?? t.nextCard ?? t.defaultCard();
      if (!this.options.preferredCard) t.nextCard = undefined;
      this.presentCard(card, 'auto');
    });
  }

  private clearSbpTimer(): void {
    if (this.sbpTimer) {
      clearTimeout(this.sbpTimer);
      this.timers.delete(this.sbpTimer);
      this.sbpTimer = undefined;
    }
  }

  private after(ms: number, fn: () => void): NodeJS.Timeout {
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      fn();
    }, ms);
    this.timers.add(timer);
    return timer;
  }

  private push(event: DetectionEvent): void {
    if (this.stopped) return;
    const waiter = this.waiter;
    if (waiter) {
      this.waiter = undefined;
      waiter(event);
    } else {
      this.queue.push(event);
    }
  }
}

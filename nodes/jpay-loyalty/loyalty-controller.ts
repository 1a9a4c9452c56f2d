/**
 * The state behind one jpay-loyalty node, without Node-RED: the program, the operation
 * armed from the input (with its expiry), the uncertain card sessions waiting for their card,
 * what cards owe back for unpaid transactions (loyalty-compensation.ts: in memory, or in
 * the shadow ledger with layout version 2), and the card handler that runs each whole
 * card session through a CardIoBridge.
 *
 * An armed operation is used by the first card session that reaches a card of the program
 * (whatever its outcome); it stays armed when the card could not be read or was refused
 * (blank, foreign, corrupted), so the right card can be tapped, until it expires.
 */
import type { TransactionEnd } from '../../lib/client/jpay-client';
import type { CardMessage, CardRequest } from '../../lib/protocol/types';
import type { ShadowLedger } from '../../lib/mifare/ledger';
import { type LoyaltyCardIo, type LoyaltyOutcome, type LoyaltyState, emptyOutcome } from '../../lib/mifare/loyalty';
import { CardIoBridge, type CardOpen, type CloseRequest } from './loyalty-bridge';
import type { LoyaltyProgram } from './loyalty-config';
import type { PendingOperation } from './loyalty-input';
import { type IntendedAmounts, outcomePayload } from './loyalty-output';
import type { TransactionInfo } from './loyalty-rules';
import { type CardKey, LedgerOwedBook, MemoryOwedBook, type OwedBook, type OwedEntry, reversalOf, unpaidPayload } from './loyalty-compensation';
import { type AppliedChange, type LoyaltyReport, type UncertainEntry, runLoyaltySession } from './loyalty-session';

export interface LoyaltyControllerOptions<T> {
  program: LoyaltyProgram;
  /** Each report of a card session: a settlement, then its outcome. */
  report(report: LoyaltyReport<T>): void;
  /** A card session starts (the card is in the field). */
  started?(): void;
  /** An armed operation expired unused. */
  expired?(pending: Armed<T>): void;
  /** Each card session's work, so a closing node can wait for it. */
  track?(work: Promise<void>): void;
  replyTimeoutMs?: number;
  /**
   * Layout version 2: the shadow ledger (opened by the caller, who also closes it). Cards
   * older than it knows are refused, and what cards owe is kept in it (durable).
   */
  ledger?: ShadowLedger;
  /** A failure that loses nothing the flow was told (what a card owes could not be stored…). */
  warn?(message: string): void;
}

export interface Armed<T> {
  operation: PendingOperation;
  origin?: T;
}

/** What a card handler is told about the transaction (nodes/shared/terminal-api.ts ActiveTransaction). */
export interface CardContext {
  signal?: AbortSignal;
  transaction?: { nodeId: string; msgid?: string; request: { type: string; amount?: number } };
  /** How the transaction the card came with ended (the terminal's HandlerContext.ended). */
  ended?: Promise<TransactionEnd>;
}

interface OpenContext<T> {
  armed?: Armed<T>;
  transaction?: TransactionInfo;
  ended?: Promise<TransactionEnd>;
}

function transactionInfo(context: CardContext): TransactionInfo | undefined {
  const tx = context.transaction;
  if (tx === undefined) return undefined;
  const info: TransactionInfo = { type: tx.request.type, nodeId: tx.nodeId };
  if (tx.request.amount !== undefined) info.amount = tx.request.amount;
  if (tx.msgid !== undefined) info.msgid = tx.msgid;
  return info;
}

export class LoyaltyController<T = unknown> {
  readonly program: LoyaltyProgram;
  readonly #options: LoyaltyControllerOptions<T>;
  readonly #bridge: CardIoBridge<OpenContext<T>>;
  readonly #uncertain = new Map<CardKey, UncertainEntry<T>>();
  readonly #owed: OwedBook<T>;
  /** Cards each running transaction changed (keyed by its end). */
  readonly #changed = new WeakMap<Promise<TransactionEnd>, Set<CardKey>>();
  readonly #work = new Set<Promise<void>>();
  #armed: Armed<T> | undefined;
  #expiry: NodeJS.Timeout | undefined;
  /** The armed operation a running card session is applying (it does not expire meanwhile). */
  #inUse: Armed<T> | undefined;
  #expireAfterUse = false;
  #closed = false;

  constructor(options: LoyaltyControllerOptions<T>) {
    this.program = options.program;
    this.#options = options;
    this.#owed = options.ledger !== undefined ? new LedgerOwedBook<T>(options.ledger, options.program.layout.programId) : new MemoryOwedBook<T>();
    this.#recoverTakeBacks();
    this.#bridge = new CardIoBridge<OpenContext<T>>({
      work: (io, open, context) => this.#run(io, open, context),
      replyTimeoutMs: options.replyTimeoutMs,
    });
  }

  get armed(): Armed<T> | undefined {
    return this.#armed;
  }

  /** Cards (`uid:<UID>`, or `member:<id>` in layout version 1) whose last card session is uncertain: the next tap settles it. */
  get uncertainCards(): CardKey[] {
    return [...this.#uncertain.keys()];
  }

  /** What each card owes back for unpaid transactions (taken back at its next tap). */
  get owed(): ReadonlyMap<CardKey, Readonly<OwedEntry<T>>> {
    return new Map(this.#owed.entries());
  }

  /** Arms an operation for the next card; returns the one it replaces. */
  arm(operation: PendingOperation, origin?: T): Armed<T> | undefined {
    const previous = this.#disarm();
    this.#armed = origin !== undefined ? { operation, origin } : { operation };
    const armed = this.#armed;
    this.#expiry = setTimeout(() => {
      if (this.#armed !== armed) return;
      if (this.#inUse === armed) {
        this.#expireAfterUse = true;
        return;
      }
      this.#disarm();
      this.#options.expired?.(armed);
    }, this.program.pendingTimeoutMs);
    return previous;
  }

  /** Disarms; returns what was armed. */
  cancel(): Armed<T> | undefined {
    return this.#disarm();
  }

  /** The terminal's card handler. */
  handleCard(message: CardMessage, context: CardContext = {}): Promise<CardRequest> {
    if (this.#closed) return Promise.resolve({ code: 'close' });
    if (message.code !== 'open') return this.#bridge.handle(message, context.signal);
    const transaction = transactionInfo(context);
    const open: OpenContext<T> = {};
    if (this.#armed !== undefined) open.armed = this.#armed;
    if (transaction !== undefined) open.transaction = transaction;
    if (context.ended !== undefined) open.ended = context.ended;
    return this.#bridge.handle(message, context.signal, open);
  }

  /** Ends a running card session and the expiry timer (the node closes). */
  close(): void {
    this.#closed = true;
    this.#disarm();
    this.#bridge.abort();
  }

  /** Resolves when no card session runs and what the last ones changed is stored. */
  async idle(): Promise<void> {
    await this.#bridge.idle();
    while (this.#work.size > 0) await Promise.allSettled([...this.#work]);
  }

  /** Runs `work` as the controller's own: idle() waits for it. */
  #own(work: Promise<void>): Promise<void> {
    const tracked = work.catch((error: Error) => this.#options.warn?.(error.message));
    this.#work.add(tracked);
    void tracked.then(() => this.#work.delete(tracked));
    return tracked;
  }

  /**
   * Take-backs a stopped machine left with their result unknown (recorded in the ledger
   * before they were written): uncertain card sessions, settled at the card's next tap.
   */
  #recoverTakeBacks(): void {
    for (const { key, pending, restores } of this.#owed.unsettled()) {
      const outcome = takeBackOutcome(pending.before, pending.intended, key);
      const payload = outcomePayload(outcome, { operation: restores.operation, source: 'auto', programId: this.program.layout.programId, paid: false, transaction: restores.transaction });
      payload.compensation = true;
      const entry: UncertainEntry<T> = { outcome, payload, amounts: amountsBetween(pending.before, pending.intended), restores };
      if (restores.origin !== undefined) entry.origin = restores.origin;
      this.#uncertain.set(key, entry);
    }
  }

  #disarm(): Armed<T> | undefined {
    clearTimeout(this.#expiry);
    this.#expiry = undefined;
    this.#expireAfterUse = false;
    const previous = this.#armed;
    this.#armed = undefined;
    return previous;
  }

  async #run(io: LoyaltyCardIo, open: CardOpen, context: OpenContext<T> | undefined): Promise<CloseRequest> {
    this.#options.started?.();
    const armed = context?.armed;
    const ended = context?.ended;
    let changed: Set<CardKey> | undefined;
    if (ended !== undefined) {
      changed = this.#changed.get(ended) ?? new Set<CardKey>();
      this.#changed.set(ended, changed);
    }
    const work = runLoyaltySession<T>(io, {
      program: this.program,
      pending: armed,
      transaction: context?.transaction,
      open,
      uncertain: this.#uncertain,
      owed: this.#owed,
      ...(changed ? { changedThisTransaction: changed } : {}),
      ...(this.#options.ledger ? { ledger: this.#options.ledger } : {}),
    });
    this.#options.track?.(work.then(() => undefined, () => undefined));
    this.#inUse = armed;
    let result;
    try {
      result = await work;
    } finally {
      if (this.#inUse === armed) this.#inUse = undefined;
    }
    // Used up (or expired while in use), unless the flow armed another operation meanwhile.
    if (armed !== undefined && this.#armed === armed && (result.consumed || this.#expireAfterUse)) {
      const expired = !result.consumed;
      this.#disarm();
      if (expired) this.#options.expired?.(armed);
    }
    for (const report of result.reports) this.#options.report(report);
    const applied = result.applied;
    if (applied !== undefined && ended !== undefined) {
      changed?.add(applied.card);
      // The terminal ends every command (closing included): this never waits for ever.
      const settled = ended.then((end) => this.#own(this.#transactionEnded(applied, end)));
      this.#options.track?.(settled);
    }
    return result.close;
  }

  /** A changed card's transaction ended: unpaid, the change is owed back and reported. */
  async #transactionEnded(applied: AppliedChange<T>, end: TransactionEnd): Promise<void> {
    if (end !== 'not-approved') return;
    const owed = reversalOf(applied.amounts);
    if (applied.uncertain) {
      // Owed only if the write landed: the next tap settles it and takes it back then.
      const entry = this.#uncertain.get(applied.card);
      if (entry?.outcome === applied.outcome) entry.unpaid = true;
    } else {
      const entry: OwedEntry<T> = { change: owed, operation: applied.payload.operation };
      if (applied.payload.transaction) entry.transaction = applied.payload.transaction;
      if (applied.origin !== undefined) entry.origin = applied.origin;
      await this.#owed.add(applied.card, entry);
    }
    const payload = unpaidPayload(applied.payload, owed);
    this.#options.report(applied.origin !== undefined ? { payload, origin: applied.origin } : { payload });
  }
}

/** The outcome of a take-back whose result a stopped machine never learnt. */
function takeBackOutcome(before: LoyaltyState, intended: LoyaltyState, key: CardKey): LoyaltyOutcome {
  const outcome: LoyaltyOutcome = { ...emptyOutcome('uncertain', 'ok'), memberId: before.memberId, before, intended };
  if (key.startsWith('uid:')) outcome.uid = key.slice(4);
  return outcome;
}

function amountsBetween(before: LoyaltyState, after: LoyaltyState): IntendedAmounts {
  const points = (after.points ?? 0) - (before.points ?? 0);
  const balance = (after.balance ?? 0) - (before.balance ?? 0);
  return { earned: Math.max(0, points), redeemed: Math.max(0, -points), credited: Math.max(0, balance), debited: Math.max(0, -balance) };
}

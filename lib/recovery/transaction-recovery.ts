/**
 * TransactionRecovery: outcome-unknown recovery behind one object (docs/reliability.md) —
 * the journal, the client hooks that record every transaction before it is sent, the
 * receipt watermark store, the new-sale policy (block / warn: here and nowhere else), the
 * recovery procedure, and the hand-over of outcomes to their owners.
 *
 *   const recovery = await TransactionRecovery.open('/var/lib/kiosk/jpay.journal', { policy: 'block' });
 *   const client = new JpayClient({ host, port, password, ...recovery.clientOptions });
 *   await recovery.start(client);                        // leftovers of the last run
 *   const sale = await recovery.transaction(client, { type: 'purchase', amount: 15000 });
 *   // sale.kind: 'answered' | 'recovered' (the answer was lost, the report told) | 'unknown'
 *
 * Owners. A transaction may name its owner (annotation `owner`; Node-RED: the node's id).
 * An owner that is attached (deliverTo) receives what nobody waits for any more: an answer
 * that came while its caller was closing (a redeploy, a stop), or what a recovery found for
 * it. Such an outcome is journaled first as not delivered (delivery `pending`), then handed
 * over — `attempted` synced before, `delivered` after — so it is delivered once, and a crash
 * between the two makes the next hand-over say it may be a repeat (`Delivery.repeated`).
 */
import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import type { ReceiptWatermarkStore } from '../client/answer-binding';
import type { JpayClient, TransactionOptions } from '../client/jpay-client';
import type { ClientLogger } from '../client/options';
import type { TransactionHooks, TransactionSettlement, TransactionStart } from '../client/transaction-hooks';
import { JpayError, TransactionOutcomeUnknown } from '../errors';
import type { TransactionRequest, TransactionResult } from '../protocol/types';
import { JournalError, RecoveryPendingError } from './errors';
import { oneAfterAnother, ownerOf, TransactionJournal, type JournalOptions } from './journal';
import { recoverTerminal, resultOf, type RecoverOptions } from './recover';
import {
  ANNOTATION,
  terminalKey,
  type Delivery,
  type JournalEntry,
  type PendingPolicy,
  type RecoveryRecord,
  type RecoveryResult,
  type RecoverySource,
  type RecoveryStep,
  type TerminalKey,
} from './types';

/** `reverse`, `settleMs`, `match` and `now` are the recovery procedure's (RecoverOptions), for every recovery this one runs. */
export interface TransactionRecoveryOptions extends Pick<RecoverOptions, 'reverse' | 'settleMs' | 'match' | 'now'> {
  /** New sales while outcomes are unknown: 'block' (default) refuses them, 'warn' logs and sells. */
  policy?: PendingPolicy;
  /**
   * Recover without being asked: on start(), before a sale, right after a lost answer
   * (default true). Reading the terminal's report needs the client's admin password.
   */
  autoRecover?: boolean;
  logger?: Partial<ClientLogger>;
}

export interface RecoveredEvent {
  source: RecoverySource;
  results: RecoveryResult[];
}

export interface TransactionRecoveryEvents {
  /** A recovery decided entries (any source, the caller's own included). */
  recovered: [RecoveredEvent];
  /** A recovery could not decide: a person must look (journal.resolveManually). */
  'needs-review': [RecoveryResult];
  /** An outcome was kept for an owner that was not there to take it (deliverTo hands it over). */
  undelivered: [Delivery];
}

/** What transaction() ends with once something may have been sent. */
export type SaleOutcome =
  /** The terminal answered (any status). `undelivered`: the owner left as it came; it is kept for the owner's successor. */
  | { kind: 'answered'; result: TransactionResult; journalId: string | undefined; undelivered: boolean }
  /** The answer was lost and the terminal's report settled it (approved, or declined / not recorded). */
  | { kind: 'recovered'; error: TransactionOutcomeUnknown; result: RecoveryResult; undelivered: boolean }
  /** The answer was lost and it stays unknown: recovery found it ambiguous, failed (Error), or did not run (undefined). */
  | { kind: 'unknown'; error: TransactionOutcomeUnknown; recovery: RecoveryResult | Error | undefined };

export interface SaleOptions extends TransactionOptions {
  /** Who receives the outcome if it comes when this call's caller is gone (annotation `owner`). */
  owner?: string;
  /** Told when the check before the sale passed (the transaction goes to the client's queue), and when a lost answer is being recovered. */
  progress?: (step: 'sending' | 'recovering', detail?: RecoveryStep) => void;
}

/** What the hooks hand themselves from beforeSend to settled. */
interface Ticket {
  id: string;
  owner: string | undefined;
}

interface Attached {
  deliver(delivery: Delivery): void;
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function keyOf(client: Pick<JpayClient, 'host' | 'port'>): TerminalKey {
  return terminalKey(client.host, client.port);
}

/** A kept outcome as its owner receives it. */
function deliveryOf(entry: JournalEntry, repeated: boolean): Delivery {
  if (entry.state === 'recovered' && entry.recovery) {
    return { result: resultOf(entry, entry.recovery), source: entry.recovery.source ?? 'start', repeated };
  }
  // The terminal's own answer, told as a decision would be.
  const answer: RecoveryRecord = {
    outcome: entry.approved === true ? 'approved' : 'declined-or-not-recorded',
    at: entry.answeredAt ?? entry.begunAt,
    candidates: 0,
    reason: 'late-answer',
  };
  if (entry.receipt) answer.receipt = entry.receipt;
  const result = resultOf(entry, answer);
  const delivery: Delivery = { result, source: 'late-answer', repeated };
  if (entry.status !== undefined) delivery.status = entry.status;
  return delivery;
}

export class TransactionRecovery extends EventEmitter<TransactionRecoveryEvents> {
  /** Give these to the client (`new JpayClient({ ...recovery.clientOptions })`): every transaction journaled, the watermark kept. */
  readonly clientOptions: { transactionHooks: TransactionHooks; receiptWatermarks: ReceiptWatermarkStore };
  readonly policy: PendingPolicy;
  private readonly ready: Promise<TransactionJournal>;
  private opened: TransactionJournal | undefined;
  private readonly file: string | undefined;
  private readonly autoRecover: boolean;
  private readonly warn: (message: string) => void;
  private readonly owners = new Map<string, Attached>();
  /** Hand-overs per owner, one after the other. */
  private readonly handing = new Map<string, Promise<void>>();
  /** transaction() calls waiting for their outcome: call id → journal id (once begun). */
  private readonly calls = new Map<string, string | undefined>();
  private readonly stopping = new AbortController();
  private startup: Promise<void> = Promise.resolve();
  /** Set while hand-overs wait (holdDeliveries). */
  private held: { promise: Promise<void>; release(): void } | undefined;

  constructor(
    journal: TransactionJournal | Promise<TransactionJournal>,
    private readonly options: TransactionRecoveryOptions & { file?: string } = {},
  ) {
    super();
    this.policy = options.policy ?? 'block';
    this.autoRecover = options.autoRecover !== false;
    this.file = options.file;
    this.warn = (message) => options.logger?.warn?.(message);
    this.ready = Promise.resolve(journal).then((j) => (this.opened = j));
    this.ready.catch(() => undefined);
    this.clientOptions = {
      transactionHooks: {
        beforeSend: (start: TransactionStart) => this.beforeSend(start),
        settled: (ticket: unknown, settlement: TransactionSettlement) => this.settled(ticket, settlement),
      },
      receiptWatermarks: {
        load: async (terminal) => (await this.ready).watermark(terminal),
        save: async (terminal, watermark) => (await this.ready).saveWatermark(terminal, watermark),
      },
    };
  }

  /** Opens the journal, then the recovery over it. */
  static async open(file: string, options: TransactionRecoveryOptions & { journal?: JournalOptions } = {}): Promise<TransactionRecovery> {
    const recovery = TransactionRecovery.create(file, options);
    await recovery.ready;
    return recovery;
  }

  /**
   * The recovery at once, its journal opening in the background: the hooks wait for it,
   * and if it cannot be opened every transaction is refused (nothing sent) and start() says why.
   */
  static create(file: string, options: TransactionRecoveryOptions & { journal?: JournalOptions } = {}): TransactionRecovery {
    const { journal: journalOptions, ...rest } = options;
    return new TransactionRecovery(TransactionJournal.open(file, journalOptions), { ...rest, file });
  }

  /** The client hooks (also in clientOptions). */
  get hooks(): TransactionHooks {
    return this.clientOptions.transactionHooks;
  }

  get journal(): TransactionJournal {
    if (!this.opened) throw new JournalError(`journal ${this.file ?? ''} is not open (yet)`, this.file ?? '');
    return this.opened;
  }

  /** Resolves once the journal is open (rejects with why it cannot be). */
  async whenReady(): Promise<void> {
    await this.ready;
  }

  /** Whether recovery runs without being asked for this client (autoRecover, and the client has the admin password). */
  automatic(client: JpayClient): boolean {
    return this.autoRecover && client.hasPassword;
  }

  /** Entries of this client's terminal whose outcome is unknown. */
  unresolved(client: JpayClient): JournalEntry[] {
    return this.journal.unresolved(keyOf(client));
  }

  /** Entries recovery could not decide (ambiguous): a person must look. */
  needsReview(client: JpayClient): JournalEntry[] {
    return this.journal.needsReview(keyOf(client));
  }

  /** Transactions of this client's terminal whose outcome is still open: not yet recovered, or for a person to decide. */
  async backlog(client: JpayClient): Promise<number> {
    const journal = await this.ready;
    const terminal = keyOf(client);
    return journal.unresolved(terminal).length + journal.needsReview(terminal).length;
  }

  // ---- Recovery ----

  /** Runs the recovery procedure for the client's terminal now (the client needs the admin password). */
  async recover(client: JpayClient, opts: { signal?: AbortSignal; settleMs?: number } = {}): Promise<RecoveryResult[]> {
    return this.run(client, 'explicit', opts);
  }

  /**
   * At start: resolves what the last run left unresolved (automatic), or warns. Never
   * rejects; a sale waits for it. Outcomes found for owners are kept for them.
   */
  start(client: JpayClient): Promise<void> {
    this.startup = (async () => {
      let journal: TransactionJournal;
      try {
        journal = await this.ready;
      } catch (error) {
        this.warn(`the transaction journal ${this.file ?? ''} cannot be used: ${describe(error)}; payments are refused until it can`);
        return;
      }
      const pending = journal.unresolved(keyOf(client)).length;
      if (pending === 0) return;
      if (!this.automatic(client)) {
        this.warn(`${pending} transaction(s) on ${keyOf(client)} have an unknown outcome${client.hasPassword ? '' : ' and there is no admin password to read the report'}`);
        return;
      }
      try {
        await this.run(client, 'start');
      } catch (error) {
        if (!this.stopping.signal.aborted) this.warn(`recovery failed: ${describe(error)}`);
      }
    })();
    return this.startup;
  }

  /**
   * Before a sale: waits for start(), recovers what is still open (autoRecover), then
   * applies the policy — block throws RecoveryPendingError (nothing is sent), warn logs.
   * Cheap when nothing is open.
   */
  async beforeSale(client: JpayClient, opts: { signal?: AbortSignal } = {}): Promise<RecoveryResult[]> {
    await this.startup;
    const journal = await this.ready;
    const terminal = keyOf(client);
    if (journal.unresolved(terminal).length === 0) return [];
    let results: RecoveryResult[] = [];
    let failure: unknown;
    if (this.autoRecover) {
      try {
        results = await this.run(client, 'before-sale', opts);
      } catch (error) {
        failure = error;
      }
    }
    this.applyPolicy(journal, terminal, failure);
    return results;
  }

  /**
   * One sale with everything around it: beforeSale(), the transaction (journaled before it
   * is sent), and when its answer is lost the recovery that settles it — or says it stays
   * unknown. Rejects only when nothing was sent (validation, RecoveryPendingError, a
   * connection refused, an abort before sending…).
   */
  async transaction(client: JpayClient, request: TransactionRequest, options: SaleOptions = {}): Promise<SaleOutcome> {
    const { owner, progress, ...rest } = options;
    await this.beforeSale(client, rest.signal ? { signal: rest.signal } : {});
    progress?.('sending');
    const given = rest.annotations?.[ANNOTATION.request];
    const call = typeof given === 'string' ? given : randomUUID();
    const annotations = { ...rest.annotations, [ANNOTATION.request]: call, ...(owner === undefined ? {} : { [ANNOTATION.owner]: owner }) };
    this.calls.set(call, undefined);
    try {
      try {
        const result = await client.transaction(request, { ...rest, annotations });
        const journalId = this.calls.get(call);
        const undelivered = journalId !== undefined && (await this.keepIfGone(journalId, owner));
        return { kind: 'answered', result, journalId, undelivered };
      } catch (error) {
        if (!(error instanceof TransactionOutcomeUnknown)) throw error;
        // A caller that is gone does not wait for the report: the next start or sale recovers it for the owner.
        if (!this.automatic(client) || (owner !== undefined && !this.owners.has(owner))) return { kind: 'unknown', error, recovery: undefined };
        let own: RecoveryResult | Error | undefined;
        progress?.('recovering');
        try {
          own = (await this.run(client, 'transaction', { onStep: (step) => progress?.('recovering', step) })).find((r) => r.annotations[ANNOTATION.request] === call);
        } catch (e) {
          own = e instanceof Error ? e : new JpayError(String(e));
        }
        if (own === undefined || own instanceof Error || own.outcome === 'ambiguous') return { kind: 'unknown', error, recovery: own };
        const undelivered = await this.keepIfGone(own.id, owner);
        return { kind: 'recovered', error, result: own, undelivered };
      }
    } finally {
      this.calls.delete(call);
    }
  }

  // ---- Owners ----

  /**
   * Attaches an owner: the outcomes kept for it (in the journal, and those to come) are
   * handed to `deliver`, oldest first, each once. `deliver` must take it synchronously (a
   * Node-RED node sends it). Returns the detach function; a new attach of the same owner
   * (a redeployed node) replaces the old one.
   */
  deliverTo(owner: string, deliver: (delivery: Delivery) => void): () => void {
    const attached: Attached = { deliver };
    this.owners.set(owner, attached);
    void this.handOver(owner);
    return () => {
      if (this.owners.get(owner) === attached) this.owners.delete(owner);
    };
  }

  /**
   * Hand-overs wait until releaseDeliveries(). A Node-RED config node holds them while its
   * flows start: an owner attaches as its node is made, and a msg it sent before the nodes
   * it is wired to exist would reach no one.
   */
  holdDeliveries(): void {
    if (this.held) return;
    let release!: () => void;
    const promise = new Promise<void>((resolve) => (release = resolve));
    this.held = { promise, release };
  }

  releaseDeliveries(): void {
    const held = this.held;
    this.held = undefined;
    held?.release();
  }

  /** Outcomes kept for owners that are not attached (a node deleted since, a process not started yet). */
  undelivered(): Delivery[] {
    if (!this.opened) return [];
    return this.opened
      .awaitingDelivery()
      .filter((e) => !this.owners.has(ownerOf(e) ?? ''))
      .map((e) => deliveryOf(e, e.delivery === 'attempted'));
  }

  /** A person (or a program) took a kept outcome: it is not handed to its owner any more. */
  async acknowledge(id: string): Promise<void> {
    const journal = await this.ready;
    if (!(await journal.setDelivery(id, 'delivered'))) throw new JournalError(`journal ${journal.path}: ${id} has no outcome kept for an owner`, journal.path);
  }

  // ---- Lifecycle ----

  /** Stops waiting recoveries (their entries stay unresolved); the journal stays open for the last answers. */
  abort(): void {
    this.stopping.abort();
  }

  async close(): Promise<void> {
    this.stopping.abort();
    this.releaseDeliveries();
    await this.startup.catch(() => undefined);
    await Promise.allSettled([...this.handing.values()]);
    const journal = await this.ready.catch(() => undefined);
    await journal?.close();
  }

  // ---- Internals ----

  /** The one place the policy lives, when outcomes are unknown: block throws, warn logs. */
  private applyPolicy(journal: TransactionJournal, terminal: TerminalKey, cause?: unknown): void {
    const pending = journal.unresolved(terminal).length;
    if (pending === 0) return;
    const error = new RecoveryPendingError(terminal, pending, cause === undefined ? undefined : { cause });
    if (this.policy === 'block') throw error;
    this.warn(`${error.message}; selling anyway (policy warn)`);
  }

  private async beforeSend(start: TransactionStart): Promise<Ticket> {
    const journal = await this.ready;
    const owner = ownerOf(start);
    const given = start.annotations[ANNOTATION.journalEntry];
    if (typeof given === 'string' && journal.isLive(given)) return { id: given, owner };
    if (start.annotations[ANNOTATION.recovery] !== 'reversal') this.applyPolicy(journal, terminalKey(start.host, start.port));
    const id = await journal.begin(start);
    const call = start.annotations[ANNOTATION.request];
    if (typeof call === 'string' && this.calls.has(call)) this.calls.set(call, id);
    return { id, owner };
  }

  private async settled(ticket: unknown, settlement: TransactionSettlement): Promise<void> {
    const journal = await this.ready;
    const { id, owner } = ticket as Ticket;
    if (!journal.isLive(id)) return;
    const undelivered = settlement.kind === 'answered' && owner !== undefined && !this.owners.has(owner);
    await journal.settled(id, settlement, { undelivered });
    if (undelivered) this.announce(id);
  }

  /** After the caller got its outcome: if its owner left meanwhile, the outcome is kept for it. True when kept. */
  private async keepIfGone(id: string, owner: string | undefined): Promise<boolean> {
    if (owner === undefined) return false;
    const journal = await this.ready;
    const delivery = journal.deliveryState(id);
    if (delivery === 'pending' || delivery === 'attempted') return true;
    if (this.owners.has(owner)) return false;
    if (await journal.setDelivery(id, 'pending')) this.announce(id);
    return true;
  }

  private async run(client: JpayClient, source: RecoverySource, opts: { signal?: AbortSignal; settleMs?: number; onStep?: (step: RecoveryStep) => void } = {}): Promise<RecoveryResult[]> {
    const journal = await this.ready;
    const signal = opts.signal ? AbortSignal.any([opts.signal, this.stopping.signal]) : this.stopping.signal;
    const { reverse, settleMs, match, now } = this.options;
    const results = await recoverTerminal(client, journal, {
      reverse,
      settleMs: opts.settleMs ?? settleMs,
      match,
      now,
      signal,
      onStep: opts.onStep,
      classify: (entry) => {
        const call = entry.annotations[ANNOTATION.request];
        const waited = typeof call === 'string' && this.calls.has(call);
        // The caller's own lost answer goes back to the caller; every other owned outcome is kept for its owner.
        return { source: waited ? source : source === 'transaction' ? 'before-sale' : source, undelivered: !waited && ownerOf(entry) !== undefined };
      },
    });
    if (results.length > 0) this.emit('recovered', { source, results });
    for (const r of results) {
      if (r.outcome === 'ambiguous') {
        this.warn(`recovery could not decide transaction ${r.id} (${r.reason ?? 'ambiguous'}): check the terminal's report`);
        this.emit('needs-review', r);
      }
      if (journal.deliveryState(r.id) === 'pending') this.announce(r.id);
    }
    return results;
  }

  /** Tells listeners that an outcome was kept for an owner not attached, and hands it over if the owner came back meanwhile. */
  private announce(id: string): void {
    const entry = this.opened?.get(id);
    if (!entry) return;
    const owner = ownerOf(entry);
    if (owner !== undefined && this.owners.has(owner)) {
      void this.handOver(owner);
      return;
    }
    this.emit('undelivered', deliveryOf(entry, entry.delivery === 'attempted'));
  }

  private handOver(owner: string): Promise<void> {
    return oneAfterAnother(this.handing, owner, () => this.handOverNow(owner)).catch((error: unknown) =>
      this.warn(`an outcome kept for ${owner} could not be handed over: ${describe(error)}`),
    );
  }

  private async handOverNow(owner: string): Promise<void> {
    while (this.held) await this.held.promise;
    const journal = await this.ready;
    for (const entry of journal.awaitingDelivery(owner)) {
      const target = this.owners.get(owner);
      if (!target) return;
      const repeated = entry.delivery === 'attempted';
      if (!repeated) await journal.setDelivery(entry.id, 'attempted');
      if (this.owners.get(owner) !== target) {
        // The owner left while the step was written: nothing was handed over.
        if (!repeated) await journal.setDelivery(entry.id, 'pending');
        return;
      }
      try {
        target.deliver(deliveryOf(entry, repeated));
      } catch (error) {
        this.warn(`handing transaction ${entry.id} to ${owner} failed: ${describe(error)}`);
        continue;
      }
      await journal.setDelivery(entry.id, 'delivered');
    }
  }
}

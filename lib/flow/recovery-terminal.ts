/**
 * The outcome-unknown recovery of one jpay-terminal config node: its journal (opened at
 * start), the client hooks that record every transaction before it is sent, the start-up
 * recovery of what the last run left unresolved, the check before each sale, and the
 * recovery a jpay-transaction node runs right after losing an answer. Knows nothing of
 * Node-RED: the node file passes a warn function.
 */
import { EventEmitter } from 'node:events';
import type { JpayClient } from '../client/jpay-client';
import type { TransactionHooks } from '../client/transaction-hooks';
import { JpayError } from '../errors';
import { RecoveryPendingError } from '../recovery/errors';
import { TransactionRecovery } from '../recovery/manager';
import { terminalKey, type RecoveryResult } from '../recovery/types';
import type { TerminalRecoveryConfig } from './recovery-config';
import type { RecoverySource } from './recovery-payload';

export interface RecoveredEvent {
  source: Exclude<RecoverySource, 'transaction'>;
  results: RecoveryResult[];
}

export interface TerminalRecoveryOptions {
  config: TerminalRecoveryConfig;
  /** The config node has the admin password (the report needs it). */
  hasPassword: boolean;
  warn(message: string): void;
}

export class TerminalRecovery extends EventEmitter<{ recovered: [RecoveredEvent] }> {
  readonly config: TerminalRecoveryConfig;
  /** Given to the client: they wait for the journal to be open. */
  readonly hooks: TransactionHooks;
  private readonly opened: Promise<TransactionRecovery>;
  private startup: Promise<void> = Promise.resolve();
  private readonly stop = new AbortController();
  private readonly hasPassword: boolean;
  private readonly warn: (message: string) => void;
  /** The start-up results, replayed to listeners that subscribe after they came. */
  private startEvent: RecoveredEvent | undefined;
  private readonly delivered = new Set<string>();

  constructor(options: TerminalRecoveryOptions) {
    super();
    this.config = options.config;
    this.hasPassword = options.hasPassword;
    this.warn = options.warn;
    this.opened = TransactionRecovery.open(this.config.journalFile, { policy: this.config.policy, settleMs: this.config.settleMs, logger: { warn: this.warn } });
    this.opened.catch(() => undefined);
    // The hooks wait for the journal; if it cannot be opened, no transaction is sent.
    this.hooks = {
      beforeSend: async (start) => (await this.opened).hooks.beforeSend?.(start),
      settled: async (ticket, settlement) => (await this.opened).hooks.settled?.(ticket, settlement),
    };
  }

  /**
   * Listens to recovered leftovers. The start-up results reach every listener exactly
   * once, even one that subscribes after they came (nodes start after their config node).
   */
  subscribe(listener: (e: RecoveredEvent) => void): () => void {
    this.on('recovered', listener);
    const replay = this.startEvent;
    if (replay) queueMicrotask(() => listener(replay));
    return () => this.off('recovered', listener);
  }

  /** True the first time a result is claimed for delivery: a redeployed node does not repeat it. */
  markDelivered(journalId: string): boolean {
    if (this.delivered.has(journalId)) return false;
    this.delivered.add(journalId);
    return true;
  }

  /** Recovery runs automatically (on start, before a sale, after an unknown outcome). */
  get automatic(): boolean {
    return this.config.autoRecover && this.hasPassword;
  }

  /** At config node start: resolves what the last run left unresolved. Never rejects. */
  start(client: JpayClient): Promise<void> {
    this.startup = (async () => {
      let recovery: TransactionRecovery;
      try {
        recovery = await this.opened;
      } catch (error) {
        this.warn(`the transaction journal ${this.config.journalFile} cannot be used: ${describe(error)}; payments are refused until it can`);
        return;
      }
      const pending = recovery.unresolved(client).length;
      if (pending === 0) return;
      if (!this.automatic) {
        this.warn(`${pending} transaction(s) on ${terminalKey(client.host, client.port)} have an unknown outcome${this.hasPassword ? '' : ' and there is no admin password to read the report'}`);
        return;
      }
      await this.runRecovery(client, 'start');
    })();
    return this.startup;
  }

  /**
   * Before a sale: waits for the start-up recovery, recovers what is still open (when
   * automatic), then applies the policy — block throws RecoveryPendingError (nothing is
   * sent), warn lets the sale go on.
   */
  async beforeSale(client: JpayClient): Promise<void> {
    await this.startup;
    const recovery = await this.opened;
    if (recovery.unresolved(client).length === 0) return;
    if (this.automatic) await this.runRecovery(client, 'before-sale');
    const left = recovery.unresolved(client).length;
    if (left === 0) return;
    const error = new RecoveryPendingError(terminalKey(client.host, client.port), left);
    if (this.config.policy === 'block') throw error;
    this.warn(`${error.message}; selling anyway (policy warn)`);
  }

  /**
   * Right after a transaction lost its answer. Results of other entries resolved on the way
   * are announced (`recovered` event); the caller gets all of them.
   */
  async recoverNow(client: JpayClient, ownRequestId: string): Promise<RecoveryResult[]> {
    const recovery = await this.opened;
    const results = await recovery.recover(client, { signal: this.stop.signal });
    const others = results.filter((r) => r.annotations.request !== ownRequestId);
    if (others.length > 0) this.emit('recovered', { source: 'before-sale', results: others });
    return results;
  }

  /** Entries recovery could not decide: a person must look (they do not block sales). */
  async needsReview(client: JpayClient): Promise<number> {
    return (await this.opened).needsReview(client).length;
  }

  /** Transactions of this terminal whose outcome is still open: not yet recovered, or for a person to decide. */
  async backlog(client: JpayClient): Promise<number> {
    const recovery = await this.opened;
    return recovery.unresolved(client).length + recovery.needsReview(client).length;
  }

  /** Stops waiting recoveries; the journal closes after the client (its last answers are written). */
  abort(): void {
    this.stop.abort();
  }

  async close(): Promise<void> {
    this.stop.abort();
    await this.startup.catch(() => undefined);
    const recovery = await this.opened.catch(() => undefined);
    await recovery?.close();
  }

  private async runRecovery(client: JpayClient, source: RecoveredEvent['source']): Promise<void> {
    const recovery = await this.opened;
    try {
      const results = await recovery.recover(client, { signal: this.stop.signal });
      if (source === 'start') this.startEvent = { source, results };
      if (results.length > 0) this.emit('recovered', { source, results });
      for (const r of results) {
        if (r.outcome === 'ambiguous') this.warn(`recovery could not decide transaction ${r.id} (${r.reason ?? 'ambiguous'}): check the terminal's report`);
      }
    } catch (error) {
      if (this.stop.signal.aborted) return;
      this.warn(`recovery failed: ${describe(error)}`);
    }
  }
}

function describe(error: unknown): string {
  return error instanceof JpayError || error instanceof Error ? error.message : String(error);
}

/**
 * TransactionRecovery: the journal, its client hooks, the new-sale guard and the recovery
 * procedure behind one object.
 *
 *   const recovery = await TransactionRecovery.open('/var/lib/kiosk/jpay.journal', { policy: 'block' });
 *   const client = new JpayClient({ host, port, password, transactionHooks: recovery.hooks });
 *   await recovery.recover(client);      // at start: leftovers of the last run first
 *   await recovery.beforeSale(client);   // before each sale (nothing to do when nothing is open)
 */
import type { JpayClient } from '../client/jpay-client';
import type { ClientLogger } from '../client/options';
import type { TransactionHooks } from '../client/transaction-hooks';
import { RecoveryPendingError } from './errors';
import { journalHooks, type PendingPolicy } from './hooks';
import { TransactionJournal, type JournalOptions } from './journal';
import type { MatchOptions } from './match';
import { recoverTerminal, type RecoverOptions } from './recover';
import { terminalKey, type JournalEntry, type RecoveryResult } from './types';

export interface TransactionRecoveryOptions {
  /** New sales while outcomes are unknown: 'block' (default) refuses them, 'warn' logs and sells. */
  policy?: PendingPolicy;
  /** Default for payments without a `reverse` annotation (default 'never'). */
  reverse?: 'never' | 'void-last';
  /** See RecoverOptions.settleMs (default 45 s). */
  settleMs?: number;
  match?: Partial<MatchOptions>;
  logger?: Partial<ClientLogger>;
  /** Host clock in ms (tests). */
  now?: () => number;
}

export class TransactionRecovery {
  readonly hooks: TransactionHooks;
  readonly policy: PendingPolicy;

  constructor(
    readonly journal: TransactionJournal,
    private readonly options: TransactionRecoveryOptions = {},
  ) {
    this.policy = options.policy ?? 'block';
    this.hooks = journalHooks(journal, { policy: this.policy, ...(options.logger ? { logger: options.logger } : {}) });
  }

  static async open(file: string, options: TransactionRecoveryOptions & { journal?: JournalOptions } = {}): Promise<TransactionRecovery> {
    const { journal: journalOptions, ...rest } = options;
    return new TransactionRecovery(await TransactionJournal.open(file, journalOptions), rest);
  }

  /** Entries of this client's terminal whose outcome is unknown. */
  unresolved(client: JpayClient): JournalEntry[] {
    return this.journal.unresolved(terminalKey(client.host, client.port));
  }

  /** Entries recovery could not decide (ambiguous): a person must look. */
  needsReview(client: JpayClient): JournalEntry[] {
    return this.journal.needsReview(terminalKey(client.host, client.port));
  }

  /** Runs the recovery procedure for the client's terminal (the client needs the admin password). */
  recover(client: JpayClient, opts: { signal?: AbortSignal; settleMs?: number } = {}): Promise<RecoveryResult[]> {
    const o: RecoverOptions = {
      reverse: this.options.reverse ?? 'never',
      settleMs: opts.settleMs ?? this.options.settleMs,
      ...(this.options.match ? { match: this.options.match } : {}),
      ...(opts.signal ? { signal: opts.signal } : {}),
      ...(this.options.now ? { now: this.options.now } : {}),
    };
    return recoverTerminal(client, this.journal, o);
  }

  /**
   * Call before a new sale: when earlier outcomes are unknown, recovers them first. With
   * policy 'block' it throws RecoveryPendingError if any stay unresolved (nothing is sent);
   * with 'warn' it logs and returns.
   */
  async beforeSale(client: JpayClient, opts: { signal?: AbortSignal } = {}): Promise<RecoveryResult[]> {
    if (this.unresolved(client).length === 0) return [];
    let results: RecoveryResult[] = [];
    let failure: unknown;
    try {
      results = await this.recover(client, opts);
    } catch (error) {
      failure = error;
    }
    const left = this.unresolved(client).length;
    if (left > 0) {
      const error = new RecoveryPendingError(terminalKey(client.host, client.port), left, failure === undefined ? undefined : { cause: failure });
      if (this.policy === 'block') throw error;
      this.options.logger?.warn?.(`${error.message}; selling anyway (policy warn)`);
    }
    return results;
  }

  close(): Promise<void> {
    return this.journal.close();
  }
}

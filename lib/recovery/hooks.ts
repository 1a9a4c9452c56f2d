/**
 * The journal as JpayClient transaction hooks: every transaction is recorded (fsync'd)
 * before its first byte is sent and marked with its outcome before transaction() returns.
 * The new-sale guard lives here too: with policy `block`, a transaction on a terminal
 * that still has unresolved entries is refused before anything is sent.
 */
import type { ClientLogger } from '../client/options';
import type { TransactionHooks, TransactionSettlement, TransactionStart } from '../client/transaction-hooks';
import { RecoveryPendingError } from './errors';
import type { TransactionJournal } from './journal';
import { ANNOTATION, terminalKey } from './types';

/** block: refuse new sales while earlier outcomes are unknown; warn: log and go on. */
export type PendingPolicy = 'block' | 'warn';

export interface JournalHooksOptions {
  policy?: PendingPolicy;
  logger?: Partial<ClientLogger>;
}

export function journalHooks(journal: TransactionJournal, options: JournalHooksOptions = {}): TransactionHooks {
  const policy = options.policy ?? 'block';
  return {
    async beforeSend(start: TransactionStart): Promise<string> {
      const given = start.annotations[ANNOTATION.journalEntry];
      if (typeof given === 'string' && journal.isLive(given)) return given;
      if (start.annotations[ANNOTATION.recovery] !== 'reversal') {
        const pending = journal.unresolved(terminalKey(start.host, start.port));
        if (pending.length > 0) {
          const error = new RecoveryPendingError(terminalKey(start.host, start.port), pending.length);
          if (policy === 'block') throw error;
          options.logger?.warn?.(`${error.message}; selling anyway (policy warn)`);
        }
      }
      return journal.begin(start);
    },
    async settled(ticket: unknown, settlement: TransactionSettlement): Promise<void> {
      if (typeof ticket !== 'string' || !journal.isLive(ticket)) return;
      if (settlement.kind === 'answered') await journal.answered(ticket, settlement.result);
      else if (settlement.kind === 'unknown') await journal.unknown(ticket, settlement.error);
      else await journal.notSent(ticket, settlement.error.message);
    },
  };
}

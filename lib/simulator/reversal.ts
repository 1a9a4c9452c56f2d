/**
 * void (§8.9): by receipt number (the card is presented again, or its data typed in:
 * pan, expired, password — then no card is asked for) or `last` (no card); full or partial. Rules: no such record → transactionnotfound; a reversal or an SBP
 * record → notreversible; not approved → notapproved; nothing left → alreadyreversed;
 * a partial amount above what is left → invalidarguments.
 */
import type { TransactionRequest } from '../protocol/types';
import type { Answer, CommandContext } from './context';
import { Detector } from './detection';
import { CommandAbort } from './errors';
import { show } from './display-script';
import { failInPhase, hostExchange } from './host';
import type { EntryMode, LogRecord } from './log';
import type { OutcomeSpec } from './outcome';
import { recordAndAnswer } from './records';
import { receiptPan, type TestCard } from './cards';
import { manualPan } from './card-payment';

export function findReversible(ctx: CommandContext, number: number | 'last'): LogRecord {
  const log = ctx.terminal.log;
  const original = number === 'last' ? log.last('card') : log.find('card', number);
  if (!original) throw new CommandAbort('transactionnotfound', [`receipt ${String(number)} is not in the log`]);
  if (original.operation === 'purchase-reversal' || original.operation === 'refund-reversal') {
    throw new CommandAbort('notreversible', ['a reversal cannot be reversed']);
  }
  if (original.tstatus !== 'approved') throw new CommandAbort('notapproved', ['the transaction was not approved']);
  if (original.amount - original.reversedAmount <= 0) throw new CommandAbort('alreadyreversed', ['the transaction has already been reversed']);
  return original;
}

async function presentOriginalCard(ctx: CommandContext, original: LogRecord, amount: number): Promise<TestCard> {
  const t = ctx.terminal;
  await show(ctx, '15', { amount, currency: original.currency });
  const preferred = original.card?.cardId ? t.card(original.card.cardId) : undefined;
  const detector = new Detector(t, { card: true, sbp: false, mifare: false, preferredCard: preferred }, ctx.command);
  detector.start();
  try {
    for (;;) {
      const event = await ctx.messages.waitFor(detector.next());
      if (event.kind === 'timeout') throw new CommandAbort('timeout', ['no card presented']);
      if (event.kind === 'card') {
        t.emitEvent({ type: 'card-presented', card: event.card.id, source: event.source });
        return event.card;
      }
    }
  } finally {
    detector.stop();
  }
}

export async function voidTransaction(
  ctx: CommandContext,
  params: TransactionRequest,
  outcome: OutcomeSpec | undefined,
): Promise<Answer<'transaction'>> {
  const number = params.number;
  if (number === undefined) throw new CommandAbort('invalidarguments', ['number: the receipt number (or last) is required']);
  const original = findReversible(ctx, number);
  const remaining = original.amount - original.reversedAmount;
  const amount = params.amount ?? remaining;
  if (amount <= 0 || amount > remaining) throw new CommandAbort('invalidarguments', ['amount: exceeds what is left of the transaction']);
  let pan: string | undefined;
  let entry: EntryMode = 'cardless';
  if (params.manual) {
    // Card data typed in (pan, expired, password): nothing to present (§8.9 A).
    pan = manualPan(ctx, params.manual.pan);
    if (original.card && receiptPan(pan) !== original.card.pan) {
      throw new CommandAbort('failed', ['the card number does not match the original transaction']);
    }
    entry = 'manual';
  } else if (number !== 'last') {
    const card = await presentOriginalCard(ctx, original, amount);
    if (original.card && receiptPan(card.pan) !== original.card.pan) {
      await show(ctx, '0C');
      throw new CommandAbort('failed', ['the card does not match the original transaction']);
    }
    pan = card.pan;
    entry = 'contactless';
    await show(ctx, '16');
  }
  await failInPhase(ctx, outcome, 'card');
  const path = await hostExchange(ctx, outcome);
  const approved = outcome?.declineReason === undefined && path === 'online';
  const full = amount === remaining && original.reversedAmount === 0;
  return recordAndAnswer(
    ctx,
    {
      kind: 'card',
      operation: original.operation === 'refund' ? 'refund-reversal' : 'purchase-reversal',
      approved,
      amount,
      amountOther: full ? original.amountOther : undefined,
      currency: original.currency,
      entry,
      card: original.card,
      declineReason: outcome?.declineReason,
      respCode: outcome?.respCode,
      originalSeq: original.seq,
    },
    { pan },
  );
}

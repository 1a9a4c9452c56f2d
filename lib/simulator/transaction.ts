/**
 * The `transaction` command: access (manual entry needs the admin password), the outcome
 * (control queue → magic amount → test card), then the route: SBP, void, forced refund,
 * manual entry or a presented card.
 */
import type { RequestParams } from '../protocol/types';
import { cardForManualPan, type TestCard } from './cards';
import { cardPayment, manualPan, processCard, type CardRequestInfo } from './card-payment';
import type { Answer, CommandContext } from './context';
import { CommandAbort } from './errors';
import { failInPhase, hostExchange } from './host';
import { magicOutcome } from './magic';
import type { OutcomeSpec } from './outcome';
import { recordAndAnswer } from './records';
import { voidTransaction } from './reversal';
import { sbpRefund } from './sbp';

/** The next outcome: queued through the control API / scenario, else the magic amount. */
export function takeOutcome(ctx: CommandContext, amount: number | undefined): OutcomeSpec | undefined {
  const outcome = ctx.terminal.outcomes.shift() ?? magicOutcome(amount);
  if (outcome?.fault) ctx.faults.addLocal(outcome.fault);
  return outcome;
}

export async function handleTransaction(ctx: CommandContext, params: RequestParams['transaction']): Promise<Answer<'transaction'>> {
  const t = ctx.terminal;
  if (params.manual && (params.password === undefined || !t.log.checkPassword(params.password))) {
    return { status: 'notauthorized' };
  }
  const outcome = takeOutcome(ctx, params.amount);
  const currency = params.currency ?? t.config.terminal.currency;
  // At least one keepalive per transaction, before anything else happens.
  await ctx.messages.keepalive();
  await failInPhase(ctx, outcome, 'start');

  if (params.sbp === true) {
    if (!t.config.sbp.enabled) throw new CommandAbort('notallowedinterface', ['SBP is not enabled in the terminal configuration']);
    if (params.type === 'purchase') {
      const req: CardRequestInfo = { type: 'purchase', amount: params.amount ?? 0, currency };
      return cardPayment(ctx, req, outcome, { card: false, sbp: true, mifare: false });
    }
    // The request rules allow only purchase and refund with sbp.
    return sbpRefund(ctx, { amount: params.amount ?? 0, currency, rrn: params.rrn }, outcome);
  }
  if (params.type === 'void') return voidTransaction(ctx, params, outcome);
  // The request rules require amount (and amount-other on a purchase-with-cashback, the only type that may carry it).
  if (params.amount === undefined) throw new CommandAbort('invalidarguments', ['amount: is required']);
  const req: CardRequestInfo = { type: params.type, amount: params.amount, amountOther: params.amountOther, currency };
  if (params.type === 'refund' && params.forced === true) return forcedRefund(ctx, req, params.rrn, outcome);
  if (params.manual) {
    const card: TestCard = cardForManualPan(manualPan(ctx, params.manual.pan), params.manual.expiry, t.cards);
    return processCard(ctx, card, req, outcome, 'manual');
  }
  const sbp = params.sbp === undefined && t.config.sbp.enabled && params.type === 'purchase';
  return cardPayment(ctx, req, outcome, { card: true, sbp, mifare: params.type === 'purchase' });
}

/** refund with forced=true: no card; the card data come from the original (by rrn) when it is in the log. */
async function forcedRefund(
  ctx: CommandContext,
  req: CardRequestInfo,
  rrn: string | undefined,
  outcome: OutcomeSpec | undefined,
): Promise<Answer<'transaction'>> {
  const t = ctx.terminal;
  if (!t.config.terminal.forcedRefund) throw new CommandAbort('notimplemented', ['refund without the card is not supported by the acquirer']);
  const original = rrn === undefined ? undefined : t.log.findByRrn('card', rrn);
  await failInPhase(ctx, outcome, 'card');
  const path = await hostExchange(ctx, outcome);
  const approved = outcome?.declineReason === undefined && path === 'online';
  return recordAndAnswer(ctx, {
    kind: 'card',
    operation: 'refund',
    approved,
    amount: req.amount,
    currency: req.currency,
    entry: 'forced',
    card: original?.card,
    declineReason: outcome?.declineReason,
    respCode: outcome?.respCode,
  });
}

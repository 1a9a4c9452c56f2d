/**
 * A card transaction: "present card" (15, with the amount), detection (test card, MIFARE,
 * SBP in parallel when offered), processing (16), dex, CVM, the host (D1…D4), the record
 * and the final display (03 / 1A / 07 with the amount).
 */
import type { TransactionType } from '../protocol/types';
import { TestCard, isExpired, isLuhnValid } from './cards';
import type { Answer, CommandContext } from './context';
import { Detector, type DetectionOptions } from './detection';
import { runDex, type DexState } from './dex';
import { CommandAbort } from './errors';
import { show } from './display-script';
import { failInPhase, hostExchange } from './host';
import type { EntryMode } from './log';
import { mifareReceipt, runMifareSession } from './mifare-session';
import { isOfflineDecline, type OutcomeSpec } from './outcome';
import { cardData, recordAndAnswer } from './records';
import { completeSbpPayment, hideQr, showNewQr, type SbpQr } from './sbp';

/** The error-stack line of a transaction a MIFARE `close` without a receipt ended. */
export const MIFARE_CLOSED_WITHOUT_RECEIPT = 'the card session was closed without a receipt: no payment';

export interface CardRequestInfo {
  /** A payment's type is also its log operation. */
  type: Exclude<TransactionType, 'void'>;
  amount: number;
  amountOther?: number;
  currency: string;
}

/** A payment waiting for a card, a MIFARE session or an SBP payment (force-sbp="true": SBP alone). */
export async function cardPayment(ctx: CommandContext, req: CardRequestInfo, outcome: OutcomeSpec | undefined, detect: DetectionOptions): Promise<Answer<'transaction'>> {
  const t = ctx.terminal;
  const amountShown = { amount: req.amount, currency: req.currency };
  if (detect.card) await show(ctx, '15', amountShown);
  let qr: SbpQr | undefined;
  if (detect.sbp) qr = await showNewQr(ctx);
  const detector = new Detector(t, detect, ctx.command);
  detector.start();
  let card: TestCard;
  try {
    for (;;) {
      const event = await ctx.messages.waitFor(detector.next());
      if (event.kind === 'card') {
        card = event.card;
        t.emitEvent({ type: 'card-presented', card: card.id, source: event.source });
        break;
      }
      if (event.kind === 'mifare' && t.mifare) {
        const result = await runMifareSession(ctx, t.mifare);
        if (result.receipt !== undefined) {
          if (qr) await hideQr(ctx);
          return { status: 'ok', receipt: mifareReceipt(result.receipt) };
        }
        if (result.end === 'close' && t.mifareCloseWithoutReceipt === 'end') {
          if (qr) await hideQr(ctx);
          throw new CommandAbort('cancelled', [MIFARE_CLOSED_WITHOUT_RECEIPT]);
        }
        detector.mifareDone();
        continue;
      }
      if (event.kind === 'sbp' && qr) {
        await hideQr(ctx);
        return await completeSbpPayment(ctx, qr, event.outcome, amountShown, outcome);
      }
      if (event.kind === 'sbp-error' && qr) {
        // §8.10: a status read error hides the QR code; detection goes on until the timeout.
        await hideQr(ctx);
        qr = undefined;
        detector.sbpStopped();
        continue;
      }
      if (event.kind === 'timeout') {
        if (qr) await hideQr(ctx);
        const what = detect.card ? `no card presented within ${t.config.timing.cardTimeoutMs} ms` : 'no SBP payment before the detection timeout';
        throw new CommandAbort('timeout', [what]);
      }
    }
  } finally {
    detector.stop();
  }
  if (qr) await hideQr(ctx);
  return processCard(ctx, card, req, outcome, 'contactless');
}

/** A manually entered PAN the acquirer accepts (manual entry enabled, Luhn-valid). */
export function manualPan(ctx: CommandContext, pan: string): string {
  if (!ctx.terminal.config.terminal.manualEntry) {
    throw new CommandAbort('notallowedinterface', ['manual card entry is not supported by the acquirer']);
  }
  if (!isLuhnValid(pan)) throw new CommandAbort('invalidarguments', ['pan: is not a valid card number']);
  return pan;
}

/** From a read card (or manual entry) to the receipt. */
export async function processCard(
  ctx: CommandContext,
  card: TestCard,
  req: CardRequestInfo,
  queued: OutcomeSpec | undefined,
  entry: EntryMode,
): Promise<Answer<'transaction'>> {
  const t = ctx.terminal;
  let outcome = queued ?? card.outcome;
  if (outcome === undefined && isExpired(card.expiry, t.now())) {
    outcome = { declineReason: 'onlinedeclined', respCode: '054', respCodeDescription: 'Expired card' };
  }
  if (entry === 'contactless') {
    await show(ctx, '16');
    if (ctx.faults.take('card-removed')) {
      t.emitEvent({ type: 'fault', kind: 'card-removed', command: ctx.command });
      await show(ctx, '21');
      throw new CommandAbort('tryagain', ['card removed during processing']);
    }
  }
  const state: DexState = {
    amount: req.amount,
    amountOther: req.amountOther,
    currency: req.currency,
    card: cardData(card, entry === 'manual' ? 'no' : (outcome?.cvm ?? card.cvm)),
  };
  const dexRecord = t.config.dex.enabled && entry === 'contactless' ? await runDex(ctx, card, req.type, state) : undefined;
  await failInPhase(ctx, outcome, 'card');
  if (state.card.cvm === 'online') await show(ctx, '09');
  const decline = outcome?.declineReason;
  let approved = decline === undefined;
  if (decline === undefined || !isOfflineDecline(decline)) {
    const path = await hostExchange(ctx, outcome);
    if (path === 'offline') approved = false;
    if (outcome?.display) await show(ctx, outcome.display);
  } else if (outcome?.display) {
    await show(ctx, outcome.display);
  }
  return recordAndAnswer(
    ctx,
    {
      kind: 'card',
      operation: req.type,
      approved,
      amount: state.amount,
      amountOther: state.amountOther,
      currency: state.currency,
      entry,
      card: state.card,
      declineReason: decline,
      respCode: outcome?.respCode,
      respCodeDescription: outcome?.respCodeDescription,
      dexRecord,
    },
    { signature: state.card.cvm === 'signature', pan: card.pan },
  );
}

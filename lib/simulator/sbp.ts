/**
 * SBP (Faster Payments, §8.10) through the simulated SBP agent: the QR code is shown with
 * `displayqrcode`, the agent reports paid / declined / a status error after a delay (or
 * when told through the control API), the QR code is hidden. SBP records have their own
 * tid/mid and receipt numbering; an SBP refund (force-sbp="true") names the payment by
 * its rrn (= the CFT agent's localQrcId).
 */
import { randomUUID } from 'node:crypto';
import type { SbpCftBlock } from '../protocol/types';
import type { Answer, CommandContext } from './context';
import { CommandAbort } from './errors';
import { failInPhase, unreachableHost } from './host';
import { randomAlnum, randomDigits } from './ids';
import type { OutcomeSpec } from './outcome';
import { recordAndAnswer, type RecordInput } from './records';

export interface SbpQr {
  qrcId: string;
  url: string;
}

/** Shows a new QR code (`displayqrcode`). */
export async function showNewQr(ctx: CommandContext): Promise<SbpQr> {
  const qrcId = `AD${randomAlnum(30)}`;
  const qr = { qrcId, url: `${ctx.terminal.config.sbp.qrBaseUrl}${qrcId}` };
  await ctx.messages.tell({ name: 'displayqrcode', message: { show: true, url: qr.url } });
  return qr;
}

export async function hideQr(ctx: CommandContext): Promise<void> {
  await ctx.messages.tell({ name: 'displayqrcode', message: { show: false } });
}

function cftBlock(localQrcId: string, qrcId: string, approved: boolean): SbpCftBlock {
  return {
    localQrcId,
    pointId: randomUUID(),
    mpiOperationStatusDescriptionEng: approved ? 'Payment accepted' : 'Payment rejected',
    mpiOperationStatusDescriptionRus: approved ? 'Платеж завершен успешно' : 'Платеж отклонен',
    qrcId,
    extEntityId: randomAlnum(11),
    paymentPurpose: 'Оплата товара или услуги',
  };
}

export interface SbpPayment {
  amount: number;
  currency: string;
}

/**
 * Records an SBP payment or refund (the agent's own tid/mid and numbering, rrn = the CFT
 * agent's localQrcId) once the outcome's card- and host-phase statuses are passed, and answers.
 */
async function sbpAnswer(
  ctx: CommandContext,
  outcome: OutcomeSpec | undefined,
  input: Omit<RecordInput, 'kind' | 'entry' | 'rrn' | 'sbp'>,
  localQrcId: string,
  qrcId: string,
): Promise<Answer<'transaction'>> {
  await failInPhase(ctx, outcome, 'card');
  await failInPhase(ctx, outcome, 'host');
  const cft = ctx.terminal.config.sbp.cft ? { cft: cftBlock(localQrcId, qrcId, input.approved) } : {};
  return recordAndAnswer(ctx, { ...input, kind: 'sbp', entry: 'sbp', rrn: localQrcId, sbp: { localQrcId, qrcId, ...cft } });
}

/** The agent reported a result for a shown QR code: record it and answer. */
export async function completeSbpPayment(
  ctx: CommandContext,
  qr: SbpQr,
  result: 'approved' | 'declined',
  payment: SbpPayment,
  outcome: OutcomeSpec | undefined,
): Promise<Answer<'transaction'>> {
  const approved = result === 'approved' && outcome?.declineReason === undefined;
  const input = {
    operation: 'purchase',
    approved,
    amount: payment.amount,
    currency: payment.currency,
    declineReason: approved ? undefined : (outcome?.declineReason ?? 'onlinedeclined'),
    respCode: approved ? '000' : (outcome?.respCode ?? '051'),
    respCodeDescription: outcome?.respCodeDescription,
  } as const;
  return sbpAnswer(ctx, outcome, input, randomDigits(6), qr.qrcId);
}

/** force-sbp="true" refund of an SBP payment, found by its rrn / localQrcId. */
export async function sbpRefund(
  ctx: CommandContext,
  refund: SbpPayment & { rrn?: string },
  outcome: OutcomeSpec | undefined,
): Promise<Answer<'transaction'>> {
  const t = ctx.terminal;
  if (refund.rrn === undefined) throw new CommandAbort('invalidarguments', ['rrn: the SBP payment reference (localQrcId) is required']);
  const original = t.log.findByRrn('sbp', refund.rrn, 'purchase');
  if (!original) throw new CommandAbort('transactionnotfound', ['no SBP payment with this rrn in the log']);
  if (original.tstatus !== 'approved') throw new CommandAbort('notapproved', ['the SBP payment was not approved']);
  const remaining = original.amount - original.reversedAmount;
  if (remaining <= 0) throw new CommandAbort('alreadyreversed', ['the SBP payment has already been refunded']);
  if (refund.amount > remaining) throw new CommandAbort('invalidarguments', ['amount: exceeds what is left of the SBP payment']);
  const unreachable = await unreachableHost(ctx);
  if (unreachable) return unreachable;
  const input = {
    operation: 'refund',
    approved: outcome?.declineReason === undefined,
    amount: refund.amount,
    currency: refund.currency,
    declineReason: outcome?.declineReason,
    respCode: outcome?.respCode,
    originalSeq: original.seq,
  } as const;
  return sbpAnswer(ctx, outcome, input, original.sbp?.localQrcId ?? original.rrn, original.sbp?.qrcId ?? '');
}

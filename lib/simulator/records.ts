/** Building log records and committing them (where the drop-before-record fault strikes). */
import { definedOnly } from '../objects';
import { JpayValidationError } from '../errors';
import { Secret } from '../protocol/secret';
import type { TestCard } from './cards';
import { expiryToAed, receiptPan } from './cards';
import type { Answer, CommandContext } from './context';
import { show } from './display-script';
import { recordToReceipt } from './receipts';
import type { Terminal } from './terminal';
import { DropConnection } from './errors';
import { isoLocal, newAuthNumber, newRrn } from './ids';
import type { CardData, EntryMode, LogRecord, Operation, RecordKind } from './log';
import { DECLINE_DEFAULTS, type Cvm, type DeclineReason } from './outcome';

export function cardData(card: TestCard, cvm: Cvm = card.cvm): CardData {
  const { aid, appname, rid, scheme, alabel, apname, ictId } = card;
  return definedOnly<CardData>({ cardId: card.id, pan: receiptPan(card.pan), aed: expiryToAed(card.expiry), aid, appname, rid, scheme, cvm, alabel, apname, ictId });
}

export interface RecordInput {
  kind: RecordKind;
  operation: Operation;
  approved: boolean;
  amount: number;
  amountOther?: number;
  currency: string;
  entry: EntryMode;
  card?: CardData;
  declineReason?: DeclineReason;
  respCode?: string;
  respCodeDescription?: string;
  dexRecord?: string;
  originalSeq?: number;
  sbp?: LogRecord['sbp'];
  rrn?: string;
}

function recordOf(t: Terminal, input: RecordInput): LogRecord {
  const now = t.now();
  const decline = input.approved ? undefined : DECLINE_DEFAULTS[input.declineReason ?? 'onlinedeclined'];
  const sbp = input.kind === 'sbp';
  return definedOnly<LogRecord>({
    seq: t.log.takeSeq(input.kind),
    kind: input.kind,
    operation: input.operation,
    tstatus: input.approved ? 'approved' : 'declined',
    amount: input.amount,
    currency: input.currency,
    datetime: isoLocal(now),
    tid: sbp ? t.config.sbp.tid : t.config.terminal.tid,
    mid: sbp ? t.config.sbp.mid : t.config.terminal.mid,
    rrn: input.rrn ?? newRrn(now),
    authNumber: input.approved ? newAuthNumber() : '',
    respCode: input.respCode ?? (input.approved ? '000' : (decline?.respCode ?? '051')),
    entry: input.entry,
    tvr: input.approved ? '0000000000' : '0000008000',
    tsi: input.approved ? 'E800' : '6800',
    reversedAmount: 0,
    respCodeDescription: input.respCodeDescription ?? (input.approved ? 'Approved' : decline?.description),
    amountOther: input.amountOther,
    declineReason: input.approved ? undefined : (input.declineReason ?? 'onlinedeclined'),
    card: input.card,
    dexRecord: input.dexRecord || undefined,
    originalSeq: input.originalSeq,
    sbp: input.sbp,
  });
}

/** The record point of a command (a record, or the emptied log): the drop-before-record fault closes the connection here. */
export function recordPoint(ctx: CommandContext): void {
  if (!ctx.faults.take('drop-before-record')) return;
  ctx.terminal.emitEvent({ type: 'fault', kind: 'drop-before-record', command: ctx.command });
  throw new DropConnection('drop-before-record');
}

/**
 * Writes the transaction's record to the log at the record point and answers with its
 * receipt. A card record is followed by the final display: approved (03, or 1A with
 * `signature`) / declined (07), with the amount. `pan` (a card read or typed in) goes into
 * the answer only in an encrypted session.
 */
export async function recordAndAnswer(
  ctx: CommandContext,
  input: RecordInput,
  final: { signature?: boolean; pan?: string } = {},
): Promise<Answer<'transaction'>> {
  const t = ctx.terminal;
  const record = recordOf(t, input);
  recordPoint(ctx);
  await t.log.append(record);
  const { kind, seq, operation, tstatus, amount, currency } = record;
  t.emitEvent({ type: 'record', kind, seq, operation, tstatus, amount });
  if (kind === 'card') await show(ctx, input.approved ? (final.signature ? '1A' : '03') : '07', { amount, currency });
  const answer: Answer<'transaction'> = { status: 'ok', receipt: recordToReceipt(t, record) };
  if (final.pan !== undefined && ctx.messages.encrypted) answer.plainTextPan = new Secret(final.pan);
  return answer;
}

/** The most records one seeding call adds (receipt numbers wrap after 999999). */
export const MAX_SEED = 100_000;

/** Cards the seeded records rotate through, so the report has several card types. */
const SEED_CARDS = ['visa', 'mastercard', 'mir', 'unionpay'];

/**
 * Adds `count` approved card purchases to the log at once (control API `POST /log/seed`),
 * e.g. to exercise a full report of thousands of transactions. Amounts vary, 1.00–999.99.
 */
export async function seedRecords(t: Terminal, count: number): Promise<number> {
  if (!Number.isSafeInteger(count) || count < 1 || count > MAX_SEED) {
    throw new JpayValidationError('count', `must be an integer from 1 to ${MAX_SEED}`);
  }
  const cards = SEED_CARDS.map((id) => t.card(id)).filter((c): c is TestCard => c !== undefined);
  for (let i = 0; i < count; i++) {
    const card = cards[i % cards.length] ?? t.defaultCard();
    const record = recordOf(t, {
      kind: 'card',
      operation: 'purchase',
      approved: true,
      amount: 100 + ((i * 7919) % 99_900),
      currency: t.config.terminal.currency,
      entry: 'contactless',
      card: cardData(card),
    });
    await t.log.append(record);
  }
  return t.log.size;
}

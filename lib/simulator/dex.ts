/**
 * EMV data exchange (§8.9 dex): the kernel sends its configured tags, the client may
 * return tags the kernel adds or changes. Applied tags are visible in the outcome:
 * 9F06 → aid (and the RID of the report totals), 50 → alabel, 9F12 → apname,
 * 9F11 → ict-id, 9F02 → the authorised amount, 9F03 → amount-other, 5F2A → currency;
 * and every returned tag goes into the receipt's `record` as BER-TLV hex.
 * A value that is not valid for its tag ends the transaction with `emverror`.
 */
import { packetStatus } from '../codec/packet';
import { parseDexAnswer } from '../protocol';
import { validateTagValue } from '../protocol/emv-tags';
import type { EmvTagValue, TransactionType } from '../protocol/types';
import type { TestCard } from './cards';
import type { CommandContext } from './context';
import { CommandAbort } from './errors';
import type { CardData } from './log';

export interface DexState {
  amount: number;
  amountOther?: number;
  currency: string;
  card: CardData;
}

const TRANSACTION_TYPE_9C: Readonly<Record<TransactionType, string>> = {
  purchase: '00',
  'purchase-with-cashback': '09',
  refund: '20',
  void: '02',
};

export function kernelTags(ctx: CommandContext, card: TestCard, type: TransactionType, state: DexState): EmvTagValue[] {
  const values: Record<string, string> = {
    '{amount}': String(state.amount).padStart(12, '0'),
    '{currency}': state.currency.padStart(4, '0'),
    '{aid}': state.card.aid,
    '{pan}': card.pan.length % 2 === 0 ? card.pan : `${card.pan}F`,
    '{type}': TRANSACTION_TYPE_9C[type],
    '{label}': Buffer.from(state.card.alabel ?? state.card.appname, 'latin1').toString('hex').toUpperCase(),
  };
  return ctx.terminal.config.dex.kernelTags.map((tag) => ({
    name: tag.name.toUpperCase(),
    value: (values[tag.value] ?? tag.value).toUpperCase(),
  }));
}

/** BER-TLV encoding of tags (one- or multi-byte tags as given, definite length). */
export function encodeTlv(tags: readonly EmvTagValue[]): string {
  return tags
    .map(({ name, value }) => {
      const length = value.length / 2;
      const len = length < 0x80 ? [length] : length < 0x100 ? [0x81, length] : [0x82, length >> 8, length & 0xff];
      return `${name}${Buffer.from(len).toString('hex')}${value}`.toUpperCase();
    })
    .join('');
}

/** Runs the dex exchange; changes `state` in place; returns the `record` TLV, if any tag came back. */
export async function runDex(ctx: CommandContext, card: TestCard, type: TransactionType, state: DexState): Promise<string | undefined> {
  const answer = await ctx.messages.ask({ name: 'dex', message: { kernelTags: kernelTags(ctx, card, type, state) } });
  const status = packetStatus(answer)?.trim().toLowerCase();
  if (status === 'cancelled') throw new CommandAbort('cancelled');
  if (status !== 'ok') return undefined;
  let tags: EmvTagValue[];
  try {
    tags = parseDexAnswer(answer).terminalTags;
  } catch (error) {
    throw new CommandAbort('emverror', [`dex answer: ${(error as Error).message}`]);
  }
  if (tags.length === 0) return undefined;
  for (const tag of tags) {
    const check = validateTagValue(tag.name, tag.value);
    if (!check.ok) throw new CommandAbort('emverror', [`dex tag ${tag.name}: ${check.reason}`]);
  }
  for (const { name, value } of tags) APPLY[name.toUpperCase()]?.(state, value.toUpperCase());
  return encodeTlv(tags);
}

/** What each applied tag changes (see the header); other tags only go into the record. */
const APPLY: Readonly<Record<string, (state: DexState, value: string) => void>> = {
  '9F06': (s, v) => {
    s.card.aid = v;
    s.card.rid = v.slice(0, 10);
  },
  '50': (s, v) => (s.card.alabel = Buffer.from(v, 'hex').toString('latin1')),
  '9F12': (s, v) => (s.card.apname = v),
  '9F11': (s, v) => (s.card.ictId = v),
  '9F02': (s, v) => (s.amount = Number(v)),
  '9F03': (s, v) => (s.amountOther = Number(v)),
  '5F2A': (s, v) => (s.currency = v.slice(-3)),
};

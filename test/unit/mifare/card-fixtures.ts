/** Shared by the loyalty layout tests: a card read through the field as a layout reads it, and one block of it. */
import { type DecodedCard, type LoyaltyLayout, decodeCard, planRead } from '../../../lib/mifare/loyalty';
import type { VirtualMifareCard } from '../../../lib/mifare/virtual-card';

export function blockOf(card: VirtualMifareCard, block: number): Buffer {
  const r = card.read(block);
  if (!r.ok) throw new Error(`read ${block}: ${r.reason}`);
  return r.data;
}

/** Every block of planRead(layout), decoded. */
export function readCard(card: VirtualMifareCard, layout: LoyaltyLayout): DecodedCard {
  return decodeCard(layout, new Map(planRead(layout).map((b) => [b, blockOf(card, b)])));
}

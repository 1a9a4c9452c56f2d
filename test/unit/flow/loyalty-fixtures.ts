/**
 * Shared by the loyalty flow unit tests: a terminal stand-in that runs the `card` session
 * the way the simulator does (open with the auth block, then carry out each request on a
 * VirtualMifareCard and send its result), and issued cards.
 */
import assert from 'node:assert/strict';
import { type DecodedCard, type LoyaltyLayout, type LoyaltyState, decodeCard, defineLayout, planRead, runLoyaltyIssue } from '../../../lib/mifare/loyalty';
import { VirtualMifareCard } from '../../../lib/mifare/virtual-card';
import type { CardMessage, CardRequest } from '../../../lib/protocol/types';

export const LAYOUT = defineLayout({ programId: 42, purses: ['points', 'balance'] });

export type CardHandlerFn = (m: CardMessage) => Promise<CardRequest>;

export interface TerminalRun {
  close: CardRequest;
  requests: CardRequest[];
}

/** One card session as a terminal runs it; `cap` stops a runaway handler. */
export async function runTerminal(handler: CardHandlerFn, card: VirtualMifareCard, cap = 200): Promise<TerminalRun> {
  const opened = card.read(card.authBlock);
  let message: CardMessage = opened.ok ? { code: 'open', blockId: card.authBlock, data: opened.data } : { code: 'open', blockId: card.authBlock };
  const requests: CardRequest[] = [];
  for (let i = 0; i < cap; i++) {
    const request = await handler(message);
    requests.push(request);
    if (request.code === 'read') {
      const r = card.read(request.blockId);
      message = r.ok ? { code: 'read', ok: true, status: 'ok', data: r.data } : { code: 'read', ok: false, status: 'failed' };
    } else if (request.code === 'write') {
      const w = card.write(request.blockId, request.data);
      message = w.ok ? { code: 'write', ok: true, status: 'ok' } : { code: 'write', ok: false, status: 'failed' };
    } else {
      return { close: request, requests };
    }
  }
  throw new Error(`the card session did not close within ${cap} requests`);
}

export async function issuedCard(memberId: number, points: number, balance: number, layout: LoyaltyLayout = LAYOUT): Promise<VirtualMifareCard> {
  const card = new VirtualMifareCard({ uid: 'C0FFEE42' });
  const outcome = await runLoyaltyIssue(card, layout, { memberId, points, balance });
  assert.equal(outcome.status, 'committed');
  return card;
}

/** The card as the layout reads it (from the image, not through the field). */
export function decodedOf(card: VirtualMifareCard, layout: LoyaltyLayout = LAYOUT): DecodedCard {
  const image = card.toImage();
  const blocks = new Map<number, Buffer>();
  for (const b of planRead(layout)) blocks.set(b, image.subarray(b * 16, b * 16 + 16));
  return decodeCard(layout, blocks);
}

/** The committed state on the card. */
export function stateOf(card: VirtualMifareCard, layout: LoyaltyLayout = LAYOUT): LoyaltyState {
  const decoded = decodedOf(card, layout);
  if (decoded.kind !== 'ok') throw new Error(`card is ${decoded.kind}: ${decoded.detail}`);
  return decoded.state;
}

/**
 * The MIFARE `card` session (§8.9, PROTOCOL.md §5.2): open → the client's read/write
 * requests, each answered with its result → close. A close with a receipt ends the
 * transaction with that receipt (plus `<iface>mifare</iface>`); what a close without one
 * does is the terminal's `mifare.closeWithoutReceipt` (card-payment.ts); `notimplemented`
 * hands the terminal back to waiting for a bank card.
 */
import type { XmlElement } from '../codec/packet';
import type { VirtualMifareCard } from '../mifare/virtual-card';
import { parseCardAnswer, parseReceipt } from '../protocol';
import type { CardMessage, ReceiptToWrite } from '../protocol/types';
import type { CommandContext } from './context';
import { CommandAbort } from './errors';

/** A card session longer than this is a runaway client: the card would have left the field long ago. */
const MAX_OPERATIONS = 4096;

export interface MifareResult {
  /** How the client ended the card session: `close`, or any other answer (notimplemented…). */
  end: 'close' | 'other';
  receipt?: XmlElement;
}

export async function runMifareSession(ctx: CommandContext, card: VirtualMifareCard): Promise<MifareResult> {
  const t = ctx.terminal;
  t.emitEvent({ type: 'card-presented', card: `mifare:${card.uid}`, source: 'mifare' });
  const opened = card.read(card.authBlock);
  let message: CardMessage = opened.ok
    ? { code: 'open', blockId: card.authBlock, data: opened.data }
    : { code: 'open', blockId: card.authBlock };
  if (ctx.faults.take('card-removed')) {
    t.emitEvent({ type: 'fault', kind: 'card-removed', command: ctx.command });
    card.remove();
  }
  for (let i = 0; i < MAX_OPERATIONS; i++) {
    const answer = await ctx.messages.ask({ name: 'card', message });
    const parsed = parseCardAnswer(answer);
    if (parsed.code === 'invalid') throw new CommandAbort('formaterror', [`card answer: ${parsed.reason}`]);
    switch (parsed.code) {
      case 'read': {
        const read = card.read(parsed.blockId);
        message = read.ok ? { code: 'read', ok: true, status: 'ok', data: read.data } : { code: 'read', ok: false, status: 'failed' };
        break;
      }
      case 'write': {
        const written = card.write(parsed.blockId, parsed.data);
        message = written.ok ? { code: 'write', ok: true, status: 'ok' } : { code: 'write', ok: false, status: 'failed' };
        break;
      }
      case 'close':
        return parsed.receipt !== undefined && Object.keys(parsed.receipt).length > 0 ? { end: 'close', receipt: parsed.receipt } : { end: 'close' };
      default:
        return { end: 'other' };
    }
  }
  throw new CommandAbort('failed', [`card session exceeded ${MAX_OPERATIONS} operations`]);
}

/** The receipt of a completed MIFARE payment: the client's own receipt data, marked `iface` mifare. */
export function mifareReceipt(receipt: XmlElement): ReceiptToWrite {
  return { ...parseReceipt(receipt), iface: 'mifare' };
}

/**
 * One terminal's MIFARE card session, from the handler's side: turns each `card` message
 * into an event for the flow and the flow's answer into the next request. Remembers the
 * block of the last request (a read/write result does not repeat it) and can read a list
 * of blocks on `open` before the flow is asked, saving the flow a round trip per block.
 */
import type { CardMessage, CardRequest } from '../../lib/protocol/types';
import type { CardEventPayload } from './card-answers';

/** Asks the flow; resolves with its answer or with the safe default. */
export type AskFlow = (event: CardEventPayload, signal: AbortSignal) => Promise<CardRequest>;

interface Prefetch {
  open: CardEventPayload;
  queue: number[];
  blocks: Record<string, Buffer | null>;
}

export class CardCallbacks {
  readonly #prefetch: readonly number[];
  readonly #ask: AskFlow;
  #last: CardRequest | undefined;
  #pending: Prefetch | undefined;

  constructor(options: { prefetch?: readonly number[]; ask: AskFlow }) {
    this.#prefetch = options.prefetch ?? [];
    this.#ask = options.ask;
  }

  async handle(m: CardMessage, signal: AbortSignal): Promise<CardRequest> {
    if (m.code === 'open') {
      this.#last = undefined;
      this.#pending = undefined;
      const open: CardEventPayload = { event: 'open', block: m.blockId, ok: m.data !== undefined };
      if (m.data !== undefined) open.data = m.data;
      if (this.#prefetch.length === 0) return this.#request(open, signal);
      const blocks: Record<string, Buffer | null> = {};
      if (m.data !== undefined && this.#prefetch.includes(m.blockId)) blocks[m.blockId] = m.data;
      this.#pending = { open, blocks, queue: this.#prefetch.filter((b) => !(b in blocks)) };
      return this.#nextPrefetch(signal);
    }

    const block = this.#last && (this.#last.code === 'read' || this.#last.code === 'write') ? this.#last.blockId : undefined;
    if (m.code === 'read' && this.#pending) {
      if (block !== undefined) this.#pending.blocks[block] = m.ok && m.data ? m.data : null;
      return this.#nextPrefetch(signal);
    }
    const event: CardEventPayload = { event: m.code, ok: m.ok, status: m.status };
    if (block !== undefined) event.block = block;
    if (m.code === 'read' && m.data !== undefined) event.data = m.data;
    return this.#request(event, signal);
  }

  /** Forget the card session (the command ended or the node closes). */
  reset(): void {
    this.#last = undefined;
    this.#pending = undefined;
  }

  async #nextPrefetch(signal: AbortSignal): Promise<CardRequest> {
    const pending = this.#pending;
    if (!pending) throw new Error('no prefetch in progress');
    const next = pending.queue.shift();
    if (next !== undefined) {
      this.#last = { code: 'read', blockId: next };
      return this.#last;
    }
    this.#pending = undefined;
    return this.#request({ ...pending.open, blocks: pending.blocks }, signal);
  }

  async #request(event: CardEventPayload, signal: AbortSignal): Promise<CardRequest> {
    const answer = await this.#ask(event, signal);
    this.#last = answer.code === 'close' || answer.code === 'notimplemented' ? undefined : answer;
    return answer;
  }
}

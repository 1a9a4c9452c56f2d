/**
 * Runs a card driver that calls `io.read` / `io.write` and awaits each result (such as
 * runLoyaltyCardSession) inside the terminal's `card` session, where the handler is asked
 * for one CardRequest at a time (PROTOCOL.md §5.2): each io call becomes the answer to the
 * pending card message, and the terminal's next card message becomes the io call's
 * result. When the driver returns, its close request is the last answer.
 *
 * The terminal must never hang on us: a card message that finds no card session, or a result
 * for a request nobody made, is answered `close`. A driver waiting for a result that
 * never comes (the terminal went away) gets a failure after `replyTimeoutMs`.
 */
import type { CardReadResult, CardWriteResult, LoyaltyCardIo } from '../../lib/mifare/loyalty';
import { BLOCK_SIZE } from '../../lib/mifare/geometry';
import type { CardMessage, CardRequest } from '../../lib/protocol/types';

export type CloseRequest = Extract<CardRequest, { code: 'close' }>;

export interface CardOpen {
  /** The block the terminal authenticated on. */
  blockId: number;
  /** Its 16 bytes, when the terminal could read them. */
  data?: Buffer;
}

/**
 * The driver of one card session: all card I/O through `io`; resolves with the closing
 * request. `context` is what the caller passed with the `open` message.
 */
export type CardWork<C> = (io: LoyaltyCardIo, open: CardOpen, context: C | undefined) => Promise<CloseRequest>;

export interface CardIoBridgeOptions<C> {
  work: CardWork<C>;
  /** How long an io call waits for the terminal's next card message (default 10 s). */
  replyTimeoutMs?: number;
}

const CLOSE: CloseRequest = { code: 'close' };
const DEFAULT_REPLY_TIMEOUT_MS = 10_000;

class Session {
  #ended = false;
  #queued: CardRequest | undefined;
  #requestWaiter: ((r: CardRequest) => void) | undefined;
  #replyWaiter: ((m: CardMessage | undefined) => void) | undefined;
  #timer: NodeJS.Timeout | undefined;

  constructor(private readonly replyTimeoutMs: number) {}

  get ended(): boolean {
    return this.#ended;
  }

  get awaitingReply(): boolean {
    return this.#replyWaiter !== undefined;
  }

  /** The next request the driver makes (or its close). */
  nextRequest(): Promise<CardRequest> {
    const queued = this.#queued;
    if (queued !== undefined) {
      this.#queued = undefined;
      return Promise.resolve(queued);
    }
    return new Promise((resolve) => (this.#requestWaiter = resolve));
  }

  emit(request: CardRequest): void {
    const waiter = this.#requestWaiter;
    this.#requestWaiter = undefined;
    if (waiter) waiter(request);
    else this.#queued = request;
  }

  /** The terminal's result for the request just emitted; undefined when it never comes. */
  reply(): Promise<CardMessage | undefined> {
    if (this.#ended) return Promise.resolve(undefined);
    return new Promise((resolve) => {
      this.#replyWaiter = resolve;
      this.#timer = setTimeout(() => this.end(), this.replyTimeoutMs);
    });
  }

  deliver(message: CardMessage): void {
    const waiter = this.#replyWaiter;
    this.#replyWaiter = undefined;
    clearTimeout(this.#timer);
    waiter?.(message);
  }

  /** The card session is over for the driver: every io call from now on fails. */
  end(): void {
    this.#ended = true;
    clearTimeout(this.#timer);
    const reply = this.#replyWaiter;
    this.#replyWaiter = undefined;
    reply?.(undefined);
    // A handler call still waiting for a request gets the safe default.
    this.emit(CLOSE);
  }

  async request(request: CardRequest): Promise<CardMessage | undefined> {
    if (this.#ended) return undefined;
    this.emit(request);
    return this.reply();
  }
}

function readResult(m: CardMessage | undefined): CardReadResult {
  if (m === undefined) return { ok: false, reason: 'the card session ended' };
  if (m.code !== 'read') return { ok: false, reason: `the terminal answered ${m.code} to a read` };
  if (!m.ok) return { ok: false, reason: `the terminal reported ${m.status}` };
  if (m.data === undefined || m.data.length !== BLOCK_SIZE) return { ok: false, reason: 'the terminal sent no 16-byte block' };
  return { ok: true, data: m.data };
}

function writeResult(m: CardMessage | undefined): CardWriteResult {
  if (m === undefined) return { ok: false, reason: 'the card session ended' };
  if (m.code !== 'write') return { ok: false, reason: `the terminal answered ${m.code} to a write` };
  return m.ok ? { ok: true } : { ok: false, reason: `the terminal reported ${m.status}` };
}

export class CardIoBridge<C = undefined> {
  readonly #work: CardWork<C>;
  readonly #replyTimeoutMs: number;
  #session: Session | undefined;
  #running = new Set<Promise<void>>();

  constructor(options: CardIoBridgeOptions<C>) {
    this.#work = options.work;
    this.#replyTimeoutMs = options.replyTimeoutMs ?? DEFAULT_REPLY_TIMEOUT_MS;
  }

  /** True while a card session's driver runs. */
  get busy(): boolean {
    return this.#running.size > 0;
  }

  /**
   * The card handler: one terminal card message in, the next request out. `context`
   * (with `open` only) goes to the driver.
   */
  handle(message: CardMessage, signal?: AbortSignal, context?: C): Promise<CardRequest> {
    if (message.code === 'open') return this.#open(message, signal, context);
    const session = this.#session;
    if (session === undefined || session.ended || !session.awaitingReply) return Promise.resolve(CLOSE);
    const next = session.nextRequest();
    this.#watch(session, signal);
    session.deliver(message);
    return next;
  }

  /** Ends the current card session (node closing); its driver sees failed io and finishes. */
  abort(): void {
    this.#session?.end();
    this.#session = undefined;
  }

  /** Resolves when every driver started so far has finished. */
  async idle(): Promise<void> {
    while (this.#running.size > 0) await Promise.allSettled([...this.#running]);
  }

  #open(message: Extract<CardMessage, { code: 'open' }>, signal: AbortSignal | undefined, context: C | undefined): Promise<CardRequest> {
    // A new open means the terminal left the previous card session.
    this.#session?.end();
    const session = new Session(this.#replyTimeoutMs);
    this.#session = session;
    const first = session.nextRequest();
    this.#watch(session, signal);
    const io: LoyaltyCardIo = {
      read: async (block) => readResult(await session.request({ code: 'read', blockId: block })),
      write: async (block, data) => writeResult(await session.request({ code: 'write', blockId: block, data: Buffer.from(data) })),
    };
    const open: CardOpen = message.data !== undefined ? { blockId: message.blockId, data: message.data } : { blockId: message.blockId };
    const run = (async (): Promise<void> => {
      let close: CloseRequest = CLOSE;
      try {
        close = await this.#work(io, open, context);
      } finally {
        if (!session.ended) session.emit(close);
        session.end();
        if (this.#session === session) this.#session = undefined;
      }
    })();
    const tracked = run.catch(() => undefined);
    this.#running.add(tracked);
    void tracked.then(() => this.#running.delete(tracked));
    return first;
  }

  /** The terminal stopped waiting for this answer (deadline, transaction over): end the card session. */
  #watch(session: Session, signal: AbortSignal | undefined): void {
    if (signal === undefined) return;
    if (signal.aborted) {
      session.end();
      return;
    }
    // The client aborts this signal only while it waits for our answer (its deadline, or
    // the exchange ending); once answered, it never fires, so the listener is left to GC.
    signal.addEventListener('abort', () => session.end(), { once: true });
  }
}

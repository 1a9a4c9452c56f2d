/**
 * The terminal's messages: the handlers a caller plugs in to see or answer them, and the
 * dispatch that turns one message into one answer. Every path produces an answer: a
 * handler that throws, is late or returns something unusable never holds the terminal up
 * and gets the safe default; a message the library does not know gets `notimplemented`.
 */
import { childText, Packet } from '../codec/packet';
import { buildCardAnswer, buildDexAnswer, buildMessageAnswer, parseMessage } from '../protocol/messages';
import type {
  CardMessage,
  CardRequest,
  CommandName,
  DexMessage,
  DisplayMessage,
  EmvTagValue,
  QrCodeMessage,
  ResetKeepAliveMessage,
  TerminalMessage,
} from '../protocol/types';
import type { ClientLogger } from './options';
import { describeError } from './redact';

export interface KeepaliveInfo {
  command: CommandName;
  /** Keep-alives seen so far in this command, this one included. */
  count: number;
  /** True when this keep-alive is answered `cancelled` (the caller aborted). */
  cancelling: boolean;
  /** runreset only: the activator has connected. */
  activatorConnected?: boolean;
}

type MaybePromise<T> = T | Promise<T>;

export interface MessageHandlers {
  /** Tick notification; the answer is ok (or cancelled after an abort). */
  keepalive?(info: KeepaliveInfo): MaybePromise<void>;
  display?(m: DisplayMessage): MaybePromise<void>;
  /** Tags for the kernel to add/change; void = none. Default: ok with no tags. */
  dex?(m: DexMessage, signal: AbortSignal): MaybePromise<EmvTagValue[] | void>;
  /** The next card request. Default on failure: close without receipt; without a handler: notimplemented. */
  card?(m: CardMessage, signal: AbortSignal): MaybePromise<CardRequest>;
  displayqrcode?(m: QrCodeMessage): MaybePromise<void>;
  /** runreset keep-alive: false aborts the initialisation (answered `cancelled`). Default: true. */
  resetKeepAlive?(m: ResetKeepAliveMessage): MaybePromise<boolean>;
}

/** Client-wide handlers overridden key by key by per-call ones. */
export function mergeHandlers(base: MessageHandlers, override: MessageHandlers | undefined): MessageHandlers {
  if (!override) return base;
  const merged: MessageHandlers = { ...base };
  for (const [key, fn] of Object.entries(override)) {
    if (typeof fn === 'function') (merged as Record<string, unknown>)[key] = fn;
  }
  return merged;
}

export type HandlerOutcome<T> =
  | { ok: true; value: T }
  | { ok: false; reason: 'threw' | 'timeout' | 'abandoned'; error?: unknown };

/**
 * Runs one handler call with a deadline. The signal given to the handler aborts when
 * the deadline passes or `outer` aborts (the exchange ended), so a handler doing I/O can
 * stop. Never rejects.
 */
export async function runHandler<T>(
  call: (signal: AbortSignal) => MaybePromise<T>,
  timeoutMs: number,
  outer?: AbortSignal,
): Promise<HandlerOutcome<T>> {
  const controller = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  let onOuterAbort: (() => void) | undefined;
  const deadline = new Promise<HandlerOutcome<T>>((resolve) => {
    timer = setTimeout(() => {
      controller.abort();
      resolve({ ok: false, reason: 'timeout' });
    }, timeoutMs);
    onOuterAbort = (): void => {
      controller.abort();
      resolve({ ok: false, reason: 'abandoned' });
    };
    if (outer?.aborted) onOuterAbort();
    else outer?.addEventListener('abort', onOuterAbort, { once: true });
  });
  const work = (async (): Promise<HandlerOutcome<T>> => {
    try {
      return { ok: true, value: await call(controller.signal) };
    } catch (error) {
      return { ok: false, reason: 'threw', error };
    }
  })();
  try {
    return await Promise.race([work, deadline]);
  } finally {
    clearTimeout(timer);
    if (onOuterAbort) outer?.removeEventListener('abort', onOuterAbort);
  }
}

/** Events the dispatcher reports to the client's observers. */
export interface DispatchEvents {
  display: DisplayMessage;
  qrcode: QrCodeMessage;
  keepalive: KeepaliveInfo;
  card: CardMessage;
  dex: DexMessage;
}

export interface DispatchContext {
  readonly command: CommandName;
  readonly handlers: MessageHandlers;
  readonly handlerMs: number;
  readonly logger: ClientLogger;
  /** Aborts when the exchange ends: a handler still running is abandoned. Made only when a handler needs it. */
  signal(): AbortSignal;
  emit<K extends keyof DispatchEvents>(event: K, payload: DispatchEvents[K]): void;
  /** The caller aborted: the next keep-alive is answered `cancelled`. */
  cancelRequested(): boolean;
  /** Called for every display message (the client remembers the last code). */
  onDisplay(m: DisplayMessage): void;
}

export class MessageDispatcher {
  private keepalives = 0;

  constructor(private readonly ctx: DispatchContext) {}

  async answer(p: Packet): Promise<Packet> {
    let message: TerminalMessage | undefined;
    try {
      message = parseMessage(p);
    } catch (error) {
      this.ctx.logger.warn(`malformed <${p.name}> message; answering with the safe default`, { error: describeError(error) });
      return this.safeDefault(p.name);
    }
    if (message === undefined) {
      this.ctx.logger.warn(`unknown message <${p.name}>; answering notimplemented`, { command: this.ctx.command });
      return buildMessageAnswer(p.name, 'notimplemented');
    }
    switch (message.name) {
      case 'keepalive':
      case 'keep-alive':
        return this.onKeepalive(p, message.name === 'keep-alive' ? message.message : undefined);
      case 'display':
        return this.onDisplay(message.message);
      case 'displayqrcode':
        return this.onQrCode(message.message);
      case 'dex':
        return this.onDex(message.message);
      case 'card':
        return this.onCard(message.message);
    }
  }

  private safeDefault(name: string): Packet {
    if (name === 'dex') return buildDexAnswer('ok', []);
    if (name === 'card') return buildCardAnswer({ code: 'close' });
    return buildMessageAnswer(name, 'ok');
  }

  private warnHandler(name: string, outcome: { reason: 'threw' | 'timeout' | 'abandoned'; error?: unknown }, fallback: string): void {
    if (outcome.reason === 'abandoned') return;
    const why = outcome.reason === 'timeout' ? `did not answer within ${this.ctx.handlerMs} ms` : 'threw';
    const fields: Record<string, unknown> = { command: this.ctx.command };
    if (outcome.error !== undefined) fields.error = describeError(outcome.error);
    this.ctx.logger.warn(`${name} handler ${why}; answered ${fallback}`, fields);
  }

  private async notify<T>(name: string, fn: ((m: T) => unknown) | undefined, m: T): Promise<void> {
    if (!fn) return;
    const outcome = await runHandler(() => fn(m) as Promise<void> | void, this.ctx.handlerMs, this.ctx.signal());
    if (!outcome.ok) this.warnHandler(name, outcome, 'ok');
  }

  /** `keepalive` (transactions) and `keep-alive` (runreset); the answer repeats the root name. */
  private async onKeepalive(p: Packet, reset: ResetKeepAliveMessage | undefined): Promise<Packet> {
    const rootName = p.name;
    this.keepalives += 1;
    const isReset = this.ctx.command === 'runreset';
    const info: KeepaliveInfo = { command: this.ctx.command, count: this.keepalives, cancelling: this.ctx.cancelRequested() };
    // A `keepalive` (no hyphen) during runreset may still carry the indicator.
    if (isReset) info.activatorConnected = reset?.activatorConnected ?? childText(p.body, 'reset-connected-indicator')?.trim() === '1';
    this.ctx.emit('keepalive', info);
    if (isReset) {
      const message: ResetKeepAliveMessage = { activatorConnected: info.activatorConnected === true };
      let proceed = true;
      const fn = this.ctx.handlers.resetKeepAlive;
      if (fn) {
        const outcome = await runHandler(() => fn(message), this.ctx.handlerMs, this.ctx.signal());
        if (outcome.ok) proceed = outcome.value !== false;
        else this.warnHandler('resetKeepAlive', outcome, 'ok');
      }
      await this.notify('keepalive', this.ctx.handlers.keepalive, info);
      const cancel = !proceed || this.ctx.cancelRequested();
      if (cancel) this.ctx.logger.info('answering runreset keep-alive with cancelled');
      return buildMessageAnswer(rootName, cancel ? 'cancelled' : 'ok');
    }
    await this.notify('keepalive', this.ctx.handlers.keepalive, info);
    // The abort may have come while the handler ran: the answer reflects the latest state.
    const cancel = this.ctx.cancelRequested();
    if (cancel) this.ctx.logger.info(`answering keepalive with cancelled`, { command: this.ctx.command });
    return buildMessageAnswer(rootName, cancel ? 'cancelled' : 'ok');
  }

  private async onDisplay(m: DisplayMessage): Promise<Packet> {
    this.ctx.onDisplay(m);
    this.ctx.emit('display', m);
    await this.notify('display', this.ctx.handlers.display, m);
    return buildMessageAnswer('display', 'ok');
  }

  private async onQrCode(m: QrCodeMessage): Promise<Packet> {
    this.ctx.emit('qrcode', m);
    await this.notify('displayqrcode', this.ctx.handlers.displayqrcode, m);
    return buildMessageAnswer('displayqrcode', 'ok');
  }

  private async onDex(m: DexMessage): Promise<Packet> {
    this.ctx.emit('dex', m);
    const fn = this.ctx.handlers.dex;
    if (!fn) return buildDexAnswer('ok', []);
    const outcome = await runHandler<EmvTagValue[] | void>((signal) => fn(m, signal), this.ctx.handlerMs, this.ctx.signal());
    if (!outcome.ok) {
      this.warnHandler('dex', outcome, 'ok with no tags');
      return buildDexAnswer('ok', []);
    }
    const tags = outcome.value ?? [];
    try {
      if (!Array.isArray(tags)) throw new TypeError('dex handler must return an array of {name, value} or nothing');
      return buildDexAnswer('ok', tags);
    } catch (error) {
      this.warnHandler('dex', { reason: 'threw', error }, 'ok with no tags');
      return buildDexAnswer('ok', []);
    }
  }

  private async onCard(m: CardMessage): Promise<Packet> {
    this.ctx.emit('card', m);
    const fn = this.ctx.handlers.card;
    // A client without MIFARE support says so (the terminal then waits for a bank card).
    if (!fn) return buildCardAnswer({ code: 'notimplemented' });
    const outcome = await runHandler<CardRequest>((signal) => fn(m, signal), this.ctx.handlerMs, this.ctx.signal());
    if (!outcome.ok) {
      this.warnHandler('card', outcome, 'close without receipt');
      return buildCardAnswer({ code: 'close' });
    }
    try {
      if (typeof outcome.value !== 'object' || outcome.value === null) throw new TypeError('card handler must return a card request');
      return buildCardAnswer(outcome.value);
    } catch (error) {
      this.warnHandler('card', { reason: 'threw', error }, 'close without receipt');
      return buildCardAnswer({ code: 'close' });
    }
  }
}

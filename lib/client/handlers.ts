/**
 * Message handlers: what the caller plugs in to see or answer the terminal's messages,
 * and the guard that runs them with a deadline. A handler that throws or is late never
 * holds the terminal up: the message dispatch answers with the safe default instead.
 */
import type {
  CardMessage,
  CardRequest,
  CommandName,
  DexMessage,
  DisplayMessage,
  EmvTagValue,
  QrCodeMessage,
  ResetKeepAliveMessage,
} from '../protocol/types';

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

/**
 * Pending callbacks between a terminal and a flow (DESIGN §3), in the manner of the core
 * `link call` node: each terminal message that needs an answer gets a correlation id and a
 * deadline; the flow's answer settles it. Knows nothing of Node-RED.
 *
 * A terminal runs one command at a time, so at most one question per terminal is open:
 * an answer that lost its id (a node in between rebuilt the msg, node-red#714) is matched
 * by terminal. The terminal must never hang on a flow: a missed deadline, an abort or a
 * close settles the entry with the caller's safe default.
 */
import { randomBytes } from 'node:crypto';

/** How an entry was settled. */
export type SettledBy = 'flow' | 'deadline' | 'invalid' | 'aborted' | 'closed';

export interface Settlement<T> {
  id: string;
  terminal: string;
  value: T;
  by: SettledBy;
}

export type CallbackWarningKind =
  /** Nobody answered in time; the safe default went to the terminal. */
  | 'deadline'
  /** An answer for a question already settled by its deadline (or an abort/close). */
  | 'late'
  /** A second answer for a question the flow had already answered. */
  | 'duplicate'
  /** An answer whose id this registry never issued (or forgot long ago). */
  | 'unknown'
  /** An answer without id, and nothing is waiting on its terminal. */
  | 'nothing-pending';

export interface CallbackWarning {
  kind: CallbackWarningKind;
  id?: string;
  terminal?: string;
  timeoutMs?: number;
}

/** Where an answer says it belongs: `msg._jpay`, or only the terminal when `_jpay` was lost. */
export interface AnswerRef {
  id?: string;
  terminal?: string;
}

export type AnswerResult =
  | { matched: true; id: string; terminal: string; byTerminal: boolean }
  | { matched: false; warning: CallbackWarning };

export interface OpenOptions<T> {
  terminal: string;
  timeoutMs: number;
  /** The answer the terminal gets when the flow does not give one. */
  fallback: T;
  /** Aborted when the client stops waiting (transaction over, connection lost). */
  signal?: AbortSignal;
}

export interface OpenedCallback<T> {
  id: string;
  settled: Promise<Settlement<T>>;
}

export interface CallbackRegistryOptions {
  onWarning?: (warning: CallbackWarning) => void;
  /** How many settled ids to remember, to tell a late answer from an unknown one. */
  historySize?: number;
  newId?: () => string;
}

interface Entry<T> {
  id: string;
  terminal: string;
  fallback: T;
  timer: NodeJS.Timeout;
  resolve: (s: Settlement<T>) => void;
  detach: () => void;
}

const DEFAULT_HISTORY = 256;

export class CallbackRegistry<T> {
  readonly #pending = new Map<string, Entry<T>>();
  readonly #byTerminal = new Map<string, string>();
  /** id → how it was settled, oldest first (Map keeps insertion order). */
  readonly #history = new Map<string, SettledBy>();
  readonly #historySize: number;
  readonly #onWarning: (warning: CallbackWarning) => void;
  readonly #newId: () => string;
  #closed = false;

  constructor(options: CallbackRegistryOptions = {}) {
    this.#onWarning = options.onWarning ?? (() => undefined);
    this.#historySize = options.historySize ?? DEFAULT_HISTORY;
    this.#newId = options.newId ?? (() => randomBytes(8).toString('hex'));
  }

  get size(): number {
    return this.#pending.size;
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** The id waiting on a terminal, if any. */
  pendingFor(terminal: string): string | undefined {
    return this.#byTerminal.get(terminal);
  }

  /**
   * Opens a question. A question still open on the same terminal is settled with its own
   * fallback first (the terminal moved on, so its answer can no longer be used).
   */
  open(options: OpenOptions<T>): OpenedCallback<T> {
    const { terminal, timeoutMs, fallback, signal } = options;
    const id = this.#newId();
    if (this.#closed) return { id, settled: Promise.resolve({ id, terminal, value: fallback, by: 'closed' }) };
    if (signal?.aborted) return { id, settled: Promise.resolve({ id, terminal, value: fallback, by: 'aborted' }) };

    const previous = this.#byTerminal.get(terminal);
    if (previous !== undefined) this.#settle(previous, 'aborted');

    let resolve!: (s: Settlement<T>) => void;
    const settled = new Promise<Settlement<T>>((r) => (resolve = r));
    const timer = setTimeout(() => {
      if (this.#settle(id, 'deadline')) this.#onWarning({ kind: 'deadline', id, terminal, timeoutMs });
    }, timeoutMs);
    const onAbort = (): void => {
      this.#settle(id, 'aborted');
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    const detach = (): void => signal?.removeEventListener('abort', onAbort);

    this.#pending.set(id, { id, terminal, fallback, timer, resolve, detach });
    this.#byTerminal.set(terminal, id);
    return { id, settled };
  }

  /**
   * Settles a question with the flow's answer. Matched by id when the answer carries one,
   * else by terminal. Late, duplicate and unknown answers change nothing and are reported.
   */
  answer(ref: AnswerRef, value: T): AnswerResult {
    const found = this.#find(ref);
    if (!found.matched) return found;
    this.#settle(found.id, 'flow', { value });
    return found;
  }

  /**
   * The flow answered, but the answer is unusable: the terminal gets the fallback now
   * instead of waiting for the deadline. Late, duplicate and unknown answers are reported.
   */
  reject(ref: AnswerRef): AnswerResult {
    const found = this.#find(ref);
    if (!found.matched) return found;
    this.#settle(found.id, 'invalid');
    return found;
  }

  /** Settles everything with its fallback and clears every timer. Idempotent. */
  close(): void {
    this.#closed = true;
    for (const id of [...this.#pending.keys()]) this.#settle(id, 'closed');
  }

  #find(ref: AnswerRef): AnswerResult {
    const id = typeof ref.id === 'string' && ref.id !== '' ? ref.id : undefined;
    if (id !== undefined) {
      const entry = this.#pending.get(id);
      if (entry) return { matched: true, id, terminal: entry.terminal, byTerminal: false };
      return { matched: false, warning: this.#missed(id, ref.terminal) };
    }
    const terminal = ref.terminal;
    const byTerminal = terminal === undefined ? undefined : this.#byTerminal.get(terminal);
    if (terminal !== undefined && byTerminal !== undefined) {
      return { matched: true, id: byTerminal, terminal, byTerminal: true };
    }
    const warning: CallbackWarning = { kind: 'nothing-pending', terminal };
    this.#onWarning(warning);
    return { matched: false, warning };
  }

  #missed(id: string, terminal: string | undefined): CallbackWarning {
    const by = this.#history.get(id);
    const kind: CallbackWarningKind = by === undefined ? 'unknown' : by === 'flow' ? 'duplicate' : 'late';
    const warning: CallbackWarning = { kind, id, terminal };
    this.#onWarning(warning);
    return warning;
  }

  #settle(id: string, by: SettledBy, answer?: { value: T }): boolean {
    const entry = this.#pending.get(id);
    if (!entry) return false;
    clearTimeout(entry.timer);
    entry.detach();
    this.#pending.delete(id);
    if (this.#byTerminal.get(entry.terminal) === id) this.#byTerminal.delete(entry.terminal);
    this.#remember(id, by);
    entry.resolve({ id, terminal: entry.terminal, value: answer ? answer.value : entry.fallback, by });
    return true;
  }

  #remember(id: string, by: SettledBy): void {
    this.#history.set(id, by);
    while (this.#history.size > this.#historySize) {
      const oldest = this.#history.keys().next().value;
      if (oldest === undefined) break;
      this.#history.delete(oldest);
    }
  }
}

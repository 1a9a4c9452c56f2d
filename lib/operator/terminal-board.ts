/**
 * The operator's board: every terminal a process runs, each with its live state
 * (lib/gateway's TerminalStateModel, fed by the terminal's client), its last receipts and
 * the transactions whose outcome waits for a person (lib/recovery); and the receipt
 * outboxes with what waits in them for the broker. What it emits is meant
 * for a screen: masked PANs, no password, no token, no card data (docs/operator-ui.md).
 * Node-RED's editor sidebar (plugins/jpay-sidebar) is one user; it knows nothing of Node-RED.
 */
import { EventEmitter } from 'node:events';
import type { JpayClient } from '../client/jpay-client';
import { TerminalStateModel, type ReceiptSummary, type TerminalStateSnapshot } from '../gateway/terminal-state';
import type { Language } from '../protocol/types';
import type { TransactionRecovery } from '../recovery/transaction-recovery';
import type { JournalEntry } from '../recovery/types';

/** A terminal as the board needs it. Several entries may share one client (one queue per host:port). */
export interface BoardTerminal {
  /** Unique on the board (Node-RED: the config node's id). */
  id: string;
  label: string;
  host: string;
  port: number;
  client: JpayClient;
  recovery?: TransactionRecovery | undefined;
  language: Language | 'auto';
}

/** A transaction whose outcome is still open: recovery has not settled it, or could not (a person must look). */
export interface WaitingOutcome {
  id: string;
  /** unresolved: recovery has still to run; needs-review: recovery could not decide. */
  kind: 'unresolved' | 'needs-review';
  type: string;
  /** Minor units. */
  amount?: number;
  currency?: string;
  /** Host clock, ISO: when it was sent. */
  begunAt: string;
  reason?: string;
}

export interface BoardEntry {
  id: string;
  label: string;
  /** host:port */
  address: string;
  /** Whether a transaction on it goes through the recovery journal. */
  recovery: boolean;
  state: TerminalStateSnapshot;
  /** The last receipts seen, newest first (masked PAN). */
  receipts: ReceiptSummary[];
  waiting: WaitingOutcome[];
}

/** A receipt outbox (stored receipts waiting for the broker) as the board needs it. */
export interface BoardOutbox {
  id: string;
  label: string;
  /** Calls `onChange` now and on every change; returns the function that stops it. */
  watch(onChange: (state: { state: string; queued: number }) => void): () => void;
}

export interface OutboxEntry {
  id: string;
  label: string;
  /** connecting, connected, offline, failed… as the outbox tells. */
  state: string;
  /** Receipts stored and not yet acknowledged by the broker. */
  queued: number;
}

export interface TerminalBoardOptions {
  /** How many receipts each terminal keeps (default 5). */
  receipts?: number;
  /** How many waiting outcomes each terminal lists (default 20; the backlog counts them all). */
  waiting?: number;
  now?: () => Date;
}

interface Watched {
  terminal: BoardTerminal;
  model: TerminalStateModel;
  receipts: ReceiptSummary[];
  waiting: WaitingOutcome[];
  stop(): void;
}

function waitingOf(entry: JournalEntry, kind: WaitingOutcome['kind']): WaitingOutcome {
  const out: WaitingOutcome = { id: entry.id, kind, type: entry.request.type, begunAt: entry.begunAt };
  if (entry.request.amount !== undefined) out.amount = entry.request.amount;
  if (entry.request.currency !== undefined) out.currency = entry.request.currency;
  const reason = entry.recovery?.reason ?? entry.phase ?? entry.reason;
  if (reason !== undefined) out.reason = reason;
  return out;
}

export class TerminalBoard extends EventEmitter<{ change: [] }> {
  readonly #watched = new Map<string, Watched>();
  readonly #outboxes = new Map<string, { outbox: BoardOutbox; entry: OutboxEntry; stop(): void }>();
  readonly #keepReceipts: number;
  readonly #keepWaiting: number;
  readonly #now: (() => Date) | undefined;

  constructor(options: TerminalBoardOptions = {}) {
    super();
    this.#keepReceipts = options.receipts ?? 5;
    this.#keepWaiting = options.waiting ?? 20;
    this.#now = options.now;
  }

  /** Watches exactly these terminals: new ones are added, gone ones (or ones with a new client) dropped. */
  sync(terminals: readonly BoardTerminal[]): void {
    const wanted = new Map(terminals.map((t) => [t.id, t]));
    let changed = false;
    for (const [id, w] of this.#watched) {
      const next = wanted.get(id);
      if (next && next.client === w.terminal.client && next.recovery === w.terminal.recovery && next.label === w.terminal.label) continue;
      w.stop();
      this.#watched.delete(id);
      changed = true;
    }
    for (const t of terminals) {
      if (this.#watched.has(t.id)) continue;
      this.#watched.set(t.id, this.#watch(t));
      changed = true;
    }
    if (changed) this.emit('change');
  }

  /** Watches exactly these outboxes (by id and label). */
  syncOutboxes(outboxes: readonly BoardOutbox[]): void {
    const wanted = new Map(outboxes.map((o) => [o.id, o]));
    let changed = false;
    for (const [id, w] of this.#outboxes) {
      if (wanted.get(id) === w.outbox) continue;
      w.stop();
      this.#outboxes.delete(id);
      changed = true;
    }
    for (const outbox of outboxes) {
      if (this.#outboxes.has(outbox.id)) continue;
      const entry: OutboxEntry = { id: outbox.id, label: outbox.label, state: 'unknown', queued: 0 };
      const watched: { outbox: BoardOutbox; entry: OutboxEntry; stop(): void } = { outbox, entry, stop: () => undefined };
      this.#outboxes.set(outbox.id, watched);
      watched.stop = outbox.watch((s) => {
        if (s.state === entry.state && s.queued === entry.queued) return;
        entry.state = s.state;
        entry.queued = s.queued;
        this.emit('change');
      });
      changed = true;
    }
    if (changed) this.emit('change');
  }

  outboxes(): OutboxEntry[] {
    return [...this.#outboxes.values()].map((w) => ({ ...w.entry })).sort((a, b) => a.label.localeCompare(b.label) || a.id.localeCompare(b.id));
  }

  /** The terminal `id`, if watched. */
  terminal(id: string): BoardTerminal | undefined {
    return this.#watched.get(id)?.terminal;
  }

  entries(): BoardEntry[] {
    return [...this.#watched.values()]
      .map((w) => ({
        id: w.terminal.id,
        label: w.terminal.label,
        address: `${w.terminal.host}:${w.terminal.port}`,
        recovery: w.terminal.recovery !== undefined,
        state: w.model.snapshot(),
        receipts: w.receipts.map((r) => ({ ...r })),
        waiting: w.waiting.map((o) => ({ ...o })),
      }))
      .sort((a, b) => a.label.localeCompare(b.label) || a.id.localeCompare(b.id));
  }

  close(): void {
    for (const w of this.#watched.values()) w.stop();
    this.#watched.clear();
    for (const w of this.#outboxes.values()) w.stop();
    this.#outboxes.clear();
  }

  #watch(terminal: BoardTerminal): Watched {
    const model = new TerminalStateModel({ terminalId: terminal.id, language: terminal.language, ...(this.#now ? { now: this.#now } : {}) });
    const w: Watched = { terminal, model, receipts: [], waiting: [], stop: () => undefined };
    const detach = model.attach(terminal.client);
    const onChange = (s: TerminalStateSnapshot): void => {
      const last = s.lastReceipt;
      if (last && w.receipts[0]?.at !== last.at) {
        w.receipts.unshift(last);
        w.receipts.length = Math.min(w.receipts.length, this.#keepReceipts);
      }
      this.emit('change');
    };
    model.on('change', onChange);
    const recovery = terminal.recovery;
    let stopped = false;
    const countWaiting = (): void => {
      if (!recovery) return;
      recovery.whenReady().then(
        () => {
          if (stopped) return;
          let entries: WaitingOutcome[];
          try {
            entries = [
              ...recovery.needsReview(terminal.client).map((e) => waitingOf(e, 'needs-review')),
              ...recovery.unresolved(terminal.client).map((e) => waitingOf(e, 'unresolved')),
            ];
          } catch {
            return; // the journal closed meanwhile
          }
          w.waiting = entries.slice(0, this.#keepWaiting);
          // setBacklog emits only when the count changed; the list may change with the same count.
          model.setBacklog({ recovery: entries.length });
          this.emit('change');
        },
        () => undefined,
      );
    };
    if (recovery) {
      terminal.client.on('command-end', countWaiting);
      recovery.on('recovered', countWaiting);
      recovery.on('needs-review', countWaiting);
      countWaiting();
    }
    w.stop = () => {
      stopped = true;
      detach();
      model.off('change', onChange);
      if (recovery) {
        terminal.client.off('command-end', countWaiting);
        recovery.off('recovered', countWaiting);
        recovery.off('needs-review', countWaiting);
      }
    };
    return w;
  }
}

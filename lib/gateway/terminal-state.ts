/**
 * The live state of one terminal for dashboards (the retained `<prefix>/<tid>/state` of
 * docs/fleet.md, an editor sidebar): online, busy or offline, what its display shows,
 * the last receipt in short (PAN masked), today's totals as this process saw them, and
 * the backlogs (unresolved outcomes, receipts waiting for the broker). Fed by a
 * JpayClient's events, so it sees every command on the client, whoever started it.
 * Emits `change` on every change; publishers rate-limit themselves.
 */
import { EventEmitter } from 'node:events';
import type { CommandEndEvent, CommandStartEvent, JpayClient } from '../client/jpay-client';
import { describeDisplay, pickLanguage } from '../protocol/display';
import type { DisplayMessage, Language, Receipt } from '../protocol/types';
import { maskPansInText, maskPanValue } from '../publish/sanitize';

export const STATE_FORMAT = 'jpay-state/1';

export interface ReceiptSummary {
  /** Receipt number as printed (`000009`). */
  seq?: string;
  type?: string;
  approved: boolean;
  /** Minor units. */
  amount?: number;
  currency?: string;
  /** First 6 / last 4 at most. */
  pan?: string;
  /** `sbp`, `mifare`, or absent for a card. */
  iface?: string;
  application?: string;
  rrn?: string;
  /** The terminal's local time of the transaction. */
  datetime?: string;
  /** When this process saw it (UTC). */
  at: string;
}

export interface DayTotals {
  /** The local date of this process (YYYY-MM-DD); totals start again at midnight. */
  date: string;
  /** Payments answered today: approved and not approved (declined, cancelled…). */
  approved: number;
  declined: number;
  /** Money moved, minor units by currency: purchases and refund reversals count +, refunds and purchase reversals −. */
  net: Record<string, number>;
}

export interface TerminalStateSnapshot {
  format: typeof STATE_FORMAT;
  terminalId: string;
  /** online: the gateway runs and the terminal is idle; busy: a command runs; offline: the gateway is gone. */
  state: 'online' | 'busy' | 'offline';
  /** What the last command found: the terminal answered (reachable), or could not be reached. */
  link: 'unknown' | 'reachable' | 'unreachable';
  /** The running command. */
  command?: string;
  display?: { text: string; code: string; amount?: number; currency?: string; at: string };
  lastReceipt?: ReceiptSummary;
  today: DayTotals;
  /** Transactions whose outcome is still to be resolved; receipts waiting for the broker. */
  backlog: { recovery?: number; outbox?: number };
  lastError?: { command: string; message: string; at: string };
  /** The commands the gateway takes (set by the gateway). */
  commands?: string[];
  /** Why it is offline (`closed`, `connection-lost`). */
  reason?: string;
  /** Since when this process watches the terminal. */
  since: string;
  /** When this snapshot changed last. */
  at: string;
}

export interface TerminalStateOptions {
  terminalId: string;
  /** Display text language: fixed, or 'auto' = the terminal's preference. */
  language?: Language | 'auto';
  now?: () => Date;
}

const SIGN: Readonly<Record<string, number>> = { purchase: 1, refundreversal: 1, refund: -1, purchasereversal: -1 };
const MAX_TEXT = 200;

function localDate(d: Date): string {
  const pad = (n: number): string => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
}

function clip(text: string): string {
  const t = maskPansInText(text.replace(/\s+/g, ' ').trim());
  return t.length > MAX_TEXT ? `${t.slice(0, MAX_TEXT - 1)}…` : t;
}

export function summarizeReceipt(r: Receipt, at: Date): ReceiptSummary {
  const out: ReceiptSummary = { approved: r.approved, at: at.toISOString() };
  if (r.seq !== undefined) out.seq = r.seq;
  if (r.type !== undefined) out.type = r.type;
  if (r.amountAuthorized !== undefined) out.amount = r.amountAuthorized;
  if (r.currency !== undefined) out.currency = r.currency;
  if (r.pan !== undefined) out.pan = maskPansInText(maskPanValue(r.pan));
  if (r.iface !== undefined) out.iface = r.iface;
  if (r.applicationName !== undefined) out.application = clip(r.applicationName);
  if (r.rrn !== undefined) out.rrn = r.rrn;
  if (r.datetime !== undefined) out.datetime = r.datetime;
  return out;
}

export class TerminalStateModel extends EventEmitter<{ change: [TerminalStateSnapshot] }> {
  readonly terminalId: string;
  readonly #language: Language | 'auto';
  readonly #now: () => Date;
  #state: TerminalStateSnapshot;

  constructor(options: TerminalStateOptions) {
    super();
    this.terminalId = options.terminalId;
    this.#language = options.language ?? 'auto';
    this.#now = options.now ?? (() => new Date());
    const now = this.#now();
    this.#state = {
      format: STATE_FORMAT,
      terminalId: options.terminalId,
      state: 'online',
      link: 'unknown',
      today: { date: localDate(now), approved: 0, declined: 0, net: {} },
      backlog: {},
      since: now.toISOString(),
      at: now.toISOString(),
    };
  }

  /** A copy of the current state. */
  snapshot(): TerminalStateSnapshot {
    this.#rollDay(this.#now());
    return structuredClone(this.#state);
  }

  /** Follows a client's events; returns the function that stops following. */
  attach(client: JpayClient): () => void {
    const onStart = (e: CommandStartEvent): void => this.commandStarted(e);
    const onEnd = (e: CommandEndEvent): void => this.commandEnded(e);
    const onDisplay = (m: DisplayMessage): void => this.displayed(m);
    client.on('command-start', onStart);
    client.on('command-end', onEnd);
    client.on('display', onDisplay);
    return () => {
      client.off('command-start', onStart);
      client.off('command-end', onEnd);
      client.off('display', onDisplay);
    };
  }

  commandStarted(e: Pick<CommandStartEvent, 'command'>): void {
    this.#change((s) => {
      if (s.state !== 'offline') s.state = 'busy';
      s.command = e.command;
      delete s.display;
    });
  }

  commandEnded(e: CommandEndEvent): void {
    const now = this.#now();
    this.#change((s) => {
      if (s.state !== 'offline') s.state = 'online';
      delete s.command;
      delete s.display;
      const unreachable = e.error !== undefined && /^JpayConnectionError|^JpayTimeoutError: connect limit/.test(e.error);
      s.link = unreachable ? 'unreachable' : e.status !== undefined || e.ok ? 'reachable' : s.link;
      if (e.error !== undefined) s.lastError = { command: e.command, message: clip(e.error), at: now.toISOString() };
      if (e.command !== 'transaction' || e.outcomeUnknown === true) return;
      if (e.status === undefined && !e.ok) return;
      if (e.approved === true) s.today.approved++;
      else s.today.declined++;
      if (e.receipt) {
        s.lastReceipt = summarizeReceipt(e.receipt, now);
        const sign = e.receipt.approved ? (SIGN[e.receipt.type ?? ''] ?? 0) : 0;
        if (sign !== 0 && e.receipt.amountAuthorized !== undefined) {
          const currency = e.receipt.currency ?? 'unknown';
          s.today.net[currency] = (s.today.net[currency] ?? 0) + sign * e.receipt.amountAuthorized;
        }
      }
    });
  }

  displayed(m: DisplayMessage): void {
    const language = this.#language === 'auto' ? pickLanguage(m.language) : this.#language;
    const d = describeDisplay(m, language);
    this.#change((s) => {
      s.display = { text: clip(d.text), code: m.code, at: this.#now().toISOString() };
      if (d.amount !== undefined) s.display.amount = d.amount;
      if (d.currency !== undefined) s.display.currency = d.currency;
    });
  }

  setBacklog(backlog: { recovery?: number; outbox?: number }): void {
    const next = { ...this.#state.backlog, ...backlog };
    if (next.recovery === this.#state.backlog.recovery && next.outbox === this.#state.backlog.outbox) return;
    this.#change((s) => {
      s.backlog = next;
    });
  }

  setCommands(commands: readonly string[]): void {
    this.#change((s) => {
      s.commands = [...commands];
    });
  }

  /** The gateway stops (`closed`) or lost its broker (`connection-lost`, what the last will says). */
  setOffline(reason: string): void {
    this.#change((s) => {
      s.state = 'offline';
      s.reason = reason;
      delete s.command;
      delete s.display;
    });
  }

  setOnline(): void {
    if (this.#state.state !== 'offline') return;
    this.#change((s) => {
      s.state = 'online';
      delete s.reason;
    });
  }

  #rollDay(now: Date): void {
    const date = localDate(now);
    if (this.#state.today.date !== date) this.#state.today = { date, approved: 0, declined: 0, net: {} };
  }

  #change(edit: (s: TerminalStateSnapshot) => void): void {
    const now = this.#now();
    this.#rollDay(now);
    edit(this.#state);
    this.#state.at = now.toISOString();
    this.emit('change', this.snapshot());
  }
}

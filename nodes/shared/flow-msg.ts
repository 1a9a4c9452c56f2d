/**
 * What the card and dex handler nodes share about their msgs: the correlation property
 * `msg._jpay`, the deadline setting, and the node status after each question.
 */
import type { AnswerRef, SettledBy } from './callback-registry';
import type { StatusKind } from './status';

/** `msg._jpay` on a question msg; the answer brings it back (or loses it, node-red#714). */
export interface JpayCorrelation {
  id?: string;
  /** Id of the jpay-terminal config node. */
  terminal: string;
}

export const MIN_DEADLINE_MS = 50;
export const MAX_DEADLINE_MS = 60_000;

/** Where an answer msg belongs: its `_jpay.id`, else the node's own terminal. */
export function answerRef(msg: Record<string, unknown>, terminal: string): AnswerRef {
  const jpay = msg._jpay;
  if (typeof jpay !== 'object' || jpay === null) return { terminal };
  const { id, terminal: own } = jpay as Record<string, unknown>;
  return {
    ...(typeof id === 'string' && id !== '' ? { id } : {}),
    terminal: typeof own === 'string' && own !== '' ? own : terminal,
  };
}

/** The deadline from the edit dialog (ms), or the default when absent or out of range. */
export function deadlineMs(value: unknown, fallback: number): number {
  const n = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
  if (typeof n !== 'number' || !Number.isFinite(n)) return fallback;
  return Math.min(MAX_DEADLINE_MS, Math.max(MIN_DEADLINE_MS, Math.round(n)));
}

/**
 * The node's deadline, kept inside the client's handler deadline: past that the client
 * answers the default itself and the node could not report it as its own missed deadline.
 */
export function effectiveDeadline(nodeMs: number, clientHandlerMs: number | undefined): number {
  if (clientHandlerMs === undefined || !Number.isFinite(clientHandlerMs) || clientHandlerMs <= 2 * MIN_DEADLINE_MS) return nodeMs;
  return Math.min(nodeMs, clientHandlerMs - MIN_DEADLINE_MS);
}

export interface StatusView {
  kind: StatusKind;
  /** Message key under the node's `status` section. */
  key: string;
}

export const WAITING_STATUS: StatusView = { kind: 'busy', key: 'waiting' };

/** Status after a question settled; `answeredKey` says what the flow answered. */
export function settledStatus(by: SettledBy, answeredKey = 'answered'): StatusView {
  switch (by) {
    case 'flow':
      return { kind: 'ok', key: answeredKey };
    case 'deadline':
      return { kind: 'error', key: 'deadline' };
    case 'invalid':
      return { kind: 'error', key: 'invalid' };
    case 'aborted':
      return { kind: 'idle', key: 'aborted' };
    case 'closed':
      return { kind: 'idle', key: 'closed' };
  }
}

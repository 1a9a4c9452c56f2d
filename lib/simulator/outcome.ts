/**
 * What a transaction ends with, and where in the flow it happens. An outcome comes from the
 * control queue, a magic amount or the presented test card (in that order of precedence).
 */
import type { JpayStatusCode } from '../protocol/status';

export const DECLINE_REASONS = [
  'unabletogoonline',
  'offlinedeclined',
  'systemerror',
  'onlinedeclined',
  'cardprocessingerror',
] as const;
export type DeclineReason = (typeof DECLINE_REASONS)[number];

/** Cardholder verification the card performs on approval. */
export const CVMS = ['no', 'online', 'offline', 'cdcvm', 'signature'] as const;
export type Cvm = (typeof CVMS)[number];

/** Response-stage faults (see faults.ts), in the order they are looked for. */
export const RESPONSE_FAULTS = [
  'drop-before-record',
  'drop-after-record',
  'delay-response',
  'stall',
  'garbage-frame',
  'oversized-frame',
  'half-frame',
] as const;

/** Faults a single command can be given: the response-stage ones and two that strike inside it. */
export const FAULT_KINDS = [...RESPONSE_FAULTS, 'host-unreachable', 'card-removed'] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

export interface OutcomeSpec {
  /** A status other than ok ends the command with that status and no receipt. */
  status?: JpayStatusCode;
  /** Declined receipt (status ok, tstatus declined) with this reason. */
  declineReason?: DeclineReason;
  respCode?: string;
  respCodeDescription?: string;
  /** CVM on approval (overrides the card's). */
  cvm?: Cvm;
  /** Error-stack lines for a non-ok status (default: the status description). */
  errors?: string[];
  /** A fault for this command instead of (or on top of) the outcome. */
  fault?: FaultKind;
  /** Extra time the host takes to answer (ms), e.g. to exercise client timeouts. */
  hostDelayMs?: number;
  /** Display code shown before the final one (e.g. `0A` incorrect PIN). */
  display?: string;
}

export type StatusPhase = 'start' | 'card' | 'host';

/**
 * Where a non-ok status happens, and the display codes a terminal shows on the way to it:
 * `card` after the card is read (kernel/reader problems), `host` after D1 (connecting).
 * A status not listed here happens at `start`, before card detection (no card is read).
 */
export const STATUS_PATH: Readonly<Partial<Record<JpayStatusCode, { phase: StatusPhase; display: readonly string[] }>>> = {
  failed: { phase: 'host', display: ['0F'] },
  communicationerror: { phase: 'host', display: ['D2', 'D3'] },
  timeout: { phase: 'host', display: ['D3'] },
  emverror: { phase: 'card', display: ['0F'] },
  notdetected: { phase: 'card', display: ['0F'] },
  notallowedinterface: { phase: 'card', display: ['0C'] },
  cancelled: { phase: 'card', display: [] },
  tryagain: { phase: 'card', display: ['13'] },
  usechip: { phase: 'card', display: ['11'] },
  readererror: { phase: 'card', display: ['06'] },
  tryanotherinterface: { phase: 'card', display: ['18'] },
  pinpadmalfunctionornotprsent: { phase: 'card', display: ['09', '0F'] },
  pinentrybypassed: { phase: 'card', display: ['09', '1E'] },
};

/** A declined receipt's response code and text when the outcome gives none (the final display is 07, records.ts). */
export const DECLINE_DEFAULTS: Readonly<Record<DeclineReason, { respCode: string; description: string }>> = {
  onlinedeclined: { respCode: '051', description: 'Insufficient funds' },
  offlinedeclined: { respCode: 'Z1', description: 'Offline declined' },
  unabletogoonline: { respCode: 'Z3', description: 'Unable to go online, offline declined' },
  systemerror: { respCode: '096', description: 'System malfunction' },
  cardprocessingerror: { respCode: 'Z4', description: 'Card processing error' },
};

/** Decline reasons that are decided by the card/kernel without asking the host. */
export function isOfflineDecline(reason: DeclineReason): boolean {
  return reason === 'offlinedeclined' || reason === 'cardprocessingerror';
}

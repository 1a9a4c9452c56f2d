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
 * Where each non-ok status happens: `start` before card detection (no card is read),
 * `card` after the card is read (kernel/reader problems), `host` after D1 (connecting).
 */
export const STATUS_PHASE: Readonly<Record<Exclude<JpayStatusCode, 'ok'>, StatusPhase>> = {
  failed: 'host',
  communicationerror: 'host',
  notimplemented: 'start',
  formaterror: 'start',
  notauthorized: 'start',
  fileioerror: 'start',
  verificationfailed: 'start',
  missingdata: 'start',
  systemerror: 'start',
  timeout: 'host',
  invalidarguments: 'start',
  transactionnotfound: 'start',
  notreversible: 'start',
  alreadyreversed: 'start',
  notapproved: 'start',
  emverror: 'card',
  notdetected: 'card',
  notallowedinterface: 'card',
  cancelled: 'card',
  tryagain: 'card',
  usechip: 'card',
  batchuploadfailed: 'start',
  readerdisabled: 'start',
  preprocessingfailed: 'start',
  readernotavailable: 'start',
  readererror: 'card',
  tryanotherinterface: 'card',
  pinpadmalfunctionornotprsent: 'card',
  pinentrybypassed: 'card',
};

/** The display codes a terminal shows on the way to a non-ok status (after the card phase). */
export const STATUS_DISPLAY: Readonly<Partial<Record<JpayStatusCode, readonly string[]>>> = {
  communicationerror: ['D2', 'D3'],
  timeout: ['D3'],
  failed: ['0F'],
  emverror: ['0F'],
  notdetected: ['0F'],
  notallowedinterface: ['0C'],
  tryagain: ['13'],
  usechip: ['11'],
  readererror: ['06'],
  tryanotherinterface: ['18'],
  pinpadmalfunctionornotprsent: ['09', '0F'],
  pinentrybypassed: ['09', '1E'],
};

export interface DeclineDefaults {
  respCode: string;
  description: string;
  display: '07';
}

export const DECLINE_DEFAULTS: Readonly<Record<DeclineReason, DeclineDefaults>> = {
  onlinedeclined: { respCode: '051', description: 'Insufficient funds', display: '07' },
  offlinedeclined: { respCode: 'Z1', description: 'Offline declined', display: '07' },
  unabletogoonline: { respCode: 'Z3', description: 'Unable to go online, offline declined', display: '07' },
  systemerror: { respCode: '096', description: 'System malfunction', display: '07' },
  cardprocessingerror: { respCode: 'Z4', description: 'Card processing error', display: '07' },
};

/** Decline reasons that are decided by the card/kernel without asking the host. */
export function isOfflineDecline(reason: DeclineReason): boolean {
  return reason === 'offlinedeclined' || reason === 'cardprocessingerror';
}

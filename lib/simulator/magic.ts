/**
 * Magic amounts (like Adyen's and Handpoint's test amounts): any amount from 777.00 to
 * 777.99 (77 700 – 77 799 kopecks) picks the outcome by its kopecks. 00–29 are the
 * Appendix A statuses in the document's order (00 = ok: approved), 41–48 declines,
 * 60–63 approvals with a given CVM, 80–88 faults. Other amounts are ordinary.
 */
import { JPAY_STATUS_CODES } from '../protocol/status';
import type { FaultKind, OutcomeSpec } from './outcome';

export const MAGIC_BASE = 77_700;

export interface MagicAmount {
  amount: number;
  outcome: OutcomeSpec;
  description: string;
}

function entry(kopecks: number, outcome: OutcomeSpec, description: string): MagicAmount {
  return { amount: MAGIC_BASE + kopecks, outcome, description };
}

const STATUS_ENTRIES: MagicAmount[] = JPAY_STATUS_CODES.map((status, index) =>
  status === 'ok' ? entry(index, {}, 'approved') : entry(index, { status }, `status ${status}`),
);

const DECLINE_ENTRIES: MagicAmount[] = [
  entry(41, { declineReason: 'onlinedeclined' }, 'declined online, 051 insufficient funds'),
  entry(42, { declineReason: 'offlinedeclined' }, 'declined offline by the card, Z1'),
  entry(43, { declineReason: 'unabletogoonline' }, 'unable to go online, declined offline, Z3'),
  entry(44, { declineReason: 'systemerror' }, 'declined: system error, 096'),
  entry(45, { declineReason: 'cardprocessingerror' }, 'declined: card processing error, Z4'),
  entry(46, { declineReason: 'onlinedeclined', respCode: '054', respCodeDescription: 'Expired card' }, 'declined online, 054 expired card'),
  entry(
    47,
    { declineReason: 'onlinedeclined', respCode: '055', respCodeDescription: 'Incorrect PIN', cvm: 'online', display: '0A' },
    'declined online, 055 incorrect PIN (display 0A)',
  ),
  entry(
    48,
    { declineReason: 'onlinedeclined', respCode: '001', respCodeDescription: 'Refer to card issuer', display: '04' },
    'declined online, 001 refer to card issuer (display 04 call your bank)',
  ),
];

const CVM_ENTRIES: MagicAmount[] = [
  entry(60, { cvm: 'online' }, 'approved with online PIN'),
  entry(61, { cvm: 'offline' }, 'approved with offline PIN'),
  entry(62, { cvm: 'cdcvm' }, 'approved with CDCVM (phone)'),
  entry(63, { cvm: 'signature' }, 'approved with signature'),
];

const FAULTS: [number, FaultKind, string][] = [
  [80, 'drop-before-record', 'connection dropped before the transaction is recorded (not charged)'],
  [81, 'drop-after-record', 'connection dropped after the transaction is recorded (charged, approved)'],
  [82, 'delay-response', 'response delayed by timing.faultDelayMs'],
  [83, 'stall', 'response never sent (the connection stays open)'],
  [84, 'garbage-frame', 'a frame of non-XML bytes instead of the response'],
  [85, 'oversized-frame', 'a frame header declaring more than the frame limit'],
  [86, 'half-frame', 'half a response frame, then the connection closes'],
  [87, 'host-unreachable', 'bank host unreachable: D1 D2 D3, status communicationerror'],
  [88, 'card-removed', 'card removed during processing: status tryagain'],
];

const FAULT_ENTRIES: MagicAmount[] = FAULTS.map(([k, fault, description]) => entry(k, { fault }, description));

export const MAGIC_AMOUNTS: readonly MagicAmount[] = [...STATUS_ENTRIES, ...DECLINE_ENTRIES, ...CVM_ENTRIES, ...FAULT_ENTRIES];

const BY_AMOUNT: ReadonlyMap<number, MagicAmount> = new Map(MAGIC_AMOUNTS.map((m) => [m.amount, m]));

/** The outcome a magic amount selects, or undefined for an ordinary amount. */
export function magicOutcome(amount: number | undefined): OutcomeSpec | undefined {
  if (amount === undefined) return undefined;
  const found = BY_AMOUNT.get(amount);
  return found ? { ...found.outcome } : undefined;
}

/**
 * What the jpay-loyalty node reports: `msg.payload` for each card session (and for the
 * settlement of an earlier uncertain one), and the receipt the card session closes with when
 * the card completes the transaction. Amounts are integers: points, or minor units.
 */
import type { XmlElement } from '../../lib/codec/packet';
import type { CardRecord, LedgerEntry } from '../../lib/mifare/ledger';
import type { LedgerReport, LoyaltyOutcome, LoyaltyOutcomeStatus, LoyaltyState, TamperReason } from '../../lib/mifare/loyalty';
import { amountToWire } from '../../lib/protocol/values';
import type { LoyaltyOperationName } from './loyalty-input';
import type { TransactionInfo } from './loyalty-rules';

export type LoyaltyStatus = LoyaltyOutcomeStatus | 'settled' | 'unpaid' | 'compensated' | 'conflict';

/** The statuses that go to the node's second output (security alerts), not the first. */
export const ALERT_STATUSES: ReadonlySet<LoyaltyStatus> = new Set(['tampered', 'rollback', 'conflict']);
export type SettledResult = 'committed' | 'not-committed' | 'unknown';

/** The purses as the card holds them; `counter` counts committed operations mod 256 (layout version 1) or 65536 (version 2). */
export interface PurseState {
  points?: number;
  balance?: number;
  counter: number;
}

export interface LoyaltyPayload {
  /**
   * committed | not-committed (the card holds `before`) | uncertain (the card left during
   * the commit write: tap it again) | refused (a rule; nothing written) | rejected-card
   * (blank, foreign or corrupted; nothing written) | unreadable | settled (an earlier
   * uncertain card session, now decided: see `settled`) | unpaid (the transaction this committed
   * change belonged to ended without a payment: `owed` is taken back at the card's next
   * tap) | compensated (that was done now) | tampered (layout version 2: a MAC does not
   * verify — nothing written; see `tamper`) | rollback (the card holds an older state than
   * the ledger knows: a restored dump or a clone — nothing written, nothing credited; see
   * `ledger`) | conflict (two machines recorded different states for one counter of this
   * card: a clone; see `ledger`). The last three come out of the node's second output.
   */
  status: LoyaltyStatus;
  operation: LoyaltyOperationName;
  /** `input`: set by a msg to the node; `auto`: the node's automatic rule. */
  source: 'input' | 'auto';
  programId: number;
  memberId?: number;
  /** Layout version 2: the card's UID (upper-case hex), which every MAC and the ledger are bound to. */
  uid?: string;
  before?: PurseState;
  /** The state on the card now; absent while uncertain. */
  after?: PurseState;
  /** Uncertain: the state the operation aimed for (the next tap shows it or `before`). */
  intended?: PurseState;
  earned: number;
  redeemed: number;
  debited: number;
  credited: number;
  committed: boolean;
  uncertain: boolean;
  /** The card session closed with an approved receipt: the card completed the transaction. */
  paid: boolean;
  /** A torn earlier card session had left the backup copy behind; it is restored now. */
  repaired: boolean;
  /** The state was read back from the card after the writes. */
  verified: boolean;
  card: LoyaltyOutcome['card'];
  transaction?: TransactionInfo;
  error?: { code: string; message: string };
  /** For status `settled`: what the earlier uncertain card session turned out to be. */
  settled?: SettledResult;
  /**
   * unpaid: what the card owes back for this transaction, as signed changes to its purses
   * (earned points come back as negative `points`, a debit as positive `balance`).
   */
  owed?: PurseChange;
  /** compensated, when the card could not give all of it back (the points were spent since). */
  shortfall?: PurseChange;
  /** The outcome is that of taking back what an unpaid transaction had changed. */
  compensation?: boolean;
  /** tampered: bad-mac, unknown-key or conflicting-records (docs/loyalty-card.md). */
  tamper?: TamperReason;
  /**
   * With the shadow ledger: what it said of the card (`known`, `ahead`, `unknown`,
   * `rollback` with `reason`: older | forked | version-1, and the state it knows), and
   * whether this card session's result is `recorded` in it.
   */
  ledger?: LedgerReport;
  /** conflict: the two states recorded for one counter; every machine keeps `kept`. */
  conflict?: { kept: RecordedState; other: RecordedState };
}

/** A state as a machine recorded it in the ledger. */
export interface RecordedState extends PurseState {
  memberId: number;
  origin: string;
  at: string;
}

/** Signed changes to the purses. */
export interface PurseChange {
  points: number;
  balance: number;
}

export function purseState(state: LoyaltyState | undefined): PurseState | undefined {
  if (state === undefined) return undefined;
  const out: PurseState = { counter: state.counter };
  if (state.points !== undefined) out.points = state.points;
  if (state.balance !== undefined) out.balance = state.balance;
  return out;
}

export interface PayloadContext {
  operation: LoyaltyOperationName;
  source: 'input' | 'auto';
  programId: number;
  paid: boolean;
  transaction?: TransactionInfo;
}

export function outcomePayload(outcome: LoyaltyOutcome, ctx: PayloadContext): LoyaltyPayload {
  const payload: LoyaltyPayload = {
    status: outcome.status,
    operation: ctx.operation,
    source: ctx.source,
    programId: ctx.programId,
    earned: outcome.pointsEarned,
    redeemed: outcome.pointsRedeemed,
    debited: outcome.debited,
    credited: outcome.credited,
    committed: outcome.committed,
    uncertain: outcome.uncertain,
    paid: ctx.paid,
    repaired: outcome.repaired,
    verified: outcome.verified,
    card: outcome.card,
  };
  if (outcome.memberId !== undefined) payload.memberId = outcome.memberId;
  if (outcome.uid !== undefined) payload.uid = outcome.uid;
  if (outcome.tamper !== undefined) payload.tamper = outcome.tamper;
  if (outcome.ledger !== undefined) payload.ledger = { ...outcome.ledger, ...(outcome.ledger.known ? { known: { ...outcome.ledger.known } } : {}) };
  const before = purseState(outcome.before);
  const after = purseState(outcome.after);
  if (before) payload.before = before;
  if (after) payload.after = after;
  if (outcome.uncertain) {
    const intended = purseState(outcome.intended);
    if (intended) payload.intended = intended;
  }
  if (ctx.transaction) payload.transaction = { ...ctx.transaction };
  if (outcome.error) payload.error = { code: outcome.error.code, message: outcome.error.message };
  return payload;
}

/** Amounts an uncertain card session would have applied. */
export interface IntendedAmounts {
  earned: number;
  redeemed: number;
  debited: number;
  credited: number;
}

/**
 * The report for an earlier uncertain card session once the card came back: `after` is the
 * state found now; the amounts are the ones it applied (0 when it did not commit).
 */
export function settledPayload(earlier: LoyaltyPayload, amounts: IntendedAmounts, result: SettledResult, found: LoyaltyState): LoyaltyPayload {
  const committed = result === 'committed';
  const payload: LoyaltyPayload = {
    ...earlier,
    status: 'settled',
    settled: result,
    committed,
    uncertain: result === 'unknown',
    paid: false,
    repaired: false,
    verified: true,
    card: 'ok',
    earned: committed ? amounts.earned : 0,
    redeemed: committed ? amounts.redeemed : 0,
    debited: committed ? amounts.debited : 0,
    credited: committed ? amounts.credited : 0,
  };
  payload.after = purseState(found);
  delete payload.intended;
  delete payload.error;
  return payload;
}

function put(el: XmlElement, key: string, value: number | undefined): void {
  if (value !== undefined) el[key] = String(value);
}

/**
 * The receipt of a card session in which the card completed the transaction (PROTOCOL.md §5.2:
 * `status` approved makes it a closed-loop MIFARE payment). `loyalty` carries the result.
 */
export function loyaltyReceipt(payload: LoyaltyPayload): XmlElement {
  const loyalty: XmlElement = { program: String(payload.programId), operation: payload.operation };
  put(loyalty, 'member', payload.memberId);
  put(loyalty, 'counter', payload.after?.counter);
  put(loyalty, 'points-before', payload.before?.points);
  put(loyalty, 'points-after', payload.after?.points);
  put(loyalty, 'points-earned', payload.earned);
  put(loyalty, 'points-redeemed', payload.redeemed);
  put(loyalty, 'balance-before', payload.before?.balance);
  put(loyalty, 'balance-after', payload.after?.balance);
  put(loyalty, 'debited', payload.debited);
  put(loyalty, 'credited', payload.credited);
  const receipt: XmlElement = { status: 'approved' };
  if (payload.debited > 0) receipt['amount-authorized'] = amountToWire(payload.debited, 'debited');
  receipt.loyalty = loyalty;
  return receipt;
}

/**
 * The alert that two machines recorded different states for the same counter of one card
 * (a clone spent at both while they were apart). Nothing is written by it; the card that
 * presents the other state is refused as a rollback (forked).
 */
export function conflictPayload(programId: number, entry: LedgerEntry): LoyaltyPayload {
  const recorded = (r: CardRecord & { origin: string; at: string }): RecordedState => {
    const out: RecordedState = { memberId: r.memberId, counter: r.counter, origin: r.origin, at: r.at };
    if (r.points !== undefined) out.points = r.points;
    if (r.balance !== undefined) out.balance = r.balance;
    return out;
  };
  const kept = recorded(entry);
  const payload: LoyaltyPayload = {
    status: 'conflict',
    operation: 'inquiry',
    source: 'auto',
    programId,
    memberId: entry.memberId,
    uid: entry.uid,
    earned: 0,
    redeemed: 0,
    debited: 0,
    credited: 0,
    committed: false,
    uncertain: false,
    paid: false,
    repaired: false,
    verified: false,
    card: 'unread',
  };
  if (entry.conflict !== undefined) {
    const other = recorded(entry.conflict);
    payload.conflict = { kept, other };
    payload.error = { code: 'conflict', message: `${kept.origin} and ${other.origin} recorded different states for transaction ${entry.counter} of card ${entry.uid}: a clone` };
  }
  return payload;
}

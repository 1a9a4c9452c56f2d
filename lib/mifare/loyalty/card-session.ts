// The loyalty card session: what runs while the card is in the field: read →
// repair → operate → verify by re-reading (an operation's own backup write is the repair). The only I/O is through `io`, which the
// Node-RED node maps onto the terminal's `card` read/write messages (PROTOCOL.md §5.2)
// and the tests map onto a VirtualMifareCard. Never throws for a card or a rule problem:
// the outcome says what happened; only a bad layout (a programming error) throws.

import type { LedgerVerdict, RecordOptions } from '../ledger';
import { type CardRecord, cardRecordOf } from '../ledger/entry';
import { type DecodedCard, type LoyaltyState, type OkCard, type TamperReason, decodeCard, sameState } from './decode';
import { LoyaltyError } from './errors';
import { type LoyaltyLayout, planRead } from './layout';
import {
  type IssueRequest,
  type LoyaltyOperation,
  type LoyaltyPlan,
  type LoyaltyWrite,
  type NormalizedOperation,
  normalizeOperation,
  planIssue,
  planOperation,
  planRepair,
  requireOkCard,
} from './plan';

export type CardReadResult = { ok: true; data: Buffer } | { ok: false; reason: string };
export type CardWriteResult = { ok: true } | { ok: false; reason: string };

/** One block read or write on the card in the field. VirtualMifareCard fits as is. */
export interface LoyaltyCardIo {
  read(block: number): CardReadResult | Promise<CardReadResult>;
  write(block: number, data: Buffer): CardWriteResult | Promise<CardWriteResult>;
}

/** What the card session needs of a shadow ledger (ShadowLedger fits as is). */
export interface CardSessionLedger {
  readonly writable: boolean;
  judge(uid: string, seen: CardRecord, version: 1 | 2): LedgerVerdict;
  record(uid: string, state: CardRecord, options?: RecordOptions): Promise<void>;
  issueCounter(uid: string): number;
}

export interface CardSessionOptions {
  /** Blocks already read (e.g. the `open` message's payload), keyed by block number. */
  known?: ReadonlyMap<number, Buffer>;
  /**
   * Layout version 2: the shadow ledger. A card older than it knows is refused (`rollback`);
   * an unknown one as its policy says; a committed state is recorded in it.
   */
  ledger?: CardSessionLedger;
}

/** What the ledger said of the card, and whether the card session's result was recorded. */
export interface LedgerReport {
  status: LedgerVerdict['status'];
  /** rollback: older | forked | version-1; refused: unknown-card. */
  reason?: string;
  /** The state the ledger knows (rollback: the one the card should hold). */
  known?: CardRecord;
  /** The state the card session left on the card is in the ledger. */
  recorded: boolean;
  /** Recording it failed (the card is written; its next tap reads as ahead). */
  error?: string;
}

/**
 * committed     the card holds the new state (`after`);
 * not-committed the card holds the old state (`after` = `before`), e.g. the card left early;
 * uncertain     the card left during the commit write: the next open shows old or new;
 * refused       a rule refused the operation (overdraft…), nothing written;
 * rejected-card blank, foreign or corrupted card, nothing written;
 * unreadable    a read failed before anything was written;
 * tampered      (version 2) a MAC does not verify: forged, pasted, copied from another
 *               card, or slots of two dumps; nothing written;
 * rollback      (version 2, with a ledger) the card holds an older state than the ledger
 *               knows (a restored dump, a clone): nothing written, nothing credited.
 */
export type LoyaltyOutcomeStatus = 'committed' | 'not-committed' | 'uncertain' | 'refused' | 'rejected-card' | 'unreadable' | 'tampered' | 'rollback';

export interface LoyaltyOutcome {
  status: LoyaltyOutcomeStatus;
  committed: boolean;
  uncertain: boolean;
  card: DecodedCard['kind'] | 'unread';
  error?: LoyaltyError;
  memberId?: number;
  /** The committed state found on the card. */
  before?: LoyaltyState;
  /** The state on the card now; absent when uncertain. */
  after?: LoyaltyState;
  /** The state the operation would commit (to compare with the next open when uncertain). */
  intended?: LoyaltyState;
  /** Applied amounts: the requested ones when committed, else 0. */
  pointsEarned: number;
  pointsRedeemed: number;
  debited: number;
  credited: number;
  /** The card needed repair (a torn earlier session) and now holds two identical copies. */
  repaired: boolean;
  /** The state was read back from the card after the last write. */
  verified: boolean;
  /** Writes the card acknowledged. */
  writes: number;
  /** Layout version 2: the card's UID (upper-case hex). */
  uid?: string;
  /** With a ledger: its verdict and whether the result is recorded. */
  ledger?: LedgerReport;
  /** Status tampered: what gave it away. */
  tamper?: TamperReason;
}

type ReadAll = { ok: true; blocks: Map<number, Buffer> } | { ok: false; reason: string };

function reasonOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** One read or write on the card; an io that throws counts as a failed step. */
async function attempt<T extends CardReadResult | CardWriteResult>(step: () => T | Promise<T>): Promise<T | { ok: false; reason: string }> {
  try {
    return await step();
  } catch (err) {
    return { ok: false, reason: reasonOf(err) };
  }
}

async function readAll(io: LoyaltyCardIo, layout: LoyaltyLayout, known?: ReadonlyMap<number, Buffer>): Promise<ReadAll> {
  const blocks = new Map<number, Buffer>();
  for (const block of planRead(layout)) {
    const cached = known?.get(block);
    if (cached !== undefined) {
      blocks.set(block, Buffer.from(cached));
      continue;
    }
    const result = await attempt(() => io.read(block));
    if (!result.ok) return { ok: false, reason: `reading block ${block}: ${result.reason}` };
    blocks.set(block, Buffer.from(result.data));
  }
  return { ok: true, blocks };
}

async function writeAll(io: LoyaltyCardIo, writes: readonly LoyaltyWrite[]): Promise<{ done: number; failure?: string }> {
  for (let i = 0; i < writes.length; i++) {
    const { block, data } = writes[i];
    const result = await attempt(() => io.write(block, Buffer.from(data)));
    if (!result.ok) return { done: i, failure: `writing block ${block}: ${result.reason}` };
  }
  return { done: writes.length };
}

async function readState(io: LoyaltyCardIo, layout: LoyaltyLayout): Promise<DecodedCard | undefined> {
  const read = await readAll(io, layout);
  return read.ok ? decodeCard(layout, read.blocks) : undefined;
}

interface Execution {
  status: 'committed' | 'not-committed' | 'uncertain';
  verified: boolean;
  writes: number;
  error?: LoyaltyError;
}

/** Runs a plan, then reads back to confirm (or, after a failed commit write, to find out). */
async function execute(io: LoyaltyCardIo, layout: LoyaltyLayout, plan: LoyaltyPlan): Promise<Execution> {
  const { done, failure } = await writeAll(io, plan.writes);
  const removed = (detail: string): LoyaltyError => new LoyaltyError('card-removed', 'card', `${failure ?? ''}; ${detail}`);
  if (failure !== undefined) {
    if (done < plan.commitIndex) {
      return { status: 'not-committed', verified: false, writes: done, error: removed('nothing was committed') };
    }
    if (done > plan.commitIndex) {
      // Committed; the backup copy is incomplete and the next open restores it.
      return { status: 'committed', verified: false, writes: done };
    }
  }
  const card = await readState(io, layout);
  const found = card?.kind === 'ok' ? card.state : undefined;
  if (found !== undefined && sameState(found, plan.after)) {
    return { status: 'committed', verified: true, writes: done };
  }
  if (failure === undefined && card === undefined) {
    // Every write was acknowledged; only the read-back failed.
    return { status: 'committed', verified: false, writes: done };
  }
  // Issuance has no `before`: a blank or interrupted-issuance card means nothing committed.
  const unchanged = plan.before !== undefined
    ? found !== undefined && sameState(found, plan.before)
    : card?.kind === 'blank' || (card?.kind === 'corrupted' && card.reason === 'issuance-interrupted');
  if (unchanged) {
    const error = failure !== undefined
      ? removed('the card still holds the previous state')
      : new LoyaltyError('verify-mismatch', 'card', 'the card acknowledged the writes but still holds the previous state');
    return { status: 'not-committed', verified: true, writes: done, error };
  }
  const error = failure !== undefined
    ? removed('the commit write may or may not have landed; the next open settles it')
    : new LoyaltyError('verify-mismatch', 'card', `the card reads back as ${card?.kind ?? 'unreadable'}, not the state written`);
  return { status: 'uncertain', verified: false, writes: done, error };
}

/** An outcome with nothing applied (the fields a caller fills in come on top); `committed` and `uncertain` follow the status. */
export function emptyOutcome(status: LoyaltyOutcomeStatus, card: LoyaltyOutcome['card'], error?: LoyaltyError): LoyaltyOutcome {
  const outcome: LoyaltyOutcome = {
    status,
    committed: status === 'committed',
    uncertain: status === 'uncertain',
    card,
    pointsEarned: 0,
    pointsRedeemed: 0,
    debited: 0,
    credited: 0,
    repaired: false,
    verified: false,
    writes: 0,
  };
  if (error !== undefined) outcome.error = error;
  return outcome;
}

/** A card that is not `ok` (blank, foreign, corrupted, tampered): nothing is written. */
export function rejectedOutcome(decoded: DecodedCard, error: LoyaltyError): LoyaltyOutcome {
  const outcome = emptyOutcome(decoded.kind === 'tampered' ? 'tampered' : 'rejected-card', decoded.kind, error);
  if (decoded.uid !== undefined) outcome.uid = decoded.uid;
  if (decoded.kind === 'tampered') {
    outcome.memberId = decoded.header.memberId;
    outcome.tamper = decoded.reason;
  }
  return outcome;
}

function asLoyaltyError(err: unknown): LoyaltyError {
  if (err instanceof LoyaltyError) return err;
  throw err;
}

function ledgerUnavailable(): LoyaltyError {
  return new LoyaltyError('ledger-unavailable', 'ledger', 'the ledger cannot record anything (a failed write or sync): no card is written until it is reopened');
}

/**
 * The ledger on a card about to be operated (`op`): a refusal (rollback, unknown card, over
 * the limit, ledger unavailable) as an outcome with nothing written, or what to report.
 * A card without a UID (layout version 1) is not the ledger's.
 */
export function checkLedger(ledger: CardSessionLedger, card: OkCard, op: NormalizedOperation): { refusal?: LoyaltyOutcome; report?: LedgerReport } {
  if (card.uid === undefined) return {};
  if (!ledger.writable) return { refusal: emptyOutcome('refused', 'ok', ledgerUnavailable()) };
  const verdict = ledger.judge(card.uid, cardRecordOf(card.state), card.format.version);
  const report: LedgerReport = { status: verdict.status, recorded: false };
  const refuse = (status: LoyaltyOutcomeStatus, error: LoyaltyError): { refusal: LoyaltyOutcome } => ({ refusal: { ...emptyOutcome(status, 'ok', error), ledger: report } });
  if (verdict.status === 'rollback') {
    report.reason = verdict.reason;
    report.known = cardRecordOf(verdict.entry);
    const known = verdict.entry.counter;
    const what = verdict.reason === 'version-1' ? 'a version 1 state, from before its upgrade' : verdict.reason === 'forked' ? `another state for transaction ${known}` : `transaction ${card.state.counter}, older than ${known}`;
    return refuse('rollback', new LoyaltyError('rollback', 'card', `the card holds ${what} that the ledger knows; nothing was written`));
  }
  if (!verdict.accept) {
    report.reason = verdict.reason;
    return refuse('refused', new LoyaltyError('unknown-card', 'card', 'the ledger has never seen this card and the program refuses unknown cards'));
  }
  if (verdict.allowance !== undefined && op.debit - op.credit > verdict.allowance) {
    return refuse('refused', new LoyaltyError('unknown-card-limit', 'debit', `an unconfirmed card may spend ${verdict.allowance} more here (asked ${op.debit - op.credit})`));
  }
  return { report };
}

/** Records the card's new state; a failure is reported, never thrown (the card is written). */
async function recordInLedger(ledger: CardSessionLedger, uid: string, state: LoyaltyState, report: LedgerReport, options: RecordOptions): Promise<LedgerReport> {
  try {
    await ledger.record(uid, cardRecordOf(state), options);
    return { ...report, recorded: true };
  } catch (err) {
    return { ...report, recorded: false, error: reasonOf(err) };
  }
}

/** Read → repair → operate → verify, inside the card's time in the field. */
export async function runLoyaltyCardSession(
  io: LoyaltyCardIo,
  layout: LoyaltyLayout,
  operation: LoyaltyOperation,
  options: CardSessionOptions = {},
): Promise<LoyaltyOutcome> {
  let op: NormalizedOperation;
  try {
    op = normalizeOperation(layout, operation);
  } catch (err) {
    return emptyOutcome('refused', 'unread', asLoyaltyError(err));
  }

  const read = await readAll(io, layout, options.known);
  if (!read.ok) return emptyOutcome('unreadable', 'unread', new LoyaltyError('card-unreadable', 'card', read.reason));
  const decoded = decodeCard(layout, read.blocks);
  const uid = decoded.uid !== undefined ? { uid: decoded.uid } : {};
  let card: OkCard;
  try {
    card = requireOkCard(layout, decoded);
  } catch (err) {
    return rejectedOutcome(decoded, asLoyaltyError(err));
  }
  const before = card.state;
  const withState = (outcome: LoyaltyOutcome): LoyaltyOutcome => ({ ...outcome, ...uid, memberId: before.memberId, before });

  const { ledger } = options;
  let report: LedgerReport | undefined;
  if (ledger !== undefined) {
    const check = checkLedger(ledger, card, op);
    if (check.refusal !== undefined) return { ...withState(check.refusal), after: before };
    report = check.report;
  }
  const recorded = async (outcome: LoyaltyOutcome, state: LoyaltyState, recordOptions: RecordOptions): Promise<LoyaltyOutcome> => {
    if (ledger === undefined || report === undefined || card.uid === undefined) return outcome;
    return { ...outcome, ledger: await recordInLedger(ledger, card.uid, state, report, recordOptions) };
  };
  const withLedger = (outcome: LoyaltyOutcome): LoyaltyOutcome => (report !== undefined ? { ...outcome, ledger: report } : outcome);

  let plan: LoyaltyPlan;
  try {
    plan = planOperation(layout, card, op);
  } catch (err) {
    return withLedger({ ...withState(emptyOutcome('refused', 'ok', asLoyaltyError(err))), after: before });
  }

  if (plan.writes.length === 0) {
    // An inquiry: only restore the backup copy (or finish an upgrade) if needed.
    const repair = planRepair(layout, card);
    const result = await writeAll(io, repair);
    if (result.failure !== undefined) {
      const error = new LoyaltyError('card-removed', 'card', `${result.failure}; the repair stopped, the committed state is unchanged`);
      return withLedger({ ...withState(emptyOutcome('not-committed', 'ok', error)), after: before, intended: before, writes: result.done });
    }
    let verified = true;
    if (repair.length > 0) {
      const check = await readState(io, layout);
      verified = check?.kind === 'ok' && !check.needsRepair && !check.format.needsUpgrade && sameState(check.state, before);
    }
    const outcome: LoyaltyOutcome = {
      ...withState(emptyOutcome('committed', 'ok')),
      after: before,
      intended: before,
      repaired: repair.length > 0,
      verified,
      writes: result.done,
    };
    const seen = report !== undefined && report.status !== 'known';
    return seen || card.format.version === 1 ? recorded(outcome, before, {}) : withLedger(outcome);
  }

  // An operation needs no separate repair: it commits into the non-current slot and then
  // rewrites the other one, which leaves two identical copies whatever state it started in.
  const run = await execute(io, layout, plan);
  const outcome: LoyaltyOutcome = {
    ...withState(emptyOutcome(run.status, 'ok', run.error)),
    intended: plan.after,
    repaired: card.needsRepair && run.writes === plan.writes.length,
    verified: run.verified,
    writes: run.writes,
  };
  if (run.status === 'committed') {
    const committed: LoyaltyOutcome = {
      ...outcome,
      after: plan.after,
      pointsEarned: op.earnPoints,
      pointsRedeemed: op.redeemPoints,
      debited: op.debit,
      credited: op.credit,
    };
    return recorded(committed, plan.after, { spent: op.debit - op.credit });
  }
  if (run.status === 'not-committed') return withLedger({ ...outcome, after: before });
  return withLedger(outcome);
}

/** Issuance (format a blank card) as a card session: read, refuse anything not blank, write, verify. */
export async function runLoyaltyIssue(
  io: LoyaltyCardIo,
  layout: LoyaltyLayout,
  request: IssueRequest,
  options: CardSessionOptions = {},
): Promise<LoyaltyOutcome> {
  const read = await readAll(io, layout, options.known);
  if (!read.ok) return emptyOutcome('unreadable', 'unread', new LoyaltyError('card-unreadable', 'card', read.reason));
  const card = decodeCard(layout, read.blocks);
  const uid = card.uid !== undefined ? { uid: card.uid } : {};
  const { ledger } = options;
  const useLedger = ledger !== undefined && card.uid !== undefined;
  if (useLedger && !ledger.writable) return { ...emptyOutcome('refused', card.kind, ledgerUnavailable()), ...uid };
  let plan: LoyaltyPlan;
  try {
    const counter = useLedger && request.counter === undefined ? ledger.issueCounter(card.uid as string) : request.counter;
    plan = planIssue(layout, card, counter !== undefined ? { ...request, counter } : request);
  } catch (err) {
    const error = asLoyaltyError(err);
    return error.code === 'card-not-blank' ? rejectedOutcome(card, error) : { ...emptyOutcome('refused', card.kind, error), ...uid };
  }
  const run = await execute(io, layout, plan);
  const outcome: LoyaltyOutcome = {
    ...emptyOutcome(run.status, card.kind, run.error),
    ...uid,
    memberId: plan.after.memberId,
    intended: plan.after,
    verified: run.verified,
    writes: run.writes,
  };
  if (run.status === 'committed') {
    const committed = { ...outcome, after: plan.after, pointsEarned: plan.after.points ?? 0, credited: plan.after.balance ?? 0 };
    if (!useLedger) return committed;
    return { ...committed, ledger: await recordInLedger(ledger, card.uid as string, plan.after, { status: 'unknown', recorded: false }, { issued: true, owed: null }) };
  }
  return outcome;
}

/**
 * After an uncertain outcome, what the next open shows: 'committed' when the card holds the
 * intended state, 'not-committed' when it holds the state before, 'unknown' otherwise
 * (the card was used elsewhere meanwhile).
 */
export function settleUncertain(outcome: LoyaltyOutcome, card: DecodedCard): 'committed' | 'not-committed' | 'unknown' {
  if (card.kind !== 'ok' || outcome.intended === undefined) return 'unknown';
  if (sameState(card.state, outcome.intended)) return 'committed';
  if (outcome.before !== undefined && sameState(card.state, outcome.before)) return 'not-committed';
  return 'unknown';
}

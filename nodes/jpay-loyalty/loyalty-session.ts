/**
 * One loyalty card session, from `open` to `close`, on the card's io: read the layout's
 * blocks, refuse a blank/foreign/corrupted card without writing, settle an earlier
 * uncertain card session of the same card, take back what an unpaid transaction left on it
 * (loyalty-compensation.ts), decide the operation, run it (the driver repairs, writes,
 * verifies), and choose the closing request: an approved receipt when the card completed
 * the transaction, else a plain close — after which the terminal may go on to a bank card
 * or end the transaction `cancelled`: the change is conditional on the transaction's end
 * either way (`applied`).
 */
import {
  type CardSessionLedger,
  type LoyaltyCardIo,
  type LoyaltyOperation,
  type LoyaltyOutcome,
  type OkCard,
  LoyaltyError,
  checkLedger,
  decodeCard,
  emptyOutcome,
  normalizeOperation,
  planOperation,
  planRead,
  rejectedOutcome,
  requireOkCard,
  runLoyaltyCardSession,
  runLoyaltyIssue,
  settleUncertain,
} from '../../lib/mifare/loyalty';
import { type CardKey, cardKey, compensationOperation, isNothing, type OwedBook, type OwedEntry, reversalOf } from './loyalty-compensation';
import type { CardOpen, CloseRequest } from './loyalty-bridge';
import type { LoyaltyProgram } from './loyalty-config';
import type { LoyaltyOperationName, PendingOperation } from './loyalty-input';
import { type IntendedAmounts, type LoyaltyPayload, loyaltyReceipt, outcomePayload, settledPayload } from './loyalty-output';
import { type Decision, type TransactionInfo, decideOperation } from './loyalty-rules';

/** An uncertain card session waiting for its card to come back, by card key. */
export interface UncertainEntry<T = unknown> {
  outcome: LoyaltyOutcome;
  payload: LoyaltyPayload;
  amounts: IntendedAmounts;
  /** Whatever the caller attached (the node: the msg that set the operation). */
  origin?: T;
  /** Its transaction ended without a payment: if it turns out committed, it is owed back. */
  unpaid?: boolean;
  /** It was itself a taking back: if it turns out not committed, this is owed again. */
  restores?: OwedEntry<T>;
}

/** The change a card session committed (or may have: `uncertain`), which stands only if its transaction is paid. */
export interface AppliedChange<T = unknown> {
  card: CardKey;
  memberId: number;
  amounts: IntendedAmounts;
  payload: LoyaltyPayload;
  uncertain: boolean;
  outcome: LoyaltyOutcome;
  origin?: T;
}

export interface LoyaltyReport<T = unknown> {
  payload: LoyaltyPayload;
  origin?: T;
}

export interface SessionInput<T = unknown> {
  program: LoyaltyProgram;
  pending?: { operation: PendingOperation; origin?: T };
  transaction?: TransactionInfo;
  open?: CardOpen;
  /** Shared across card sessions; this one reads, settles and adds entries. */
  uncertain: Map<CardKey, UncertainEntry<T>>;
  /** Shared across card sessions: what cards owe back for unpaid transactions; this one takes it back. */
  owed?: OwedBook<T>;
  /**
   * Cards this same transaction already changed: a terminal that goes on detecting after a
   * `close` may find the card again, and it is then only read.
   */
  changedThisTransaction?: ReadonlySet<CardKey>;
  /** Layout version 2: the shadow ledger (rollback, unknown cards; every committed state recorded). */
  ledger?: CardSessionLedger;
}

export interface SessionResult<T = unknown> {
  close: CloseRequest;
  /** In order: the settlement of an earlier uncertain card session, then this card session's outcome. */
  reports: LoyaltyReport<T>[];
  /** The pending operation was used (false: it stays armed for the next card). */
  consumed: boolean;
  /** What this card session changed on the card, conditional on its transaction being paid. */
  applied?: AppliedChange<T>;
}

const CLOSE: CloseRequest = { code: 'close' };
/** A card this transaction already changed, found again: read (and repaired) only, whatever is armed. */
const READ_ONLY: Decision = { operation: 'inquiry', source: 'auto', change: {}, completes: false };
/** The statuses at which a pending operation has been used (tried on a card of ours): not for a tampered or rolled-back one. */
const USES_PENDING = new Set<LoyaltyOutcome['status']>(['committed', 'not-committed', 'uncertain', 'refused']);

type ReadBlocks = { ok: true; blocks: Map<number, Buffer> } | { ok: false; reason: string };

async function readBlocks(io: LoyaltyCardIo, program: LoyaltyProgram, open: CardOpen | undefined): Promise<ReadBlocks> {
  const blocks = new Map<number, Buffer>();
  for (const block of planRead(program.layout)) {
    if (open?.data !== undefined && open.blockId === block) {
      blocks.set(block, Buffer.from(open.data));
      continue;
    }
    let result;
    try {
      result = await io.read(block);
    } catch (err) {
      result = { ok: false as const, reason: err instanceof Error ? err.message : String(err) };
    }
    if (!result.ok) return { ok: false, reason: `reading block ${block}: ${result.reason}` };
    blocks.set(block, Buffer.from(result.data));
  }
  return { ok: true, blocks };
}

/** An outcome with nothing written. A LoyaltyRuleError stands in for a LoyaltyError: same `code` and message. */
function failedOutcome(status: 'unreadable' | 'refused', card: LoyaltyOutcome['card'], error: Error & { code: string }): LoyaltyOutcome {
  return emptyOutcome(status, card, error as LoyaltyError);
}

function intendedAmounts(c: LoyaltyOperation): IntendedAmounts {
  return { earned: c.earnPoints ?? 0, redeemed: c.redeemPoints ?? 0, debited: c.debit ?? 0, credited: c.credit ?? 0 };
}

/** What the outcome is reported as, and whether a commit completes the transaction. */
interface Meta {
  operation: LoyaltyOperationName;
  source: 'input' | 'auto';
  completes: boolean;
  change: LoyaltyOperation;
}

function finish<T>(input: SessionInput<T>, outcome: LoyaltyOutcome, meta: Meta, reports: LoyaltyReport<T>[]): SessionResult<T> {
  const paid = meta.completes && outcome.status === 'committed';
  const payload = outcomePayload(outcome, {
    operation: meta.operation,
    source: meta.source,
    programId: input.program.layout.programId,
    paid,
    transaction: input.transaction,
  });
  const origin = meta.source === 'input' ? input.pending?.origin : undefined;
  reports.push(origin !== undefined ? { payload, origin } : { payload });
  const key = outcome.memberId !== undefined ? cardKey(outcome.uid, outcome.memberId) : undefined;
  if (outcome.uncertain && key !== undefined) {
    input.uncertain.set(key, { outcome, payload, amounts: intendedAmounts(meta.change), origin });
  }
  const result: SessionResult<T> = {
    close: paid ? { code: 'close', receipt: loyaltyReceipt(payload) } : CLOSE,
    reports,
    consumed: meta.source === 'input' && USES_PENDING.has(outcome.status),
  };
  const amounts = outcome.committed ? appliedAmounts(outcome) : intendedAmounts(meta.change);
  if (meta.operation !== 'issue' && key !== undefined && outcome.memberId !== undefined && (outcome.committed || outcome.uncertain) && !isNothing(reversalOf(amounts))) {
    result.applied = { card: key, memberId: outcome.memberId, amounts, payload, uncertain: outcome.uncertain, outcome, ...(origin !== undefined ? { origin } : {}) };
  }
  return result;
}

function appliedAmounts(o: LoyaltyOutcome): IntendedAmounts {
  return { earned: o.pointsEarned, redeemed: o.pointsRedeemed, debited: o.debited, credited: o.credited };
}

/** Settles an earlier uncertain card session of this card, if there is one. */
async function settle<T>(input: SessionInput<T>, card: OkCard, reports: LoyaltyReport<T>[]): Promise<void> {
  const key = cardKey(card.uid, card.state.memberId);
  const entry = input.uncertain.get(key);
  if (entry === undefined) return;
  input.uncertain.delete(key);
  const result = settleUncertain(entry.outcome, card);
  const payload = settledPayload(entry.payload, entry.amounts, result, card.state);
  reports.push(entry.origin !== undefined ? { payload, origin: entry.origin } : { payload });
  if (input.owed === undefined) return;
  if (entry.unpaid && result === 'committed') {
    const owed: OwedEntry<T> = { change: reversalOf(entry.amounts), operation: entry.payload.operation };
    if (entry.payload.transaction) owed.transaction = entry.payload.transaction;
    if (entry.origin !== undefined) owed.origin = entry.origin;
    await input.owed.add(key, owed);
  }
  if (entry.restores) await input.owed.settle(key, result, entry.restores);
}

/** Whether the card session goes on after taking back what the card owed, and whether the card changed. */
type TakeBack = { goOn: true; changed: boolean } | { goOn: false };

/**
 * Takes back what the card owes for unpaid transactions: one verified write, reported as
 * `compensated` (with the shortfall when points were spent since). The book records the
 * take-back before it is written; if the card leaves first, it is still owed (or, when the
 * write may have landed, the next tap settles it).
 */
async function takeBack<T>(io: LoyaltyCardIo, input: SessionInput<T>, card: OkCard, blocks: Map<number, Buffer>, reports: LoyaltyReport<T>[]): Promise<TakeBack> {
  const key = cardKey(card.uid, card.state.memberId);
  const owed = input.owed?.get(key);
  if (input.owed === undefined || owed === undefined) return { goOn: true, changed: false };
  const { layout } = input.program;
  const { operation, shortfall } = compensationOperation(layout, card.state, owed.change);
  const intended = planOperation(layout, card, operation).after;
  await input.owed.begin(key, { before: card.state, intended });
  const outcome = await runLoyaltyCardSession(io, layout, operation, { known: blocks, ...(input.ledger ? { ledger: input.ledger } : {}) });
  const payload = outcomePayload(outcome, {
    operation: owed.operation,
    source: 'auto',
    programId: layout.programId,
    paid: false,
    transaction: owed.transaction,
  });
  payload.compensation = true;
  if (outcome.status === 'committed') {
    payload.status = 'compensated';
    if (!isNothing(shortfall)) payload.shortfall = shortfall;
  }
  reports.push(owed.origin !== undefined ? { payload, origin: owed.origin } : { payload });
  if (outcome.status === 'committed') {
    await input.owed.settle(key, 'committed', owed);
    return { goOn: true, changed: outcome.writes > 0 };
  }
  if (outcome.uncertain) {
    const entry: UncertainEntry<T> = { outcome, payload, amounts: intendedAmounts(operation), restores: owed };
    if (owed.origin !== undefined) entry.origin = owed.origin;
    input.uncertain.set(key, entry);
  } else {
    await input.owed.settle(key, 'not-committed', owed);
  }
  return { goOn: false };
}

/** Runs the card session. Never throws for a card or rule problem: the reports say what happened. */
export async function runLoyaltySession<T>(io: LoyaltyCardIo, input: SessionInput<T>): Promise<SessionResult<T>> {
  const { program } = input;
  const { layout } = program;
  const reports: LoyaltyReport<T>[] = [];
  const pending = input.pending?.operation;

  const source = pending !== undefined ? 'input' : 'auto';
  const unreadable = (reason: string): SessionResult<T> => {
    const error = new LoyaltyError('card-unreadable', 'card', reason);
    const operation = pending?.operation ?? 'inquiry';
    return finish(input, failedOutcome('unreadable', 'unread', error), { operation, source, completes: false, change: {} }, reports);
  };
  let read = await readBlocks(io, program, input.open);
  if (!read.ok) return unreadable(read.reason);
  let decoded = decodeCard(layout, read.blocks);
  const reject = (outcome: LoyaltyOutcome): SessionResult<T> => {
    const operation = pending?.operation ?? 'inquiry';
    return finish(input, outcome, { operation, source, completes: false, change: {} }, reports);
  };
  if (decoded.kind === 'ok' && decoded.state.programId === layout.programId) {
    // Before anything is settled or written: a card older than the ledger knows is not ours to trust.
    if (input.ledger !== undefined) {
      const { refusal } = checkLedger(input.ledger, decoded, normalizeOperation(layout, {}));
      if (refusal !== undefined) return reject({ ...refusal, uid: decoded.uid, memberId: decoded.state.memberId, before: decoded.state, after: decoded.state });
    }
    await settle(input, decoded, reports);
    const step = await takeBack(io, input, decoded, read.blocks, reports);
    if (!step.goOn) return { close: CLOSE, reports, consumed: false };
    if (step.changed) {
      read = await readBlocks(io, program, undefined);
      if (!read.ok) return unreadable(read.reason);
      decoded = decodeCard(layout, read.blocks);
    }
  }

  if (pending?.operation === 'issue') {
    const { memberId, points, balance } = pending;
    const outcome = await runLoyaltyIssue(io, layout, { memberId, points, balance }, { known: read.blocks, ...(input.ledger ? { ledger: input.ledger } : {}) });
    // An issuance that reached a blank card supersedes an uncertain earlier one of this card.
    if (outcome.status !== 'rejected-card' && outcome.status !== 'tampered') input.uncertain.delete(cardKey(outcome.uid, memberId));
    const change = { earnPoints: points ?? 0, credit: balance ?? 0 };
    return finish(input, outcome, { operation: 'issue', source: 'input', completes: true, change }, reports);
  }

  let card: OkCard;
  try {
    card = requireOkCard(layout, decoded);
  } catch (err) {
    return reject(rejectedOutcome(decoded, err as LoyaltyError));
  }

  const ledger = input.ledger ? { ledger: input.ledger } : {};
  const repeated = input.changedThisTransaction?.has(cardKey(card.uid, card.state.memberId)) === true;
  const decision = repeated ? READ_ONLY : decideOperation(program, card.state, pending, input.transaction);
  let outcome: LoyaltyOutcome;
  if (decision.refusal !== undefined) {
    outcome = { ...failedOutcome('refused', 'ok', decision.refusal), memberId: card.state.memberId, before: card.state, after: card.state };
  } else {
    outcome = await runLoyaltyCardSession(io, layout, decision.change, { known: read.blocks, ...ledger });
  }
  if (outcome.status === 'refused' && (card.needsRepair || card.format.needsUpgrade) && outcome.error?.code !== 'ledger-unavailable' && outcome.error?.code !== 'unknown-card') {
    // Nothing of the operation is written, but a torn earlier card session is still repaired.
    const repair = await runLoyaltyCardSession(io, layout, {}, { known: read.blocks, ...ledger });
    outcome = { ...outcome, repaired: repair.repaired, writes: repair.writes };
  }
  return finish(input, outcome, decision, reports);
}

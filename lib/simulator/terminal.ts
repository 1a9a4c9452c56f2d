/**
 * The simulated terminal's state: configuration, transaction log, admin session,
 * session key, test cards, control queues (outcomes, presented cards, SBP results),
 * faults, the virtual MIFARE card and the event journal.
 */
import { EventEmitter } from 'node:events';
import { timingSafeEqual } from 'node:crypto';
import type { VirtualMifareCard } from '../mifare/virtual-card';
import type { TerminalParameters } from '../protocol/types';
import { DEFAULT_CARD_ID, TEST_CARDS, TestCard, cardForManualPan, findCard } from './cards';
import type { Detector } from './detection';
import { FaultQueue } from './faults';
import { kcv, newKey } from './ids';
import type { TransactionLog } from './log';
import type { MifareCloseMode, ResolvedConfig, SbpOutcome, TestCardSpec } from './options';
import type { OutcomeSpec } from './outcome';
import type { SimulatorEvent } from './events';
import type { ResetSession } from './runreset';

const JOURNAL_LIMIT = 500;

export class Terminal extends EventEmitter<{ event: [SimulatorEvent] }> {
  readonly faults = new FaultQueue();
  readonly cards: TestCard[];
  // The control state below is set by resetControl() (from the constructor too).
  parameters!: TerminalParameters;
  token: string | undefined;
  sessionKey: Buffer | undefined;
  hostReachable!: boolean;
  autoPresent!: boolean;
  readonly outcomes: OutcomeSpec[] = [];
  readonly presentedCards: TestCard[] = [];
  readonly sbpOutcomes: SbpOutcome[] = [];
  nextCard: TestCard | undefined;
  mifare: VirtualMifareCard | undefined;
  /** What a MIFARE `close` without a receipt does (the scenario's, changeable at run time). */
  mifareCloseWithoutReceipt!: MifareCloseMode;
  hostKeys = new Map<string, Buffer>();
  masterKeys = { pin: newKey(), mac: newKey() };
  /** The command holding the terminal (transaction, settlement, clear, runreset). */
  busy: string | undefined;
  /** The detection in progress, if a transaction waits for a card / SBP payment. */
  detector: Detector | undefined;
  /** A runreset waiting for the activator. */
  pendingReset: ResetSession | undefined;
  private readonly journal: SimulatorEvent[] = [];
  private readonly initialSettlement: ResolvedConfig['settlement'];

  constructor(
    readonly config: ResolvedConfig,
    readonly log: TransactionLog,
  ) {
    super();
    this.cards = mergeCards(config.cards);
    this.initialSettlement = { ...config.settlement };
    this.resetControl();
  }

  now(): Date {
    return this.config.clock();
  }

  defaultCard(): TestCard {
    return findCard(this.cards, this.config.defaultCard) ?? (findCard(this.cards, DEFAULT_CARD_ID) as TestCard);
  }

  card(idOrPan: string): TestCard | undefined {
    return findCard(this.cards, idOrPan);
  }

  checkToken(candidate: string | undefined): boolean {
    if (this.token === undefined || candidate === undefined) return false;
    const a = Buffer.from(candidate.toUpperCase());
    const b = Buffer.from(this.token);
    return a.length === b.length && timingSafeEqual(a, b);
  }

  masterKcvs(): { pinKcv: string; macKcv: string } {
    return { pinKcv: kcv(this.masterKeys.pin), macKcv: kcv(this.masterKeys.mac) };
  }

  emitEvent(event: SimulatorEvent): void {
    this.journal.push(event);
    if (this.journal.length > JOURNAL_LIMIT) this.journal.splice(0, this.journal.length - JOURNAL_LIMIT);
    this.emit('event', event);
  }

  events(): SimulatorEvent[] {
    return this.journal.map((e) => ({ ...e }));
  }

  clearEvents(): void {
    this.journal.length = 0;
  }

  /** Presents a test card: to the waiting transaction now, else queued for the next one. */
  presentCard(card: TestCard): 'now' | 'queued' {
    return this.toDetector((d) => d.presentCard(card), () => this.presentedCards.push(card));
  }

  /** The SBP agent reports a result: to the waiting transaction now, else queued. */
  sbpResult(outcome: SbpOutcome): 'now' | 'queued' {
    return this.toDetector((d) => d.sbpResult(outcome), () => this.sbpOutcomes.push(outcome));
  }

  private toDetector(now: (detector: Detector) => void, queue: () => void): 'now' | 'queued' {
    if (!this.detector) {
      queue();
      return 'queued';
    }
    now(this.detector);
    return 'now';
  }

  /** Back to the state after a restart: the scenario's queues and faults, no admin session or key. */
  resetControl(): void {
    this.outcomes.length = 0;
    this.outcomes.push(...this.config.outcomes);
    this.presentedCards.length = 0;
    this.sbpOutcomes.length = 0;
    this.nextCard = undefined;
    this.faults.clear();
    for (const fault of this.config.faults) this.faults.add(fault);
    this.hostReachable = this.config.hostReachable;
    this.autoPresent = this.config.autoPresent;
    this.token = undefined;
    this.sessionKey = undefined;
    this.hostKeys.clear();
    this.mifare = undefined;
    this.mifareCloseWithoutReceipt = this.config.mifare.closeWithoutReceipt;
    this.parameters = { ...this.config.terminal.parameters };
    Object.assign(this.config.settlement, this.initialSettlement);
  }
}

function mergeCards(extra: readonly TestCardSpec[]): TestCard[] {
  const cards = TEST_CARDS.map((c) => ({ ...c }));
  for (const spec of extra) {
    const base = findCard(cards, spec.id) ?? cardForManualPan(spec.pan, spec.expiry ?? '3012', []);
    const card: TestCard = { ...base, description: 'scenario card', ...spec };
    if (spec.aid && !spec.rid) card.rid = spec.aid.slice(0, 10).toUpperCase();
    const index = cards.findIndex((c) => c.id === spec.id);
    if (index >= 0) cards[index] = card;
    else cards.push(card);
  }
  return cards;
}

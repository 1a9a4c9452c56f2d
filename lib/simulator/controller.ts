/**
 * Runtime control of the simulated terminal, shared by the programmatic handle and the
 * HTTP control API: present cards, queue outcomes, inject faults, the MIFARE card in
 * the field, the SBP agent, the log, a reset to the state of a fresh start.
 */
import { VirtualMifareCard } from '../mifare/virtual-card';
import { definedOnly } from '../objects';
import { JpayValidationError } from '../errors';
import type { TestCard } from './cards';
import type { SimulatorEvent } from './events';
import type { QueuedFault } from './faults';
import type { LogRecord } from './log';
import { MAGIC_AMOUNTS } from './magic';
import { seedRecords } from './records';
import { MIFARE_CLOSE_MODES, SBP_OUTCOMES, oneOf, type FaultSpec, type MifareCardConfig, type MifareCloseMode, type SbpOutcome, type SettlementConfig } from './options';
import type { OutcomeSpec } from './outcome';
import { validateFault, validateMifareCard, validateOutcome } from './scenario';
import type { Terminal } from './terminal';
import { DEFAULT_PASSWORD } from './options';

/** Hex (2048/8192 digits) or base64 of a 1k/4k image. */
export function decodeImage(text: string): Buffer {
  const compact = text.replace(/\s+/g, '');
  if (/^[0-9A-Fa-f]+$/.test(compact) && (compact.length === 2048 || compact.length === 8192)) return Buffer.from(compact, 'hex');
  const bytes = Buffer.from(compact, 'base64');
  if ((bytes.length === 1024 || bytes.length === 4096) && bytes.toString('base64').replace(/=+$/, '') === compact.replace(/=+$/, '')) {
    return bytes;
  }
  throw new JpayValidationError('image', 'must be 1024 or 4096 bytes as hex or base64');
}

export async function makeMifareCard(config: MifareCardConfig): Promise<VirtualMifareCard> {
  const options = definedOnly({ uid: config.uid, allowTrailerWrites: config.allowTrailerWrites, authBlock: config.authBlock });
  let card: VirtualMifareCard;
  if (config.imageFile !== undefined) card = await VirtualMifareCard.loadFrom(config.imageFile, options);
  else if (config.image !== undefined) card = VirtualMifareCard.fromImage(decodeImage(config.image), options);
  else card = new VirtualMifareCard(options);
  if (config.tearAfterWrites !== undefined) card.tearAfterWrites(config.tearAfterWrites, config.tearMode ?? 'before');
  return card;
}

export class Controller {
  constructor(private readonly t: Terminal) {}

  cards(): TestCard[] {
    return this.t.cards.map((c) => ({ ...c }));
  }

  magicAmounts(): typeof MAGIC_AMOUNTS {
    return MAGIC_AMOUNTS;
  }

  private card(idOrPan: string | undefined): TestCard {
    if (idOrPan === undefined) return this.t.defaultCard();
    const card = this.t.card(idOrPan);
    if (!card) throw new JpayValidationError('card', `is not a test card id or PAN (see GET /cards)`);
    return card;
  }

  /** Presents a test card now (a waiting transaction takes it) or queues it for the next one. */
  presentCard(idOrPan?: string): { presented: 'now' | 'queued'; card: string } {
    const card = this.card(idOrPan);
    return { presented: this.t.presentCard(card), card: card.id };
  }

  /** The card the auto-present timer uses for the next transaction. */
  setNextCard(idOrPan: string): void {
    this.t.nextCard = this.card(idOrPan);
  }

  setAutoPresent(enabled: boolean): void {
    this.t.autoPresent = enabled;
  }

  queueOutcome(spec: OutcomeSpec | OutcomeSpec[]): number {
    const specs = Array.isArray(spec) ? spec : [spec];
    specs.forEach((s, i) => validateOutcome(s, Array.isArray(spec) ? `outcomes[${i}]` : 'outcome'));
    this.t.outcomes.push(...specs.map((s) => ({ ...s })));
    return this.t.outcomes.length;
  }

  outcomes(): OutcomeSpec[] {
    return this.t.outcomes.map((o) => ({ ...o }));
  }

  clearOutcomes(): void {
    this.t.outcomes.length = 0;
  }

  injectFault(spec: FaultSpec): void {
    this.t.faults.add(validateFault(spec));
  }

  faults(): QueuedFault[] {
    return this.t.faults.list();
  }

  clearFaults(): void {
    this.t.faults.clear();
  }

  setHostReachable(reachable: boolean): void {
    this.t.hostReachable = reachable;
  }

  sbpResult(outcome: SbpOutcome): 'now' | 'queued' {
    return this.t.sbpResult(oneOf(SBP_OUTCOMES, outcome, 'outcome'));
  }

  setSettlement(config: SettlementConfig): void {
    Object.assign(this.t.config.settlement, config);
  }

  /** Lays a MIFARE card in the field (replacing any other). */
  async insertMifareCard(card: VirtualMifareCard | MifareCardConfig = {}): Promise<VirtualMifareCard> {
    const virtual = card instanceof VirtualMifareCard ? card : await makeMifareCard(validateMifareCard(card) as MifareCardConfig);
    this.t.mifare = virtual;
    return virtual;
  }

  /** What a MIFARE `close` without a receipt does from now on: continue detecting a bank card, or end (cancelled). */
  setMifareCloseWithoutReceipt(mode: MifareCloseMode): void {
    this.t.mifareCloseWithoutReceipt = oneOf(MIFARE_CLOSE_MODES, mode, 'mode');
  }

  /** Takes the MIFARE card away (it is no longer offered to transactions). */
  takeMifareCard(): VirtualMifareCard | undefined {
    const card = this.t.mifare;
    this.t.mifare = undefined;
    return card;
  }

  mifareCard(): VirtualMifareCard | undefined {
    return this.t.mifare;
  }

  /** The card in the field, its memory as hex (keys included). */
  mifareState(): { present: boolean; inField?: boolean; uid?: string; kind?: string; writeCount?: number; image?: string } {
    const card = this.t.mifare;
    if (!card) return { present: false };
    return {
      present: true,
      inField: card.inField,
      uid: card.uid,
      kind: card.kind,
      writeCount: card.writeCount,
      image: card.toImage().toString('hex').toUpperCase(),
    };
  }

  log(): LogRecord[] {
    return this.t.log.list();
  }

  /**
   * Adds `count` approved purchases to the log (1 to 100,000), e.g. for a full report of
   * thousands of transactions. Returns the number of records in the log.
   */
  async seedLog(count: number): Promise<number> {
    return seedRecords(this.t, count);
  }

  /** Empties the log without a cutover (a control action, not the `clear` command). */
  async clearLog(): Promise<void> {
    await this.t.log.empty();
  }

  events(): SimulatorEvent[] {
    return this.t.events();
  }

  state(): Record<string, unknown> {
    const t = this.t;
    return {
      busy: t.busy ?? null,
      waitingForCard: t.detector !== undefined,
      autoPresent: t.autoPresent,
      hostReachable: t.hostReachable,
      adminSession: t.token !== undefined,
      secureSession: t.sessionKey !== undefined,
      outcomesQueued: t.outcomes.length,
      cardsQueued: t.presentedCards.length,
      nextCard: t.nextCard?.id ?? null,
      faults: t.faults.list(),
      mifare: { present: t.mifare !== undefined, inField: t.mifare?.inField ?? false, closeWithoutReceipt: t.mifareCloseWithoutReceipt },
      sbp: { enabled: t.config.sbp.enabled, queued: t.sbpOutcomes.length },
      dex: { enabled: t.config.dex.enabled },
      log: { records: t.log.size, persistent: t.log.persistent, batch: t.log.batch },
      runresetWaiting: t.pendingReset !== undefined,
    };
  }

  /** Back to a fresh start: empty log, default password, no session, no queues, no faults. */
  async reset(): Promise<void> {
    this.t.resetControl();
    this.t.clearEvents();
    await this.t.log.reset(this.t.config.terminal.password ?? DEFAULT_PASSWORD);
    if (this.t.config.mifare.card) this.t.mifare = await makeMifareCard(this.t.config.mifare.card);
  }
}

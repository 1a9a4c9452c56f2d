/**
 * ShadowLedger: per card UID, the last state committed to the card (layout version 2), in
 * a durable log (lib/durable), so a card that presents an older state — a restored dump —
 * is refused as a rollback (docs/loyalty-card.md, "The shadow ledger"). It also keeps what
 * each card owes back for unpaid transactions. Optionally replicated over MQTT: every
 * machine publishes what it records, retained and MAC'd, and merges what the others
 * publish (rules.ts: the higher counter wins; two states for one counter are a conflict).
 *
 * Order of writes: the card first, then the ledger. A machine that stops in between leaves
 * the ledger one step behind the card, which then reads as "ahead" — accepted, never a
 * false rollback. Every change of an entry is one record (state and what is owed together).
 */
import { EventEmitter } from 'node:events';
import { hostname } from 'node:os';
import { DurableLog, type DurableFs } from '../../durable';
import { JpayValidationError } from '../../errors';
import type { LoyaltyKeyring } from '../loyalty/keys';
import { type CardRecord, type LedgerEntry, type OwedRecord, UID_PATTERN, cardRecordOf, decodeLedgerEntry } from './entry';
import { type JudgePolicy, type LedgerVerdict, type MergeResult, type RemoteRecord, type UnknownCardPolicy, UNKNOWN_CARD_POLICIES, judge, LEDGER_COUNTER_MODULO, merge } from './rules';
import type { LedgerTransport } from './transport';
import { decodeWire, encodeWire } from './wire';

export interface ShadowLedgerOptions {
  /** The log file (created with its folder). */
  file: string;
  programId: number;
  /** The program's keys: replicated records are MAC'd with them. */
  keys: LoyaltyKeyring;
  /** This machine's name in the records it makes (default: the host name). */
  origin?: string;
  unknownCards?: UnknownCardPolicy;
  /** Minor units an unknown card may spend under the `limit` policy. */
  unknownCardLimit?: number;
  /** Replication: the broker (absent: this machine only). */
  transport?: LedgerTransport;
  /** Topic prefix (default `jpay/ledger`): records go to `<prefix>/<program id>/<UID>`. */
  topicPrefix?: string;
  /** How often records the broker has not taken are published again (default 30 s). */
  retryMs?: number;
  warn?: (message: string) => void;
  fs?: DurableFs;
  now?: () => Date;
}

export interface RecordOptions {
  /** Net stored value the card session spent (debited − credited), for the limit policy. */
  spent?: number;
  /** The card was issued here: a state this machine vouches for, whatever came before. */
  issued?: boolean;
  /** What the card owes from now on (null: nothing); absent: unchanged. */
  owed?: OwedRecord | null;
}

const DEFAULT_PREFIX = 'jpay/ledger';
const DEFAULT_RETRY_MS = 30_000;

function checkPrefix(prefix: string): string {
  if (typeof prefix !== 'string' || prefix === '' || /[#+]/.test(prefix) || prefix.includes('\0') || prefix.startsWith('/') || prefix.endsWith('/')) {
    throw new JpayValidationError('topicPrefix', 'must be a topic without wildcards, nor a leading or trailing /');
  }
  return prefix;
}

/**
 * Events: `conflict` (entry) — two machines recorded different states for one counter, the
 * entry as it now stands; `received` (uid, action) — a record from the fleet was merged
 * (`take`, `keep`, `flag`) or `ignored`; `published` (uid) — the broker took our record.
 */
export interface ShadowLedgerEvents {
  conflict: [entry: LedgerEntry];
  received: [uid: string, action: MergeResult['action'] | 'ignored'];
  published: [uid: string];
}

export class ShadowLedger extends EventEmitter<ShadowLedgerEvents> {
  readonly programId: number;
  readonly origin: string;
  readonly policy: JudgePolicy;
  readonly topicPrefix: string;
  readonly #log: DurableLog<LedgerEntry>;
  readonly #keys: LoyaltyKeyring;
  readonly #now: () => Date;
  readonly #warn: (message: string) => void;
  readonly #transport: LedgerTransport | undefined;
  readonly #inFlight = new Set<string>();
  /** Cards whose record changed while their publish was in flight: published again after it. */
  readonly #again = new Set<string>();
  #idleWaiters: (() => void)[] = [];
  #chain: Promise<void> = Promise.resolve();
  #timer: NodeJS.Timeout | undefined;
  #offConnect: (() => void) | undefined;
  #closed = false;

  private constructor(log: DurableLog<LedgerEntry>, options: ShadowLedgerOptions, policy: JudgePolicy) {
    super();
    this.#log = log;
    this.programId = options.programId;
    this.origin = options.origin ?? hostname();
    this.policy = policy;
    this.topicPrefix = checkPrefix(options.topicPrefix ?? DEFAULT_PREFIX);
    this.#keys = options.keys;
    this.#now = options.now ?? (() => new Date());
    this.#warn = options.warn ?? (() => undefined);
    this.#transport = options.transport;
  }

  static async open(options: ShadowLedgerOptions): Promise<ShadowLedger> {
    const unknownCards = options.unknownCards ?? 'accept';
    if (!UNKNOWN_CARD_POLICIES.includes(unknownCards)) throw new JpayValidationError('unknownCards', `must be one of ${UNKNOWN_CARD_POLICIES.join(', ')}`);
    const limit = options.unknownCardLimit ?? 0;
    if (!Number.isInteger(limit) || limit < 0) throw new JpayValidationError('unknownCardLimit', 'must be a whole number of minor units, 0 or more');
    if (options.origin !== undefined && (typeof options.origin !== 'string' || options.origin.length === 0 || options.origin.length > 100)) {
      throw new JpayValidationError('origin', 'must be a name of 1 to 100 characters');
    }
    checkPrefix(options.topicPrefix ?? DEFAULT_PREFIX);
    const warn = options.warn ?? (() => undefined);
    const log = await DurableLog.open<LedgerEntry>(options.file, {
      fs: options.fs,
      decode: decodeLedgerEntry,
      // A damaged record loses one card's state: that card is then unknown (the policy
      // decides), and the fleet's retained record brings it back. The copy is kept aside.
      damaged: 'quarantine',
      warn: (error) => warn(`ledger ${options.file}: ${error.message}`),
    });
    if (log.report.damaged.length > 0) warn(`ledger ${options.file}: ${log.report.damaged.length} damaged record(s) set aside in ${log.report.quarantinePath ?? 'the quarantine file'}`);
    const ledger = new ShadowLedger(log, options, { unknownCards, unknownCardLimit: limit });
    ledger.#startReplication(options.retryMs ?? DEFAULT_RETRY_MS);
    return ledger;
  }

  get file(): string {
    return this.#log.file;
  }

  /** Cards known. */
  get size(): number {
    return this.#log.size;
  }

  /** False once the log refuses writes (a failed sync): card operations must stop. */
  get writable(): boolean {
    return !this.#closed && this.#log.broken === undefined;
  }

  #key(uid: string): string {
    return `${this.programId}:${uid}`;
  }

  get(uid: string): LedgerEntry | undefined {
    return this.#log.get(this.#key(uid));
  }

  *entries(): IterableIterator<LedgerEntry> {
    const prefix = `${this.programId}:`;
    for (const [key, entry] of this.#log.entries()) if (key.startsWith(prefix)) yield entry;
  }

  /** Is the state the card presents at least as new as what the ledger knows? */
  judge(uid: string, seen: CardRecord, version: 1 | 2): LedgerVerdict {
    return judge(this.get(uid), seen, version, this.policy);
  }

  /** The first counter of a card issued now: after any the ledger knows, so no older dump is ever newer. */
  issueCounter(uid: string): number {
    const entry = this.get(uid);
    return entry === undefined ? 0 : (entry.counter + 1) % LEDGER_COUNTER_MODULO;
  }

  /** Records the state now on the card (after a committed write, or one seen ahead). */
  record(uid: string, state: CardRecord, options: RecordOptions = {}): Promise<void> {
    return this.#serial(async () => {
      const old = this.get(uid);
      const entry: LedgerEntry = { ...cardRecordOf(state), uid: checkUid(uid), at: this.#now().toISOString(), origin: this.origin, published: false };
      const owed = options.owed === undefined ? old?.owed : options.owed ?? undefined;
      if (owed !== undefined) entry.owed = owed;
      const provisional = !options.issued && this.policy.unknownCards === 'limit' && (old === undefined || old.provisional !== undefined);
      if (provisional) entry.provisional = (old?.provisional ?? 0) + (options.spent ?? 0);
      await this.#log.put(this.#key(uid), entry);
      this.#publish(entry);
    });
  }

  /** Sets (or clears) what the card owes back, leaving its state as it is. */
  setOwed(uid: string, owed: OwedRecord | undefined): Promise<void> {
    return this.#serial(async () => {
      const old = this.get(uid);
      if (old === undefined) throw new JpayValidationError('uid', `the ledger has no card ${uid}`);
      const entry: LedgerEntry = { ...old };
      if (owed === undefined) delete entry.owed;
      else entry.owed = owed;
      await this.#log.put(this.#key(uid), entry);
    });
  }

  /** Resolves once no write is queued and no publish is in flight (a settled replication). */
  async idle(): Promise<void> {
    for (;;) {
      await this.#chain;
      if (this.#inFlight.size === 0) return;
      await new Promise<void>((resolve) => this.#idleWaiters.push(resolve));
    }
  }

  /** Stops replicating, waits for writes, closes the log. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#timer);
    this.#offConnect?.();
    this.#transport?.unsubscribe(this.#filter());
    await this.#chain.catch(() => undefined);
    await this.#log.close();
  }

  #serial<T>(work: () => Promise<T>): Promise<T> {
    if (this.#closed) return Promise.reject(new JpayValidationError('ledger', 'is closed'));
    const run = this.#chain.then(work);
    this.#chain = run.then(
      () => undefined,
      () => undefined,
    );
    return run;
  }

  // ---- Replication ----

  #filter(): string {
    return `${this.topicPrefix}/${this.programId}/+`;
  }

  #startReplication(retryMs: number): void {
    const transport = this.#transport;
    if (transport === undefined) return;
    transport.subscribe(this.#filter(), (topic, payload) => this.#received(topic, payload));
    this.#offConnect = transport.onConnect?.(() => this.#publishPending());
    this.#timer = setInterval(() => this.#publishPending(), retryMs);
    this.#timer.unref();
    this.#publishPending();
  }

  #publishPending(): void {
    if (this.#closed || !this.#transport?.connected) return;
    for (const entry of this.entries()) if (!entry.published) this.#publish(entry);
  }

  #publish(entry: LedgerEntry): void {
    const transport = this.#transport;
    if (transport === undefined || this.#closed || !transport.connected) return;
    if (this.#inFlight.has(entry.uid)) {
      this.#again.add(entry.uid);
      return;
    }
    const record: RemoteRecord = { ...cardRecordOf(entry), uid: entry.uid, origin: entry.origin, at: entry.at };
    this.#inFlight.add(entry.uid);
    transport
      .publish(`${this.topicPrefix}/${this.programId}/${entry.uid}`, encodeWire(this.programId, record, this.#keys))
      .then(
        () =>
          this.#serial(async () => {
            const now = this.get(entry.uid);
            // Only if nothing newer was recorded meanwhile; losing this flag costs a repetition.
            if (now !== undefined && now.at === entry.at && now.counter === entry.counter && !now.published) {
              await this.#log.put(this.#key(entry.uid), { ...now, published: true }, { sync: false });
            }
            this.emit('published', entry.uid);
          }),
        (error: Error) => this.#warn(`ledger: publishing card ${entry.uid} failed (${error.message}); it is sent again later`),
      )
      .catch((error: Error) => this.#warn(`ledger: ${error.message}`))
      .finally(() => {
        this.#inFlight.delete(entry.uid);
        const next = this.get(entry.uid);
        if (this.#again.delete(entry.uid) && next !== undefined) this.#publish(next);
        if (this.#inFlight.size === 0) for (const wake of this.#idleWaiters.splice(0)) wake();
      });
  }

  #received(topic: string, payload: Buffer): void {
    if (this.#closed) return;
    const uid = topic.slice(topic.lastIndexOf('/') + 1);
    if (payload.length === 0) return; // a cleared retained message
    const wire = decodeWire(payload, this.programId, uid, this.#keys);
    if (!wire.ok) {
      this.#warn(`ledger: a record on ${topic} was ignored: ${wire.reason}`);
      this.emit('received', uid, 'ignored');
      return;
    }
    this.merge(wire.record).catch((error: Error) => this.#warn(`ledger: merging the record of card ${uid} failed: ${error.message}`));
  }

  /** Merges a state another machine recorded (replication calls it; a back office may too). */
  merge(remote: RemoteRecord): Promise<MergeResult['action']> {
    return this.#serial(async () => {
      const uid = checkUid(remote.uid);
      const result = merge(this.get(uid), remote);
      if (result.action === 'keep') {
        if (result.republish) this.#publish(this.get(uid) as LedgerEntry);
      } else {
        await this.#log.put(this.#key(uid), result.entry);
        if (result.action === 'flag') this.#publish(result.entry);
        if (result.action === 'flag' || result.conflict) this.emit('conflict', result.entry);
      }
      this.emit('received', uid, result.action);
      return result.action;
    });
  }
}

function checkUid(uid: string): string {
  if (!UID_PATTERN.test(uid)) throw new JpayValidationError('uid', 'must be 8 or 14 upper-case hex digits');
  return uid;
}

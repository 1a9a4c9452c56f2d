/**
 * The payments a gateway was asked for, by request id, in a durable log (lib/durable): the
 * id is an idempotency key. A payment is recorded `in-progress` (written and fdatasync'd)
 * before anything is sent to the terminal, and `done` with its answer afterwards; a
 * repeated id gets the stored answer and never starts a second payment.
 *
 * A record still `in-progress` when the log is opened belonged to a gateway that stopped
 * (crash, power cut, redeploy) while the payment ran: it becomes `done` with the outcome
 * unknown — the card may have been charged — and is never started again.
 *
 * Damaged records make the open fail (policy 'refuse'): a lost record would let its id
 * start a second payment. A torn last write is cut off (its payment was never sent).
 * The log keeps at most `maxEntries` finished payments, none older than `retentionMs`.
 *
 * Record (key `t:<id>`): {"v":1,"id":"…","state":"in-progress"|"done","at":"…","fingerprint":"…","answer":{…}}
 */
import { createHash } from 'node:crypto';
import type { DurableFs } from '../durable/fs';
import { DurableLog, NewerRecordVersion } from '../durable/log';
import { makeAnswer, type GatewayAnswer } from './answer';

export const STORE_RECORD_VERSION = 1;

export interface StoredPayment {
  v: 1;
  id: string;
  state: 'in-progress' | 'done';
  /** When it was begun (in-progress) or finished (done). */
  at: string;
  /** Hash of the payment's arguments: the same id with other arguments is refused. */
  fingerprint: string;
  answer?: GatewayAnswer;
}

export interface TransactionStoreOptions {
  /** The terminal id written into the answers the store makes itself. */
  terminalId: string;
  /** Finished payments kept (default 5000). */
  maxEntries?: number;
  /** How long a finished payment is kept (default 7 days). */
  retentionMs?: number;
  fs?: DurableFs;
  now?: () => number;
  warn?: (error: Error) => void;
}

export const DEFAULT_STORE_LIMITS = { maxEntries: 5000, retentionMs: 7 * 24 * 3600 * 1000 };

const key = (id: string): string => `t:${id}`;

function decode(value: unknown, k: string): StoredPayment {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new Error('not a payment record');
  const v = value as Record<string, unknown>;
  if (typeof v.v === 'number' && v.v > STORE_RECORD_VERSION) throw new NewerRecordVersion(v.v);
  if (v.v !== 1 || typeof v.id !== 'string' || k !== key(v.id) || (v.state !== 'in-progress' && v.state !== 'done')) throw new Error('not a payment record');
  if (typeof v.at !== 'string' || typeof v.fingerprint !== 'string') throw new Error('not a payment record');
  if (v.state === 'done' && (typeof v.answer !== 'object' || v.answer === null)) throw new Error('a finished payment without its answer');
  return value as StoredPayment;
}

/** Canonical JSON (sorted keys) of the arguments, hashed. */
export function fingerprintOf(args: unknown): string {
  const canonical = (value: unknown): unknown => {
    if (Array.isArray(value)) return value.map(canonical);
    if (value !== null && typeof value === 'object') {
      return Object.fromEntries(
        Object.keys(value)
          .sort()
          .map((k) => [k, canonical((value as Record<string, unknown>)[k])]),
      );
    }
    return value;
  };
  return createHash('sha256').update(JSON.stringify(canonical(args))).digest('hex').slice(0, 32);
}

/** The answer a payment gets when the gateway stopped while it ran. */
export function restartedAnswer(id: string, terminalId: string, at: Date): GatewayAnswer {
  return makeAnswer({ id, command: 'transaction', terminalId, at }, 'outcome-unknown', {
    error: {
      code: 'gateway-restarted',
      message:
        'the gateway stopped while this payment was in progress: the card MAY have been charged. It is not started again; check the terminal report (report --full) and void it if needed',
    },
  });
}

export class TransactionStore {
  readonly file: string;
  /** Payments found in progress at open and marked outcome unknown. */
  readonly interrupted: number;
  readonly #log: DurableLog<StoredPayment>;
  readonly #maxEntries: number;
  readonly #retentionMs: number;
  readonly #now: () => number;
  readonly #warn: (error: Error) => void;

  private constructor(log: DurableLog<StoredPayment>, interrupted: number, options: TransactionStoreOptions) {
    this.file = log.file;
    this.#log = log;
    this.interrupted = interrupted;
    this.#maxEntries = options.maxEntries ?? DEFAULT_STORE_LIMITS.maxEntries;
    this.#retentionMs = options.retentionMs ?? DEFAULT_STORE_LIMITS.retentionMs;
    this.#now = options.now ?? Date.now;
    this.#warn = options.warn ?? (() => undefined);
  }

  /** Opens (creating) the store; payments left in progress become outcome unknown, durably, before it resolves. */
  static async open(file: string, options: TransactionStoreOptions): Promise<TransactionStore> {
    const log = await DurableLog.open<StoredPayment>(file, {
      fs: options.fs,
      decode,
      damaged: 'refuse',
      warn: (e) => options.warn?.(e),
    });
    try {
      const now = new Date((options.now ?? Date.now)());
      const left = [...log.entries()].filter(([, p]) => p.state === 'in-progress');
      if (left.length > 0) {
        await log.write(
          left.map(([k, p]) => log.encode(k, { ...p, state: 'done', at: now.toISOString(), answer: restartedAnswer(p.id, options.terminalId, now) })),
        );
      }
      const store = new TransactionStore(log, left.length, options);
      store.#prune();
      return store;
    } catch (error) {
      await log.close();
      throw error;
    }
  }

  get size(): number {
    return this.#log.size;
  }

  get(id: string): StoredPayment | undefined {
    return this.#log.get(key(id));
  }

  /** Records the payment as begun; resolves once that is on disk. Only then may it be sent. */
  async begin(id: string, fingerprint: string): Promise<void> {
    await this.#log.put(key(id), { v: 1, id, state: 'in-progress', at: new Date(this.#now()).toISOString(), fingerprint });
  }

  /** Records the payment's answer (synced: a lost `done` would turn an approved payment into an unknown one). */
  async finish(id: string, fingerprint: string, answer: GatewayAnswer): Promise<void> {
    await this.#log.put(key(id), { v: 1, id, state: 'done', at: new Date(this.#now()).toISOString(), fingerprint, answer });
    this.#prune();
  }

  close(): Promise<void> {
    return this.#log.close();
  }

  /** Forgets the oldest finished payments beyond the limits (no sync of its own: losing a removal only keeps one longer). */
  #prune(): void {
    const oldest = this.#now() - this.#retentionMs;
    let excess = this.#log.size - this.#maxEntries;
    const removals: string[] = [];
    for (const [k, p] of this.#log.entries()) {
      if (p.state !== 'done') continue;
      const old = Date.parse(p.at) < oldest;
      if (!old && excess <= 0) break;
      removals.push(k);
      excess--;
    }
    if (removals.length === 0) return;
    this.#log.write(removals.map((k) => this.#log.encode(k, undefined)), { sync: false }).catch((e: Error) => this.#warn(e));
  }
}

/**
 * ReceiptPublisher: receipts to MQTT through the durable outbox (outbox.ts).
 *
 * publishReceipt() resolves once the receipt is fsync'd in the journal — report the
 * transaction done only then. Receipts go out with QoS 1, in journal order, at most
 * `maxInFlight` at a time; a receipt is handed to MQTT as soon as its bytes are in the
 * journal (the sync and the broker round trip overlap) and leaves the outbox only when
 * the broker's PUBACK has arrived. After a restart every receipt without an ack is
 * published again (same bytes, same receiptId): consumers may see duplicates, never a gap.
 *
 * A backlog — what waits when the connection comes up — is replayed at most
 * `replayRate` receipts per second, so that a broker's per-subscriber queue
 * (Mosquitto's max_queued_messages) is not flooded for a subscriber that reconnects late.
 *
 * Memory and disk stay bounded by maxQueued / maxQueuedBytes: beyond them publishReceipt()
 * rejects with OutboxError('outbox-full') and the caller keeps the receipt.
 */
import { EventEmitter } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import mqtt from 'mqtt';
import { JpayError, JpayValidationError } from '../errors';
import type { GatewayTransport } from '../gateway/transport';
import type { Receipt } from '../protocol/types';
import { OutboxError } from './errors';
import type { StoredReceipt } from './journal-format';
import { buildReceiptMessage, type BuildOptions } from './message';
import { mqttClientOptions, ReceiptPublisherOptions, resolveOptions, ResolvedPublisherOptions } from './options';
import { LoadReport, Outbox } from './outbox';
import { RatePacer } from './pacer';
import { sanitizeObject } from './sanitize';
import { checkTerminalId, terminalTopics } from './topics';

const STATUSES = ['online', 'offline', 'busy'] as const;
export type TerminalStatus = (typeof STATUSES)[number];

export interface ReceiptProgress {
  receiptId: string;
  terminalId: string;
  /** Receipts still waiting for the broker's acknowledgement. */
  queued: number;
}

export type PublishReceiptExtra = Omit<BuildOptions, 'now'>;

export interface PublishReceiptResult {
  receiptId: string;
  queued: number;
  /** true when a receipt with this id was already waiting in the outbox (nothing added). */
  alreadyQueued: boolean;
}

export interface ReceiptPublisherEvents {
  connected: [];
  offline: [];
  queued: [ReceiptProgress];
  sent: [ReceiptProgress];
  /** Broker and journal trouble that does not lose receipts (auth refused, unreachable…). */
  warning: [Error];
}

export type PublisherState = 'connecting' | 'connected' | 'offline' | 'closed';

interface StatusEntry {
  state: TerminalStatus;
  detail?: string;
  at: string;
}

const EVENT_TYPE = /^[A-Za-z][A-Za-z0-9_.-]{0,63}$/;

function byN(a: StoredReceipt, b: StoredReceipt): number {
  return a.n - b.n;
}

/** The publisher's MQTT connection: its own MQTT.js client, or a transport its caller owns. */
interface Link {
  /** Resolves when sent (QoS 0) or acknowledged (QoS 1). */
  publish(topic: string, payload: string, qos: 0 | 1, retain: boolean): Promise<void>;
  /** Stops using the connection; `graceful` false lets the broker publish the will (own client only). */
  end(graceful: boolean): Promise<void>;
}

interface LinkEvents {
  connect(): void;
  offline(): void;
  error(error: Error): void;
}

/** A connection of the publisher's own, with the terminal's last will. */
function ownClient(url: string, options: ReturnType<typeof mqttClientOptions>, on: LinkEvents): Link {
  const client = mqtt.connect(url, options);
  client.on('connect', on.connect);
  client.on('close', on.offline);
  client.on('offline', on.offline);
  client.on('error', on.error);
  return {
    publish: (topic, payload, qos, retain) =>
      new Promise((resolve, reject) => client.publish(topic, payload, { qos, retain }, (error) => (error ? reject(error) : resolve()))),
    end: async (graceful) => {
      await new Promise<void>((resolve) => client.end(!graceful, {}, () => resolve()));
      client.removeAllListeners();
      client.on('error', () => undefined);
    },
  };
}

/** A connection someone else owns: followed, never connected or ended here. */
function borrowed(transport: GatewayTransport, on: LinkEvents): Link {
  const stop = transport.onConnection((up) => (up ? on.connect() : on.offline()));
  if (transport.connected) queueMicrotask(() => on.connect());
  return {
    publish: (topic, payload, qos, retain) =>
      transport.connected ? transport.publish({ topic, payload, qos, retain }) : Promise.reject(new JpayError('the MQTT connection is down')),
    end: async () => stop(),
  };
}

export class ReceiptPublisher extends EventEmitter<ReceiptPublisherEvents> {
  readonly prefix: string;
  readonly clientId: string;
  readonly journalPath: string;
  /** What opening the journal found (pending receipts, torn bytes, corrupt lines, backup). */
  readonly loadReport: LoadReport;
  readonly #outbox: Outbox;
  readonly #options: ResolvedPublisherOptions;
  readonly #link: Link;
  /** Stored and not yet acknowledged, by journal position. */
  readonly #unacked = new Map<number, StoredReceipt>();
  readonly #idsQueued = new Set<string>();
  #sendQueue: StoredReceipt[] = [];
  /** Handed to MQTT: settles once its PUBACK (or failure) is handled. */
  readonly #inFlight = new Map<number, Promise<void>>();
  #deferred: StoredReceipt[] = [];
  #retryTimer: NodeJS.Timeout | undefined;
  /** Written, not yet synced: a PUBACK for one of these waits for the sync (ackedEarly). */
  readonly #syncing = new Set<number>();
  readonly #ackedEarly = new Set<number>();
  readonly #pacer: RatePacer;
  /** A backlog is being replayed (paced) until the send queue runs empty. */
  #replaying = false;
  readonly #statuses = new Map<string, StatusEntry>();
  #state: PublisherState = 'connecting';
  #lastWarning = '';
  #closing: Promise<void> | undefined;

  private constructor(options: ReceiptPublisherOptions, resolved: ResolvedPublisherOptions, outbox: Outbox) {
    super();
    this.prefix = resolved.prefix;
    this.clientId = resolved.clientId;
    this.journalPath = outbox.path;
    this.loadReport = outbox.loadReport;
    this.#outbox = outbox;
    this.#options = resolved;
    this.#pacer = new RatePacer(resolved.replayRate, () => this.#pump());
    for (const record of outbox.pending()) this.#track(record);
    if (resolved.terminalId !== undefined) this.#statuses.set(resolved.terminalId, { state: 'online', at: new Date().toISOString() });
    const on: LinkEvents = { connect: () => this.#onConnect(), offline: () => this.#setState('offline'), error: (error) => this.#warn(error) };
    this.#link = options.transport ? borrowed(options.transport, on) : ownClient(resolved.url, mqttClientOptions(options, resolved), on);
  }

  /** Opens the outbox journal (replaying what it holds) and starts connecting. */
  static async create(options: ReceiptPublisherOptions): Promise<ReceiptPublisher> {
    const resolved = resolveOptions(options);
    let warn: (e: Error) => void = () => undefined;
    const outbox = await Outbox.open(options.journalPath, { ...resolved.limits, fs: options.fs }, (e) => warn(e));
    try {
      const publisher = new ReceiptPublisher(options, resolved, outbox);
      warn = (e) => publisher.#warn(e);
      return publisher;
    } catch (error) {
      await outbox.close();
      throw error;
    }
  }

  /** Receipts stored and not yet acknowledged by the broker (including those in flight). */
  get queued(): number {
    // Written but still syncing is not stored yet (it may be refused).
    return this.#unacked.size - this.#syncing.size;
  }

  get state(): PublisherState {
    return this.#state;
  }

  get connected(): boolean {
    return this.#state === 'connected';
  }

  /**
   * Stores the receipt durably, then publishes it (QoS 1) on `<prefix>/<terminalId>/receipt`.
   * Resolves once it is on disk; rejects with JpayValidationError (bad input, schema) or
   * OutboxError (outbox full, journal failure, closed) — then nothing was stored.
   */
  async publishReceipt(terminalId: string, receipt: Receipt, extra: PublishReceiptExtra = {}): Promise<PublishReceiptResult> {
    if (this.#closing) throw new OutboxError('closed', 'the receipt publisher is closed');
    const message = buildReceiptMessage(terminalId, receipt, { meta: extra.meta, receiptId: extra.receiptId });
    const payload = JSON.stringify(message);
    if (Buffer.byteLength(payload) > this.#options.maxPayloadBytes) {
      throw new JpayValidationError('receipt', `is larger than ${this.#options.maxPayloadBytes} bytes as JSON`);
    }
    if (this.#idsQueued.has(message.receiptId)) return { receiptId: message.receiptId, queued: this.queued, alreadyQueued: true };
    this.#idsQueued.add(message.receiptId);
    let written: StoredReceipt | undefined;
    let record: StoredReceipt;
    try {
      record = await this.#outbox.add(
        { receiptId: message.receiptId, terminalId, topic: terminalTopics(this.prefix, terminalId).receipt, payload },
        (stored) => {
          // In the file, not yet synced: send it now, the sync and the round trip overlap.
          written = stored;
          this.#syncing.add(stored.n);
          this.#track(stored);
          this.#pump();
        },
      );
    } catch (error) {
      if (written) this.#untrack(written);
      this.#idsQueued.delete(message.receiptId);
      throw error;
    }
    this.#syncing.delete(record.n);
    this.emit('queued', { receiptId: record.receiptId, terminalId, queued: this.queued });
    if (this.#ackedEarly.delete(record.n)) this.#acknowledged(record);
    return { receiptId: record.receiptId, queued: this.queued, alreadyQueued: false };
  }

  /**
   * Publishes a progress event (QoS 0) on `<prefix>/<terminalId>/event`. Events are not
   * stored: returns false (and drops it) while the broker is not connected.
   */
  publishEvent(terminalId: string, type: string, data?: Record<string, unknown>): boolean {
    const topic = terminalTopics(this.prefix, terminalId).event;
    if (typeof type !== 'string' || !EVENT_TYPE.test(type)) throw new JpayValidationError('type', 'must be a word of letters, digits, _ . - (max 64)');
    if (!this.connected || this.#closing) return false;
    const event: Record<string, unknown> = { type, at: new Date().toISOString() };
    if (data !== undefined) event.data = sanitizeObject(data);
    this.#link.publish(topic, JSON.stringify(event), 0, false).catch(() => undefined);
    return true;
  }

  /**
   * Sets the retained status of a terminal (`<prefix>/<terminalId>/status`, QoS 1). The
   * latest status of each terminal is published again after every reconnect.
   */
  setStatus(terminalId: string, state: TerminalStatus, detail?: string): void {
    checkTerminalId(terminalId);
    if (!STATUSES.includes(state)) throw new JpayValidationError('state', 'must be online, offline or busy');
    if (detail !== undefined && typeof detail !== 'string') throw new JpayValidationError('detail', 'must be a string');
    const entry: StatusEntry = { state, at: new Date().toISOString() };
    if (detail !== undefined && detail !== '') entry.detail = detail.slice(0, 200);
    this.#statuses.set(terminalId, entry);
    if (this.connected && !this.#closing) this.#publishStatus(terminalId, entry);
  }

  /**
   * Publishes `offline` for every terminal with a status (waiting up to closeTimeoutMs),
   * disconnects and closes the journal. Unacknowledged receipts stay in the journal.
   */
  close(): Promise<void> {
    this.#closing ??= this.#close();
    return this.#closing;
  }

  async #close(): Promise<void> {
    clearTimeout(this.#retryTimer);
    this.#pacer.stop();
    const { closeTimeoutMs } = this.#options;
    let graceful = false;
    if (this.connected) {
      const at = new Date().toISOString();
      const acks = [...this.#statuses.keys()].map((tid) => this.#publishStatus(tid, { state: 'offline', at }, 'closed'));
      const settled = await this.#within(closeTimeoutMs, Promise.all([...acks, Promise.all(this.#inFlight.values()).then(() => true)]));
      graceful = settled !== false && settled.every((ok) => ok);
    }
    // A graceful DISCONNECT drops the will; a forced close lets the broker publish it.
    await this.#within(closeTimeoutMs, this.#link.end(graceful));
    await this.#outbox.close();
    this.#setState('closed');
  }

  async #within<T>(ms: number, work: Promise<T>): Promise<T | false> {
    const timer = new AbortController();
    try {
      return await Promise.race([work, sleep(ms, false as const, { signal: timer.signal })]);
    } finally {
      timer.abort();
    }
  }

  #publishStatus(terminalId: string, entry: StatusEntry, reason?: string): Promise<boolean> {
    const payload: Record<string, unknown> = { state: entry.state, at: entry.at, clientId: this.clientId };
    if (entry.detail !== undefined) payload.detail = entry.detail;
    if (reason !== undefined) payload.reason = reason;
    return this.#link.publish(terminalTopics(this.prefix, terminalId).status, JSON.stringify(payload), 1, true).then(
      () => true,
      (error: Error) => {
        if (!this.#closing) this.#warn(error);
        return false;
      },
    );
  }

  #track(record: StoredReceipt): void {
    this.#unacked.set(record.n, record);
    this.#idsQueued.add(record.receiptId);
    const last = this.#sendQueue[this.#sendQueue.length - 1];
    this.#sendQueue.push(record);
    if (last !== undefined && last.n > record.n) this.#sendQueue.sort(byN);
  }

  /** Forgets a receipt whose add failed after it was written (the write was cut back). */
  #untrack(record: StoredReceipt): void {
    this.#syncing.delete(record.n);
    this.#ackedEarly.delete(record.n);
    this.#unacked.delete(record.n);
  }

  #pump(): void {
    while (this.connected && !this.#closing && this.#inFlight.size < this.#options.maxInFlight && this.#sendQueue.length > 0) {
      const record = this.#sendQueue[0];
      if (!this.#unacked.has(record.n) || this.#inFlight.has(record.n)) {
        this.#sendQueue.shift();
        continue;
      }
      if (this.#replaying && !this.#pacer.take()) return;
      this.#sendQueue.shift();
      this.#inFlight.set(
        record.n,
        this.#link.publish(record.topic, record.payload, 1, false).then(
          () => this.#onPuback(record, undefined),
          (error: Error) => this.#onPuback(record, error),
        ),
      );
    }
    if (this.#sendQueue.length === 0 && this.#deferred.length === 0) this.#replaying = false;
  }

  #onPuback(record: StoredReceipt, error: Error | undefined): void {
    this.#inFlight.delete(record.n);
    if (error) {
      if (this.#closing) return;
      // Refused or lost: try again after the next reconnect or retry period, never dropped.
      this.#warn(error);
      this.#deferred.push(record);
      this.#retryTimer ??= setTimeout(() => {
        this.#retryTimer = undefined;
        this.#requeueDeferred();
      }, this.#options.reconnectPeriodMs);
      return;
    }
    if (this.#syncing.has(record.n)) {
      // The broker has it before our sync finished: acknowledge once it is stored.
      this.#ackedEarly.add(record.n);
      this.#pump();
      return;
    }
    this.#acknowledged(record);
    this.#pump();
  }

  #acknowledged(record: StoredReceipt): void {
    if (!this.#unacked.delete(record.n)) return;
    this.#idsQueued.delete(record.receiptId);
    this.#outbox.ack(record.n).catch((e: Error) => this.#warn(e));
    this.emit('sent', { receiptId: record.receiptId, terminalId: record.terminalId, queued: this.queued });
  }

  #requeueDeferred(): void {
    if (this.#deferred.length === 0) return;
    this.#sendQueue = [...this.#deferred, ...this.#sendQueue].sort(byN);
    this.#deferred = [];
    this.#pump();
  }

  #onConnect(): void {
    if (this.#closing) return;
    this.#lastWarning = '';
    this.#setState('connected');
    for (const [tid, entry] of this.#statuses) void this.#publishStatus(tid, entry);
    clearTimeout(this.#retryTimer);
    this.#retryTimer = undefined;
    // What waits now is a backlog: replayed at the paced rate until the queue runs empty.
    this.#replaying = this.#sendQueue.length + this.#deferred.length > 0;
    this.#pacer.reset();
    this.#requeueDeferred();
    this.#pump();
  }

  #setState(state: PublisherState): void {
    if (this.#state === state || this.#state === 'closed') return;
    const was = this.#state;
    this.#state = state;
    if (state === 'connected') this.emit('connected');
    else if (state === 'offline' && was !== 'offline' && !this.#closing) this.emit('offline');
  }

  #warn(error: Error): void {
    // One warning per distinct problem per outage, not one per reconnect attempt.
    if (error.message === this.#lastWarning) return;
    this.#lastWarning = error.message;
    this.emit('warning', error);
  }
}

/** Opens the outbox journal and starts publishing. See ReceiptPublisherOptions. */
export function createReceiptPublisher(options: ReceiptPublisherOptions): Promise<ReceiptPublisher> {
  return ReceiptPublisher.create(options);
}

/**
 * The back office's side of the gateway protocol (docs/fleet.md): send a command to one
 * terminal, or to every terminal that published a state, and wait for the answers. Used
 * by `jpay --mqtt`; a program can use it too.
 *
 * Each request carries an `expires` (now + its timeout) so that a gateway never runs it
 * after the caller stopped waiting; with MQTT 5 it also carries the response topic, a
 * correlation id and a message expiry. Answers are taken from `<prefix>/+/res/+`.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import type { IClientPublishOptions, MqttClient } from 'mqtt';
import { JpayError, JpayValidationError } from '../errors';
import type { GatewayAnswer } from './answer';
import { checkBrokerUrl, clientOptions, connectOnce, isVersionRefusal, type MqttConnectionOptions } from './mqtt-client';
import { v5Properties } from './transport';
import { matches } from './mqtt-transport';
import type { TerminalStateSnapshot } from './terminal-state';
import { allStatesFilter, gatewayTopics, REQUEST_ID, terminalOfStateTopic } from './topics';
import { normalizePrefix } from '../publish/topics';

export interface RequesterOptions extends MqttConnectionOptions {
  /** Topic prefix (default `jpay`). */
  prefix?: string;
}

/** No answer in time. The request expires then: the gateway does not start it any later. */
export class GatewayTimeoutError extends JpayError {
  readonly terminalId: string;
  readonly command: string;
  readonly id: string;
  readonly timeoutMs: number;
  constructor(terminalId: string, command: string, id: string, timeoutMs: number) {
    super(`no answer from terminal ${terminalId} within ${timeoutMs / 1000} s (the request timeout): its gateway may be offline, or the terminal busy; the request (id ${id}) has expired and will not start later`);
    this.terminalId = terminalId;
    this.command = command;
    this.id = id;
    this.timeoutMs = timeoutMs;
  }
}

/** The broker could not be reached or refused the connection. */
export class BrokerConnectionError extends JpayError {}

function brokerError(url: string, error: unknown): BrokerConnectionError {
  const why = error instanceof Error ? error.message : String(error);
  return new BrokerConnectionError(`cannot connect to the broker ${url.replace(/\/\/[^@/]*@/, '//')}: ${why}`, { cause: error });
}

export interface RequestOptions {
  /** Default: a random UUID. For a payment, give your own to be able to ask again safely. */
  id?: string;
  /** How long to wait for the answer (default 30 s); also the request's expiry. */
  timeoutMs?: number;
}

export interface DiscoverOptions {
  /** Stop when no new state came for this long after the retained ones (default 300 ms). */
  quietMs?: number;
  /** Stop anyway after this long (default 5 s). */
  maxMs?: number;
}

interface Waiter {
  terminalId: string;
  id: string;
  resolve(answer: GatewayAnswer): void;
  reject(error: Error): void;
}

const DEFAULT_TIMEOUT_MS = 30_000;

export class GatewayRequester {
  readonly prefix: string;
  readonly version: 4 | 5;
  readonly #client: MqttClient;
  readonly #waiters = new Map<string, Waiter>();
  #answersSubscribed: Promise<void> | undefined;
  #closed = false;

  private constructor(client: MqttClient, version: 4 | 5, prefix: string) {
    this.#client = client;
    this.version = version;
    this.prefix = prefix;
    client.on('message', (topic, payload, packet) => this.#onMessage(topic, payload, packet));
  }

  /** Connects (MQTT 5, else 3.1.1 with `auto`); rejects with BrokerConnectionError. */
  static async connect(options: RequesterOptions): Promise<GatewayRequester> {
    const prefix = normalizePrefix(options.prefix);
    const url = checkBrokerUrl(options.url);
    const clientId = options.clientId?.trim() || `jpay-cli-${randomBytes(4).toString('hex')}`;
    const choice = options.protocolVersion ?? 'auto';
    const connection = { ...options, reconnectPeriodMs: 0 };
    try {
      return new GatewayRequester(await connectOnce(url, clientOptions(connection, choice === 4 ? 4 : 5, clientId)), choice === 4 ? 4 : 5, prefix);
    } catch (error) {
      if (choice !== 'auto' || !isVersionRefusal(error)) throw brokerError(url, error);
    }
    try {
      return new GatewayRequester(await connectOnce(url, clientOptions(connection, 4, clientId)), 4, prefix);
    } catch (error) {
      throw brokerError(url, error);
    }
  }

  /** Sends one command to one terminal and resolves with its answer; rejects with GatewayTimeoutError. */
  async request(terminalId: string, command: string, args: Record<string, unknown> = {}, options: RequestOptions = {}): Promise<GatewayAnswer> {
    if (this.#closed) throw new JpayError('the requester is closed');
    const topics = gatewayTopics(this.prefix, terminalId);
    const id = options.id ?? randomUUID();
    if (!REQUEST_ID.test(id)) throw new JpayValidationError('id', 'must be 1 to 64 letters, digits, ., _, : or -, starting with a letter or digit');
    if (!/^[a-z]{1,32}$/.test(command)) throw new JpayValidationError('command', 'must be a command name');
    const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    await this.#subscribeAnswers();
    const correlation = randomBytes(16);
    const key = this.version === 5 ? correlation.toString('hex') : `${terminalId}\u0000${id}`;
    const expires = new Date(Date.now() + timeoutMs).toISOString();
    let timer: NodeJS.Timeout | undefined;
    const answered = new Promise<GatewayAnswer>((resolve, reject) => {
      this.#waiters.set(key, { terminalId, id, resolve, reject });
      timer = setTimeout(() => {
        this.#waiters.delete(key);
        reject(new GatewayTimeoutError(terminalId, command, id, timeoutMs));
      }, timeoutMs);
    });
    const publish: IClientPublishOptions = { qos: 1, retain: false };
    if (this.version === 5) {
      publish.properties = {
        responseTopic: topics.response(id),
        correlationData: correlation,
        messageExpiryInterval: Math.max(1, Math.ceil(timeoutMs / 1000)),
        contentType: 'application/json',
      };
    }
    try {
      await this.#client.publishAsync(topics.command(command), JSON.stringify({ id, args, expires }), publish);
      return await answered;
    } catch (error) {
      this.#waiters.delete(key);
      throw error;
    } finally {
      clearTimeout(timer);
    }
  }

  /** The terminals whose gateways published a state (retained), by terminal id. */
  async discover(options: DiscoverOptions = {}): Promise<Map<string, TerminalStateSnapshot>> {
    const quietMs = options.quietMs ?? 300;
    const maxMs = options.maxMs ?? 5000;
    const filter = allStatesFilter(this.prefix);
    const found = new Map<string, TerminalStateSnapshot>();
    let lastAt = Date.now();
    const onMessage = (topic: string, payload: Buffer): void => {
      if (!matches(filter, topic)) return;
      const tid = terminalOfStateTopic(this.prefix, topic);
      if (tid === undefined) return;
      try {
        const state = JSON.parse(payload.toString('utf8')) as TerminalStateSnapshot;
        if (state && typeof state === 'object' && typeof state.state === 'string') found.set(tid, state);
        lastAt = Date.now();
      } catch {
        // Not a state: ignored.
      }
    };
    this.#client.on('message', onMessage);
    const started = Date.now();
    try {
      await this.#client.subscribeAsync(filter, { qos: 0 });
      // A second SUBACK comes after the retained messages the broker queued for the first.
      const barrier = `${this.prefix}/_discovery/${randomBytes(4).toString('hex')}`;
      await this.#client.subscribeAsync(barrier, { qos: 0 });
      await this.#client.unsubscribeAsync(barrier);
      lastAt = Math.max(lastAt, Date.now());
      while (Date.now() - lastAt < quietMs && Date.now() - started < maxMs) {
        await new Promise((resolve) => setTimeout(resolve, Math.min(quietMs, 50)));
      }
      await this.#client.unsubscribeAsync(filter);
    } finally {
      this.#client.off('message', onMessage);
    }
    return found;
  }

  /** Stops waiting (pending requests reject: they expire at the gateway on their own) and disconnects. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const waiter of this.#waiters.values()) waiter.reject(new JpayError('stopped waiting for the answer'));
    this.#waiters.clear();
    await this.#client.endAsync(false).catch(() => undefined);
  }

  #subscribeAnswers(): Promise<void> {
    this.#answersSubscribed ??= this.#client.subscribeAsync(`${this.prefix}/+/res/+`, { qos: 1 }).then(() => undefined);
    return this.#answersSubscribed;
  }

  #onMessage(topic: string, payload: Buffer, packet: unknown): void {
    if (!matches(`${this.prefix}/+/res/+`, topic)) return;
    let answer: GatewayAnswer;
    try {
      answer = JSON.parse(payload.toString('utf8')) as GatewayAnswer;
    } catch {
      return;
    }
    if (typeof answer !== 'object' || answer === null) return;
    let key: string;
    if (this.version === 5) {
      const correlation = v5Properties(packet).correlationData;
      if (!correlation) return;
      key = correlation.toString('hex');
    } else {
      key = `${topic.split('/').at(-3) ?? ''}\u0000${answer.id ?? ''}`;
    }
    const waiter = this.#waiters.get(key);
    if (!waiter) return;
    // The answer must come from the terminal asked: its gateway alone may write its res/ topics (docs/fleet.md, ACLs).
    const topics = gatewayTopics(this.prefix, waiter.terminalId);
    if (topic !== topics.response(waiter.id) && topic !== topics.invalidResponse) return;
    this.#waiters.delete(key);
    waiter.resolve(answer);
  }
}

/**
 * CommandGateway: answers the back office's requests for one terminal over MQTT
 * (docs/fleet.md). Transport-agnostic: it subscribes, publishes and never connects.
 *
 * Every request is checked before anything runs — size, JSON, id, expiry, no secrets,
 * the command enabled, its arguments by the protocol's rules — and a refusal changes
 * nothing. Accepted requests run one at a time, at most `maxPending` waiting, at most
 * `ratePerSecond` on average (beyond: refused `busy` / `rate-limited`; beyond the
 * refusal rate too: dropped and counted). A request id seen lately gets the same answer
 * (or `in-progress`) instead of a second run; for payments the ids are kept in a durable
 * store (transaction-store.ts), so a repeated id never charges twice, across restarts.
 */
import { EventEmitter } from 'node:events';
import type { JpayClient, TransactionOptions } from '../client/jpay-client';
import type { Language } from '../protocol/types';
import { answerForError, makeAnswer, refusal, type AnswerBase, type GatewayAnswer } from './answer';
import { checkArgs, DEFAULT_COMMANDS, GATEWAY_COMMANDS, isGatewayCommand, runCommand, type CommandArgs, type GatewayCommand } from './commands';
import { TokenBucket } from './rate-limit';
import { checkRequest, type GatewayRequest } from './request';
import { DEFAULT_STATE_INTERVAL_MS, StatePublisher, type HomeAssistantOptions } from './state-publisher';
import type { TerminalStateModel } from './terminal-state';
import { commandOfTopic, gatewayTopics, responseTopicProblem, type GatewayTopics } from './topics';
import { fingerprintOf, type TransactionStore } from './transaction-store';
import type { GatewayTransport, InboundMessage } from './transport';
import { JpayValidationError } from '../errors';

export interface GatewayLimits {
  /** Largest request parsed at all (default 16 KiB). */
  maxRequestBytes: number;
  /** Accepted requests waiting behind the running one (default 16); beyond: refused `busy`. */
  maxPending: number;
  /** Accepted requests per second on average (default 5), with bursts of `burst` (default 20). */
  ratePerSecond: number;
  burst: number;
  /** Answers that run nothing — refusals and repeated ids — per second (default 20); beyond, such requests are dropped unanswered and counted. */
  refusalsPerSecond: number;
  /** Answers of recent requests kept to answer a repeated id (default 1000; payments: the durable store). */
  recentAnswers: number;
}

export const DEFAULT_LIMITS: Readonly<GatewayLimits> = Object.freeze({
  maxRequestBytes: 16 * 1024,
  maxPending: 16,
  ratePerSecond: 5,
  burst: 20,
  refusalsPerSecond: 20,
  recentAnswers: 1000,
});

export interface CommandGatewayCoreOptions {
  transport: GatewayTransport;
  /** The terminal's client (shared with whatever else uses the terminal: its queue runs one command at a time). */
  client: JpayClient;
  /** The terminal's topic level. */
  terminalId: string;
  /** Topic prefix (default `jpay`). */
  prefix?: string;
  /** Commands answered (default getparameters and testconnection); `transaction` needs `store`. */
  commands?: readonly GatewayCommand[];
  /** The durable idempotency store of payments; required when `transaction` is enabled. */
  store?: TransactionStore;
  /** Awaited before each payment (e.g. outcome-unknown recovery's new-sale check); rejecting refuses it. */
  beforeTransaction?: () => Promise<void>;
  /** Extra options of each payment (annotations for a journal, per-call handlers). */
  transactionOptions?: (request: GatewayRequest) => TransactionOptions;
  language?: Language;
  limits?: Partial<GatewayLimits>;
  /** The state model to publish (the caller feeds it, e.g. attach(client)); absent = no state topic. */
  state?: TerminalStateModel;
  stateIntervalMs?: number;
  homeAssistant?: HomeAssistantOptions;
  /** The clock of expiries and rate limits (ms; tests freeze it). */
  now?: () => number;
}

export interface GatewayEvents {
  /** A request passed every check and waits for its turn (`pending` counts it). */
  accepted: [{ id: string; command: GatewayCommand }];
  /** Every answer published (refusals included). */
  answer: [GatewayAnswer];
  /** Trouble that loses nothing promised: a publish that failed, a store write that failed, a dropped flood. */
  warning: [Error];
}

interface Recent {
  fingerprint: string;
  answer?: GatewayAnswer;
}

interface Job {
  request: GatewayRequest;
  args: CommandArgs;
  fingerprint: string;
  reply: Reply;
}

interface Reply {
  topic: string;
  correlationData?: Buffer;
}

function checkCommands(commands: readonly GatewayCommand[], store: TransactionStore | undefined): GatewayCommand[] {
  for (const c of commands) if (!isGatewayCommand(c)) throw new JpayValidationError('commands', `${String(c)} is not one of ${GATEWAY_COMMANDS.join(', ')}`);
  if (commands.includes('transaction') && !store) throw new JpayValidationError('commands', 'transaction needs a transaction store (the idempotency journal)');
  return [...new Set(commands)];
}

export class CommandGateway extends EventEmitter<GatewayEvents> {
  readonly topics: GatewayTopics;
  readonly commands: readonly GatewayCommand[];
  readonly limits: GatewayLimits;
  readonly #transport: GatewayTransport;
  readonly #client: JpayClient;
  readonly #store: TransactionStore | undefined;
  readonly #options: CommandGatewayCoreOptions;
  readonly #now: () => number;
  readonly #accepted: TokenBucket;
  readonly #refusals: TokenBucket;
  readonly #recent = new Map<string, Recent>();
  readonly #queue: Job[] = [];
  readonly #state: StatePublisher | undefined;
  #running: Promise<void> | undefined;
  #closing: Promise<void> | undefined;
  #dropped = 0;
  #lastDropWarning = -Infinity;

  constructor(options: CommandGatewayCoreOptions) {
    super();
    this.topics = gatewayTopics(options.prefix, options.terminalId);
    this.commands = checkCommands(options.commands ?? DEFAULT_COMMANDS, options.store);
    this.limits = { ...DEFAULT_LIMITS, ...options.limits };
    this.#transport = options.transport;
    this.#client = options.client;
    this.#store = options.store;
    this.#options = options;
    this.#now = options.now ?? Date.now;
    this.#accepted = new TokenBucket(this.limits.ratePerSecond, this.limits.burst, this.#now);
    this.#refusals = new TokenBucket(this.limits.refusalsPerSecond, this.limits.refusalsPerSecond, this.#now);
    if (options.state) {
      options.state.setCommands(this.commands);
      this.#state = new StatePublisher(this.#transport, this.topics, options.state, {
        intervalMs: options.stateIntervalMs ?? DEFAULT_STATE_INTERVAL_MS,
        homeAssistant: options.homeAssistant,
        warn: (e) => this.#warn(e),
      });
    }
  }

  /** Requests dropped unanswered because refusals and repeated ids came faster than `refusalsPerSecond`. */
  get dropped(): number {
    return this.#dropped;
  }

  /** Accepted requests not yet answered (the running one included). */
  get pending(): number {
    return this.#queue.length + (this.#running ? 1 : 0);
  }

  start(): void {
    this.#transport.subscribe(this.topics.commands, (m) => this.#receive(m));
    this.#state?.start();
  }

  /**
   * Stops taking requests, refuses those still waiting (`closing`: never sent), publishes
   * the state `offline` — all before it first waits, so that an owner closing the
   * connection right after still sends them — then waits for the running request and the
   * broker's acknowledgement of the state (up to timeoutMs).
   */
  close(timeoutMs = 2000): Promise<void> {
    if (!this.#closing) {
      this.#transport.unsubscribe(this.topics.commands);
      for (const job of this.#queue.splice(0)) this.#publish(job.reply, refusal(this.#base(job.request), 'closing', 'the gateway is closing: the command was not sent'));
      const offline = this.#state?.stop(timeoutMs);
      const running = this.#running;
      this.#closing = (async () => {
        await running;
        await offline;
      })();
    }
    return this.#closing;
  }

  #base(request: { id: string | null; command?: string }): AnswerBase {
    const base: AnswerBase = { id: request.id, terminalId: this.topics.terminalId, at: new Date(this.#now()) };
    if (request.command !== undefined) base.command = request.command;
    return base;
  }

  #receive(m: InboundMessage): void {
    if (this.#closing) return;
    const command = commandOfTopic(this.topics, m.topic);
    if (command === undefined) return;
    const defaultReply = (id: string | null): Reply => {
      const reply: Reply = { topic: id === null ? this.topics.invalidResponse : this.topics.response(id) };
      if (m.correlationData) reply.correlationData = m.correlationData;
      return reply;
    };
    const checked = checkRequest(command, m.payload, this.#now(), this.limits.maxRequestBytes);
    const id = checked.ok ? checked.request.id : checked.id;
    let reply = defaultReply(id);
    if (m.responseTopic !== undefined) {
      const problem = responseTopicProblem(this.topics, m.responseTopic);
      if (problem) {
        this.#refuse(reply, refusal(this.#base({ id, command }), 'bad-request', problem, 'responseTopic'));
        return;
      }
      reply = { ...reply, topic: m.responseTopic };
    }
    if (!checked.ok) {
      this.#refuse(reply, refusal(this.#base({ id, command }), checked.error.code, checked.error.message, checked.error.field));
      return;
    }
    this.#accept(checked.request, reply);
  }

  #accept(request: GatewayRequest, reply: Reply): void {
    const base = this.#base(request);
    const { command } = request;
    if (!isGatewayCommand(command)) {
      this.#refuse(reply, refusal(base, 'unknown-command', `${command.slice(0, 64)} is not a gateway command (${GATEWAY_COMMANDS.join(', ')})`));
      return;
    }
    if (!this.commands.includes(command)) {
      this.#refuse(reply, refusal(base, 'disabled', `${command} is not enabled on this gateway`));
      return;
    }
    if (command === 'transaction' && request.expires === undefined) {
      this.#refuse(reply, refusal(base, 'bad-expires', 'is required for a transaction (a payment must not start late)', 'expires'));
      return;
    }
    const checked = checkArgs(command, request.args);
    if (!checked.ok) {
      this.#refuse(reply, refusal(base, checked.error.code, checked.error.message, checked.error.field));
      return;
    }
    const fingerprint = fingerprintOf({ command, args: request.args });
    const earlier = this.#earlier(request.id, command);
    if (earlier) {
      if (earlier.fingerprint !== fingerprint) {
        this.#refuse(reply, refusal(base, 'id-conflict', 'this id was used for another request: use a new id for a new request', 'id'));
        return;
      }
      // Nothing runs: limited like a refusal, not counted against the rate.
      this.#refuse(reply, { ...(earlier.answer ?? makeAnswer(base, 'in-progress')), duplicate: true });
      return;
    }
    if (this.#queue.length >= this.limits.maxPending) {
      this.#refuse(reply, refusal(base, 'busy', `${this.pending} requests are waiting for this terminal: try again later`));
      return;
    }
    if (!this.#accepted.take()) {
      this.#refuse(reply, refusal(base, 'rate-limited', `more than ${this.limits.ratePerSecond} requests per second: try again later`));
      return;
    }
    this.#remember(request.id, { fingerprint });
    this.#queue.push({ request, args: checked.args, fingerprint, reply });
    this.emit('accepted', { id: request.id, command });
    this.#pump();
  }

  /** An earlier request with this id: running or answered lately, or a payment in the store. */
  #earlier(id: string, command: GatewayCommand): Recent | undefined {
    const recent = this.#recent.get(id);
    if (recent) return recent;
    if (command !== 'transaction' || !this.#store) return undefined;
    const stored = this.#store.get(id);
    if (!stored) return undefined;
    return stored.answer ? { fingerprint: stored.fingerprint, answer: stored.answer } : { fingerprint: stored.fingerprint };
  }

  #remember(id: string, entry: Recent): void {
    this.#recent.delete(id);
    this.#recent.set(id, entry);
    if (this.#recent.size <= this.limits.recentAnswers) return;
    for (const [key, value] of this.#recent) {
      if (this.#recent.size <= this.limits.recentAnswers) break;
      if (value.answer) this.#recent.delete(key);
    }
  }

  #pump(): void {
    if (this.#running) return;
    const job = this.#queue.shift();
    if (!job) return;
    this.#running = this.#run(job).finally(() => {
      this.#running = undefined;
      this.#pump();
    });
  }

  async #run(job: Job): Promise<void> {
    const { request } = job;
    const base = this.#base(request);
    let answer: GatewayAnswer;
    if (request.expires !== undefined && request.expires.getTime() <= this.#now()) {
      // It waited here past its time: still nothing was sent.
      answer = refusal(base, 'expired', 'the request expired while it waited for the terminal: nothing was done', 'expires');
    } else if (job.args.command === 'transaction') {
      answer = await this.#pay(job, base);
    } else {
      answer = await this.#execute(job.args, base);
    }
    // A refusal changed nothing: the same id may be asked again.
    if (answer.outcome === 'refused') this.#recent.delete(request.id);
    else this.#remember(request.id, { fingerprint: job.fingerprint, answer });
    this.#publish(job.reply, answer);
  }

  async #execute(args: CommandArgs, base: AnswerBase, transaction?: TransactionOptions): Promise<GatewayAnswer> {
    const language = this.#options.language ?? 'en';
    try {
      const done = await runCommand(this.#client, args, transaction ? { language, transaction } : { language });
      return makeAnswer({ ...base, at: new Date(this.#now()) }, done.outcome, { status: done.status, result: done.result });
    } catch (error) {
      return answerForError({ ...base, at: new Date(this.#now()) }, error);
    }
  }

  async #pay(job: Job, base: AnswerBase): Promise<GatewayAnswer> {
    const store = this.#store as TransactionStore;
    const { request } = job;
    try {
      await this.#options.beforeTransaction?.();
    } catch (error) {
      // Nothing sent, nothing stored: the same id may be asked again once the check passes.
      return answerForError(base, error);
    }
    try {
      // On disk before a byte goes to the terminal: a crash from here on is an unknown outcome, never a second payment.
      await store.begin(request.id, job.fingerprint);
    } catch (error) {
      this.#warn(error as Error);
      return refusal(base, 'store-failed', `the payment could not be recorded, so it was not sent: ${(error as Error).message}`);
    }
    const answer = await this.#execute(job.args, base, this.#options.transactionOptions?.(request) ?? {});
    try {
      await store.finish(request.id, job.fingerprint, answer);
    } catch (error) {
      // The record stays in progress: after a restart this id answers "outcome unknown", never pays again.
      this.#warn(error as Error);
    }
    return answer;
  }

  /** Publishes an answer that ran nothing (a refusal, a stored answer), within `refusalsPerSecond`. */
  #refuse(reply: Reply, answer: GatewayAnswer): void {
    if (!this.#refusals.take()) {
      this.#dropped++;
      const now = this.#now();
      if (now - this.#lastDropWarning >= 60_000) {
        this.#lastDropWarning = now;
        this.#warn(new Error(`refused or repeated requests arrive faster than ${this.limits.refusalsPerSecond} per second: dropping them unanswered (${this.#dropped} so far)`));
      }
      return;
    }
    this.#publish(reply, answer);
  }

  #publish(reply: Reply, answer: GatewayAnswer): void {
    this.emit('answer', answer);
    const message = { topic: reply.topic, payload: JSON.stringify(answer), qos: 1 as const, retain: false, contentType: 'application/json' };
    this.#transport.publish(reply.correlationData ? { ...message, correlationData: reply.correlationData } : message).catch((error: Error) => this.#warn(error));
  }

  #warn(error: Error): void {
    if (this.listenerCount('warning') > 0) this.emit('warning', error);
  }
}

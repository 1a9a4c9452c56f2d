/**
 * The state behind a jpay-terminal config node: its shared client, the card/dex handler
 * registrations, and the state broadcast to its user nodes. No Node-RED imports: the node
 * file gives it the client options and a warn function.
 */
import { JpayClient, transactionEndOf, type JpayClientOptions, type TransactionEnd } from '../../lib/client';
import type { MessageHandlers } from '../../lib/client/message-dispatch';
import type { TransactionRecovery } from '../../lib/recovery/transaction-recovery';
import type { CardMessage, CardRequest, DexMessage, EmvTagValue, Language } from '../../lib/protocol/types';
import type {
  ActiveTransaction,
  CardHandler,
  DexHandler,
  HandlerContext,
  HandlerScope,
  JpayTerminalApi,
  TerminalInfo,
  TerminalState,
  TerminalUser,
} from './terminal-api';

export interface TerminalControllerOptions {
  info: TerminalInfo;
  /** The client is made here, with this controller's card/dex handlers as its client-wide ones. */
  client: Omit<JpayClientOptions, 'handlers' | 'transactionHooks' | 'receiptWatermarks'>;
  /** Outcome-unknown recovery (journal, new-sale guard); absent = off. */
  recovery?: TransactionRecovery;
  /** Logs an outcome nobody received (recovery off): see JpayTerminalApi.reportLost. */
  reportLost(nodeId: string, description: string): void;
  language: Language | 'auto';
  handlerTimeoutMs: number;
  /** Reports a problem the user should see (several handler nodes on one terminal…). */
  warn(key: 'several-card-handlers' | 'several-dex-handlers' | 'handler-failed', detail?: Record<string, string>): void;
}

export class TerminalController implements JpayTerminalApi {
  readonly id: string;
  readonly info: TerminalInfo;
  readonly client: JpayClient;
  readonly language: Language | 'auto';
  readonly handlerTimeoutMs: number;
  readonly recovery: TransactionRecovery | undefined;
  readonly reportLost: TerminalControllerOptions['reportLost'];
  readonly #warn: TerminalControllerOptions['warn'];
  readonly #card = new Map<string, Scoped<CardHandler>>();
  readonly #dex = new Map<string, Scoped<DexHandler>>();
  readonly #users = new Map<string, TerminalUser>();
  readonly #whenNoUsers: (() => void)[] = [];
  #state: TerminalState = { state: 'idle' };
  #closed = false;
  /** The end of the running command, for the handlers asked during it (made on the first question). */
  #commandEnd: { promise: Promise<TransactionEnd>; resolve(end: TransactionEnd): void } | undefined;

  constructor(options: TerminalControllerOptions) {
    this.info = options.info;
    this.id = options.info.id;
    // Throws JpayValidationError (naming the field, never quoting a secret) on bad options.
    this.recovery = options.recovery;
    this.reportLost = options.reportLost;
    this.client = new JpayClient({
      ...options.client,
      handlers: this.#handlers(undefined),
      ...(this.recovery ? this.recovery.clientOptions : {}),
    });
    this.language = options.language;
    this.handlerTimeoutMs = options.handlerTimeoutMs;
    this.#warn = options.warn;
    this.client.on('command-start', (e) => this.#setState({ state: 'busy', command: e.command }));
    this.client.on('command-end', (e) => {
      this.#endCommand(transactionEndOf(e));
      this.#setState(e.error?.startsWith('JpayConnectionError') ? { state: 'unreachable', error: e.error } : { state: 'idle' });
    });
  }

  get closed(): boolean {
    return this.#closed;
  }

  get state(): TerminalState {
    return this.#state;
  }

  transactionHandlers(active: ActiveTransaction): Pick<MessageHandlers, 'card' | 'dex'> {
    return this.#handlers(active);
  }

  registerCardHandler(nodeId: string, handler: CardHandler, scope?: HandlerScope): void {
    this.#register(this.#card, nodeId, handler, scope, 'several-card-handlers');
  }

  deregisterCardHandler(nodeId: string): void {
    this.#card.delete(nodeId);
  }

  registerDexHandler(nodeId: string, handler: DexHandler, scope?: HandlerScope): void {
    this.#register(this.#dex, nodeId, handler, scope, 'several-dex-handlers');
  }

  /** A handler for its scope (the terminal, or one flow); more than one in a scope is warned about. */
  #register<H>(registry: Map<string, Scoped<H>>, nodeId: string, handler: H, scope: HandlerScope | undefined, warning: 'several-card-handlers' | 'several-dex-handlers'): void {
    registry.set(nodeId, { handler, flow: scope?.flow });
    const rivals = [...registry.values()].filter((s) => s.flow === scope?.flow).length;
    if (rivals > 1) this.#warn(warning, { count: String(rivals) });
  }

  deregisterDexHandler(nodeId: string): void {
    this.#dex.delete(nodeId);
  }

  registerUser(user: TerminalUser): void {
    this.#users.set(user.id, user);
    user.onTerminalState?.(this.#state);
  }

  deregisterUser(user: TerminalUser, done?: () => void): void {
    this.#users.delete(user.id);
    if (this.#users.size === 0) for (const resolve of this.#whenNoUsers.splice(0)) resolve();
    done?.();
  }

  get userCount(): number {
    return this.#users.size;
  }

  /**
   * Closes on redeploy/stop. User nodes close at the same time and abort their work (a
   * running transaction is cancelled at its next keep-alive); their results are awaited
   * for up to `graceMs` before the client is closed, which abandons whatever still runs.
   */
  async close(graceMs: number): Promise<void> {
    if (this.#users.size > 0) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        new Promise<void>((resolve) => this.#whenNoUsers.push(resolve)),
        new Promise<void>((resolve) => (timer = setTimeout(resolve, graceMs))),
      ]);
      clearTimeout(timer);
    }
    this.markClosed();
    this.recovery?.abort();
    await this.client.close();
    // After the client: the journal takes the last answers first.
    await this.recovery?.close();
  }

  /** Marks the controller closed and tells the users. */
  markClosed(): void {
    if (this.#closed) return;
    this.#setState({ state: 'closed' });
    this.#closed = true;
    this.#card.clear();
    this.#dex.clear();
  }

  /**
   * The end of the running command; handlers are only ever asked while one runs (one at a
   * time per client), and every command ends with 'command-end' — the one a closing client
   * abandons too.
   */
  #ended(): Promise<TransactionEnd> {
    if (!this.#commandEnd) {
      let resolve!: (end: TransactionEnd) => void;
      const promise = new Promise<TransactionEnd>((r) => (resolve = r));
      this.#commandEnd = { promise, resolve };
    }
    return this.#commandEnd.promise;
  }

  #endCommand(end: TransactionEnd): void {
    this.#commandEnd?.resolve(end);
    this.#commandEnd = undefined;
  }

  #handlers(active: ActiveTransaction | undefined): Pick<MessageHandlers, 'card' | 'dex'> {
    const context = (signal: AbortSignal): HandlerContext => {
      const base = { terminalId: this.id, signal, ended: this.#ended() };
      return active ? { ...base, transaction: active } : base;
    };
    return {
      card: (m: CardMessage, signal: AbortSignal): Promise<CardRequest> => this.#answerCard(m, context(signal)),
      dex: (m: DexMessage, signal: AbortSignal): Promise<EmvTagValue[]> => this.#answerDex(m, context(signal)),
    };
  }

  async #answerCard(m: CardMessage, context: HandlerContext): Promise<CardRequest> {
    const handler = pick(this.#card, context.transaction?.flow);
    // Without a card node the terminal hears what a client without MIFARE support says.
    if (!handler || this.#closed) return { code: 'notimplemented' };
    return handler(m, context);
  }

  async #answerDex(m: DexMessage, context: HandlerContext): Promise<EmvTagValue[]> {
    const handler = pick(this.#dex, context.transaction?.flow);
    if (!handler || this.#closed) return [];
    return handler(m, context);
  }

  #setState(state: TerminalState): void {
    if (this.#closed) return;
    this.#state = state;
    for (const user of [...this.#users.values()]) {
      try {
        user.onTerminalState?.(state);
      } catch (err) {
        this.#warn('handler-failed', { error: describe(err) });
      }
    }
  }
}

/** A handler and the flow it is scoped to (undefined: the whole terminal). */
interface Scoped<H> {
  handler: H;
  flow: string | undefined;
}

/** The handler for a question of a transaction on `flow`: the first scoped to that flow, else the first for the whole terminal. */
function pick<H>(map: Map<string, Scoped<H>>, flow: string | undefined): H | undefined {
  const all = [...map.values()];
  return (all.find((s) => flow !== undefined && s.flow === flow) ?? all.find((s) => s.flow === undefined))?.handler;
}

/** How many handlers answer the same questions as one scoped to `flow`. */
function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

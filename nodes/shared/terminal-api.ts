/**
 * What a `jpay-terminal` config node offers the nodes that use it. User nodes get it with
 * `getTerminal(RED, config.terminal)` from ./terminal-lookup.ts (undefined when the config
 * node is missing or disabled).
 *
 * Stable contract: jpay-transaction, jpay-report, jpay-settlement, jpay-admin, jpay-card and
 * jpay-dex code against this file.
 */
import type { JpayClient, TransactionEnd } from '../../lib/client';
import type { MessageHandlers } from '../../lib/client/message-dispatch';
import type { TransactionRecovery } from '../../lib/recovery/transaction-recovery';
import type {
  CardMessage,
  CardRequest,
  CommandName,
  DexMessage,
  EmvTagValue,
  Language,
  TransactionRequest,
} from '../../lib/protocol/types';

/** The transaction a card/dex question belongs to (no manual card data, ever). */
export interface ActiveTransaction {
  /** Id of the jpay-transaction node that started it. */
  nodeId: string;
  /** The flow (tab, subflow instance) of that node: a handler scoped to a flow answers only its transactions. */
  flow?: string;
  /** `_msgid` of the msg that started it. */
  msgid?: string;
  request: Omit<TransactionRequest, 'manual'>;
}

/**
 * Which questions a card/dex handler answers: absent = every one of the terminal; `flow` =
 * only those of transactions started on that flow (like a Catch node's scope), so handler
 * nodes of different flows on one terminal do not answer each other's payments.
 */
export interface HandlerScope {
  flow: string;
}

/** A handler node's `scope` setting ('terminal', the default, or 'flow') → its HandlerScope; `flow` is the node's `z`. */
export function handlerScopeOf(setting: unknown, flow: string): HandlerScope | undefined {
  return setting === 'flow' ? { flow } : undefined;
}

/** Passed to card and dex handlers with each terminal message. */
export interface HandlerContext {
  /** Id of the jpay-terminal config node (the correlation key when `_jpay` is lost). */
  terminalId: string;
  /** Aborted when the terminal stops waiting (transaction over, cancelled, connection lost, redeploy). */
  signal: AbortSignal;
  /** Set when the question arises during a transaction started by a jpay-transaction node. */
  transaction?: ActiveTransaction;
  /**
   * Resolves once the command the question belongs to has ended, with how its payment
   * went. A card `close` without a receipt may be followed by a bank payment or may end
   * the transaction `cancelled` (terminals differ, the document is silent): only this says.
   */
  ended: Promise<TransactionEnd>;
}

/**
 * Answers one MIFARE `card` message with the next request to the card. Must settle before
 * the terminal's handler deadline; on rejection the config node answers `close` (no receipt).
 */
export type CardHandler = (message: CardMessage, context: HandlerContext) => Promise<CardRequest>;

/**
 * Answers one `dex` message with the terminal tags to add/change (empty = none). On
 * rejection the config node answers ok with no tags.
 */
export type DexHandler = (message: DexMessage, context: HandlerContext) => Promise<EmvTagValue[]>;

/** The terminal as seen by its user nodes. */
export type TerminalState =
  /** Nothing running. */
  | { state: 'idle' }
  /** A command is running (the client queues the others). */
  | { state: 'busy'; command: CommandName }
  /** The last attempt to reach the terminal failed. */
  | { state: 'unreachable'; error: string }
  /** The config node is closing (redeploy/stop). */
  | { state: 'closed' };

/** A node registered with `registerUser` (like the mqtt broker's users). */
export interface TerminalUser {
  id: string;
  /** Called on each state change, and once on registration with the current state. */
  onTerminalState?(state: TerminalState): void;
}

/** A clean, serialisable description of the config node (no password). */
export interface TerminalInfo {
  id: string;
  /** The name, else `host:port`. */
  label: string;
  host: string;
  port: number;
  encrypt: boolean;
}

export interface JpayTerminalApi {
  readonly id: string;
  readonly info: TerminalInfo;
  /** The one shared client of this terminal; commands of every node are queued by it. */
  readonly client: JpayClient;
  /** Language for display texts: the config's choice, or 'auto' = the terminal's preference. */
  readonly language: Language | 'auto';
  /**
   * How long the client lets a card/dex handler take before it answers the safe default
   * itself; a handler node's own deadline should be shorter.
   */
  readonly handlerTimeoutMs: number;
  readonly closed: boolean;
  readonly state: TerminalState;
  /**
   * Outcome-unknown recovery (the config node's journal, its new-sale guard and the
   * recovery procedure); undefined when the config node has recovery off.
   */
  readonly recovery?: TransactionRecovery;

  /**
   * A transaction's outcome that no flow received and no journal keeps (recovery off): an
   * answer that came, or was lost, while the node that sent it was closing. The config
   * node logs it as an error (masked data only), so a person can act.
   */
  reportLost(nodeId: string, description: string): void;

  /**
   * Card/dex handlers. One handler of each kind answers a question: a handler scoped to the
   * asking transaction's flow, else one for the whole terminal (none: the safe default). If
   * several could answer the same questions, the first still registered is used and the
   * config node warns. Registering the same nodeId again replaces its handler.
   */
  registerCardHandler(nodeId: string, handler: CardHandler, scope?: HandlerScope): void;
  deregisterCardHandler(nodeId: string): void;
  registerDexHandler(nodeId: string, handler: DexHandler, scope?: HandlerScope): void;
  deregisterDexHandler(nodeId: string): void;

  /** Status broadcasting, like the mqtt broker's register/deregister. */
  registerUser(user: TerminalUser): void;
  deregisterUser(user: TerminalUser, done?: () => void): void;

  /**
   * Card and dex handlers bound to one transaction: pass them as the `handlers` option of
   * `client.transaction()`, so card/dex handler nodes see which transaction asks
   * (`context.transaction`). Outside such a call they get no transaction context.
   */
  transactionHandlers(active: ActiveTransaction): Pick<MessageHandlers, 'card' | 'dex'>;
}

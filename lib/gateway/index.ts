/**
 * createCommandGateway(): one terminal's JpayClient answering the back office over MQTT,
 * with its retained live state (docs/fleet.md). Without Node-RED; the jpay-gateway node
 * runs the same CommandGateway over Node-RED's own mqtt-broker connection.
 */
import { randomBytes } from 'node:crypto';
import type { MqttClient } from 'mqtt';
import type { JpayClient, TransactionOptions } from '../client/jpay-client';
import { JpayValidationError } from '../errors';
import type { DurableFs } from '../durable/fs';
import type { Language } from '../protocol/types';
import type { GatewayCommand } from './commands';
import { CommandGateway, type GatewayLimits } from './gateway';
import { startClient, type MqttConnectionOptions } from './mqtt-client';
import { MqttJsTransport } from './mqtt-transport';
import type { GatewayRequest } from './request';
import type { HomeAssistantOptions } from './state-publisher';
import { STATE_FORMAT, TerminalStateModel } from './terminal-state';
import { gatewayTopics } from './topics';
import { TransactionStore } from './transaction-store';

export interface CommandGatewayOptions {
  /** The terminal. Commands of other users of this client queue with the gateway's. */
  client: JpayClient;
  /** The terminal's topic level (1–64 characters, no /, +, #). */
  terminalId: string;
  /** Topic prefix (default `jpay`). */
  prefix?: string;
  /** The broker: connection options (the gateway connects, with its last will), or a client you own (no will: set your own). */
  mqtt: MqttConnectionOptions | { client: MqttClient };
  /** Commands answered; default getparameters and testconnection. `transaction` needs `transactions`. */
  commands?: readonly GatewayCommand[];
  /** Payments: the durable idempotency journal. */
  transactions?: {
    journalPath: string;
    /** Finished payments remembered (default 5000) and for how long (default 7 days). */
    maxEntries?: number;
    retentionMs?: number;
    fs?: DurableFs;
  };
  /** Awaited before each payment; a rejection refuses it (nothing sent). */
  beforeTransaction?: () => Promise<void>;
  transactionOptions?: (request: GatewayRequest) => TransactionOptions;
  /** Display texts in the state and answers: fixed, or 'auto' (the terminal's preference). */
  language?: Language | 'auto';
  limits?: Partial<GatewayLimits>;
  /** The clock of expiries and rate limits (ms). */
  now?: () => number;
  /** The retained state topic: on by default, at most one update per intervalMs (default 1000). */
  state?: false | { intervalMs?: number; homeAssistant?: HomeAssistantOptions };
  warn?: (error: Error) => void;
}

export interface RunningGateway {
  readonly gateway: CommandGateway;
  /** The live state (also for your own dashboard). */
  readonly state: TerminalStateModel;
  /** The idempotency journal, when payments are enabled. */
  readonly store?: TransactionStore;
  /** The gateway's own MQTT.js client (undefined when you gave yours). */
  readonly connection: MqttClient | undefined;
  /** Stops answering, publishes `offline`, disconnects (only its own connection) and closes the journal. */
  close(): Promise<void>;
}

/** A graceful disconnect, forced when the broker does not take it in time. */
async function endWithin(client: MqttClient, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const ended = await Promise.race([
    client.endAsync(false).then(() => true, () => true),
    new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), ms))),
  ]);
  clearTimeout(timer);
  if (!ended) await client.endAsync(true).catch(() => undefined);
}

function isOwnClient(m: CommandGatewayOptions['mqtt']): m is { client: MqttClient } {
  return typeof m === 'object' && m !== null && 'client' in m;
}

/**
 * Opens the journal (when payments are enabled), connects, subscribes and starts answering.
 * Resolves without waiting for the broker: it connects (and reconnects) in the background.
 */
export async function createCommandGateway(options: CommandGatewayOptions): Promise<RunningGateway> {
  const topics = gatewayTopics(options.prefix, options.terminalId);
  const commands = options.commands;
  if (commands?.includes('transaction') && !options.transactions) throw new JpayValidationError('transactions', 'is required when transaction is enabled (the idempotency journal)');
  if (!options.mqtt) throw new JpayValidationError('mqtt', 'is required (a broker URL or a connected MQTT.js client)');
  const warn = options.warn ?? (() => undefined);
  const store = options.transactions
    ? await TransactionStore.open(options.transactions.journalPath, {
        terminalId: topics.terminalId,
        maxEntries: options.transactions.maxEntries,
        retentionMs: options.transactions.retentionMs,
        fs: options.transactions.fs,
        warn,
      })
    : undefined;
  const state = new TerminalStateModel({ terminalId: topics.terminalId, language: options.language ?? 'auto' });
  const detach = state.attach(options.client);

  let transport: MqttJsTransport;
  let ownClient: (() => MqttClient) | undefined;
  if (isOwnClient(options.mqtt)) {
    transport = new MqttJsTransport(options.mqtt.client);
  } else {
    const will = { topic: topics.state, payload: JSON.stringify({ format: STATE_FORMAT, terminalId: topics.terminalId, state: 'offline', reason: 'connection-lost' }), qos: 1 as const, retain: true };
    const clientId = options.mqtt.clientId?.trim() || `jpay-gateway-${topics.terminalId}-${randomBytes(3).toString('hex')}`;
    let made: MqttJsTransport | undefined;
    const handle = startClient(options.mqtt, clientId, options.state === false ? undefined : will, (client) => {
      if (made) made.use(client);
      else made = new MqttJsTransport(client);
    });
    transport = made as unknown as MqttJsTransport;
    ownClient = handle.current;
  }

  let gateway: CommandGateway;
  try {
    gateway = new CommandGateway({
      transport,
      client: options.client,
      terminalId: topics.terminalId,
      prefix: topics.prefix,
      commands,
      store,
      beforeTransaction: options.beforeTransaction,
      transactionOptions: options.transactionOptions,
      language: options.language === 'auto' || options.language === undefined ? 'en' : options.language,
      limits: options.limits,
      now: options.now,
      state: options.state === false ? undefined : state,
      stateIntervalMs: options.state === false ? undefined : options.state?.intervalMs,
      homeAssistant: options.state === false ? undefined : options.state?.homeAssistant,
    });
  } catch (error) {
    detach();
    transport.detach();
    if (ownClient) await ownClient().endAsync(true);
    await store?.close();
    throw error;
  }
  gateway.on('warning', warn);
  gateway.start();

  let closing: Promise<void> | undefined;
  return {
    gateway,
    state,
    ...(store ? { store } : {}),
    get connection() {
      return ownClient?.();
    },
    close() {
      closing ??= (async () => {
        await gateway.close();
        detach();
        transport.detach();
        // Graceful: the broker drops the last will; the retained state already says offline.
        if (ownClient) await endWithin(ownClient(), 2000);
        await store?.close();
      })();
      return closing;
    },
  };
}

export { CommandGateway, DEFAULT_LIMITS, type CommandGatewayCoreOptions, type GatewayEvents, type GatewayLimits } from './gateway';
export { GATEWAY_COMMANDS, DEFAULT_COMMANDS, isGatewayCommand, type GatewayCommand } from './commands';
export { ANSWER_FORMAT, type GatewayAnswer, type GatewayError, type GatewayErrorCode, type GatewayOutcome } from './answer';
export { TerminalStateModel, STATE_FORMAT, type TerminalStateSnapshot, type ReceiptSummary, type DayTotals } from './terminal-state';
export { gatewayTopics, allStatesFilter, type GatewayTopics } from './topics';
export { homeAssistantConfigs, type HomeAssistantOptions } from './state-publisher';
export { TransactionStore } from './transaction-store';
export type { GatewayTransport, InboundMessage, OutboundMessage } from './transport';
export type { MqttConnectionOptions } from './mqtt-client';

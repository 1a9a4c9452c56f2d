/**
 * What a running jpay-gateway node does (jpay-gateway.ts loads this with the first node,
 * not when Node-RED starts): the payments journal, the state model fed by the terminal's
 * client, the gateway on the core mqtt-broker, its status and output. The logic lives in
 * lib/gateway; this file wires it to Node-RED.
 */
import type { Node, NodeAPI, NodeDef } from 'node-red';
import { parseGatewayConfig, type GatewayConfig, type GatewayConfigFields } from './gateway-config';
import type { FlowTransactionRequest } from '../jpay-transaction/transaction-input';
import type { GatewayAnswer } from '../../lib/gateway/answer';
import { CommandGateway } from '../../lib/gateway/gateway';
import { TerminalStateModel } from '../../lib/gateway/terminal-state';
import { TransactionStore } from '../../lib/gateway/transaction-store';
import { CoreBrokerTransport, getCoreBroker, type CoreBrokerNode } from '../shared/core-mqtt-transport';
import { getBroker, type BrokerUser } from '../shared/mqtt-broker-api';
import { configError, refuseToStart } from '../shared/status';
import { connectUser, type UserNode } from '../shared/user-node';
import type { NodeSetup } from '../shared/register';

const NS = 'jpay-gateway';
/** Below Node-RED's own 15 s close timeout: a payment still running then ends as "outcome unknown" in the journal. */
const CLOSE_WAIT_MS = 10_000;

interface JpayGatewayDef extends NodeDef, GatewayConfigFields {
  terminal: string;
  broker: string;
  /** Optional: the receipts' jpay-mqtt-broker, whose outbox backlog the state shows. */
  outbox?: string;
}

export function setupOf(RED: NodeAPI): NodeSetup<JpayGatewayDef> {
  return function setup(node, config) {
    const user = connectUser(RED, node, config.terminal, NS);
    if (!user) return;
    const broker = getCoreBroker(RED, config.broker);
    if (!broker) {
      fail(node, 'noBroker', RED._(`${NS}.errors.no-broker`));
      return;
    }
    let settings: GatewayConfig;
    try {
      const userDir = (RED.settings as unknown as { userDir?: unknown }).userDir;
      settings = parseGatewayConfig(config, { nodeId: node.id, ...(typeof userDir === 'string' ? { userDir } : {}) });
    } catch (err) {
      fail(node, 'badConfig', RED._(`${NS}.errors.config`, { error: (err as Error).message }));
      return;
    }
    let stop: (() => Promise<void>) | undefined;
    const started = startGateway({ RED, node, user, broker, settings, ...(config.outbox ? { outbox: config.outbox } : {}) }).then((s) => (stop = s));
    // Synchronously when it runs: the offline state is then sent before the broker node's own close ends the connection.
    user.onClose(() => void user.track(stop ? stop() : started.then((s) => s())));
  };
}

interface GatewayNodeContext {
  RED: NodeAPI;
  node: Node;
  user: UserNode;
  broker: CoreBrokerNode;
  settings: GatewayConfig;
  /** The receipts' jpay-mqtt-broker config node id, whose outbox backlog the state shows. */
  outbox?: string;
}

/** The gateway does not run: a red status naming why, the reason logged once (status.ts). */
function fail(node: Node, statusKey: string, message: string): void {
  refuseToStart(node, `${NS}.status.${statusKey}`, configError(message));
}

/** Starts the gateway; resolves with the function that stops everything it started. */
async function startGateway({ RED, node, user, broker, settings, outbox: outboxId }: GatewayNodeContext): Promise<() => Promise<void>> {
  const terminal = user.terminal;
  const client = terminal.client;
  let store: TransactionStore | undefined;
  if (settings.journalFile) {
    try {
      store = await TransactionStore.open(settings.journalFile, { terminalId: settings.terminalId, warn: (e) => node.warn(e.message) });
      if (store.interrupted > 0) node.warn(RED._(`${NS}.warn.interrupted`, { count: store.interrupted }));
    } catch (err) {
      fail(node, 'journalFailed', RED._(`${NS}.errors.journal`, { file: settings.journalFile, error: (err as Error).message }));
      return async () => undefined;
    }
  }
  if (user.closing) {
    await store?.close();
    return async () => undefined;
  }

  const model = new TerminalStateModel({ terminalId: settings.terminalId, language: terminal.language });
  const detach = model.attach(client);
  const recovery = terminal.recovery;
  const countBacklog = (): void => {
    recovery?.backlog(client).then(
      (n) => model.setBacklog({ recovery: n }),
      () => undefined,
    );
  };
  if (recovery) {
    client.on('command-end', countBacklog);
    countBacklog();
  }
  const outbox = getBroker(RED, outboxId);
  const outboxUser: BrokerUser = { id: `${node.id}:gateway-state`, onBrokerState: (s) => model.setBacklog({ outbox: s.queued }) };
  outbox?.registerUser(outboxUser);

  const transport = new CoreBrokerTransport(broker, node.id);
  const gateway = new CommandGateway({
    transport,
    client,
    terminalId: settings.terminalId,
    prefix: settings.prefix,
    commands: settings.commands,
    store,
    language: terminal.language === 'auto' ? 'en' : terminal.language,
    ...(recovery ? { beforeTransaction: async () => void (await recovery.beforeSale(client)) } : {}),
    transactionOptions: (request) => ({
      annotations: { node: node.id, request: request.id },
      // The arguments passed the protocol's transaction schema (commands.ts) before this runs.
      handlers: terminal.transactionHandlers({ nodeId: node.id, flow: node.z, request: request.args as unknown as FlowTransactionRequest }),
    }),
    ...(settings.state ? { state: model, stateIntervalMs: settings.state.intervalMs, homeAssistant: settings.state.homeAssistant } : {}),
  });

  const show = (): void => {
    if (user.closing) return;
    if (!transport.connected) user.status('error', `${NS}.status.brokerOffline`);
    else if (gateway.pending > 0) user.status('busy', `${NS}.status.running`);
    else user.status('ok', `${NS}.status.ready`);
  };
  const offConnection = transport.onConnection(show);
  gateway.on('warning', (e) => node.warn(RED._(`${NS}.warn.gateway`, { error: e.message })));
  gateway.on('answer', (answer: GatewayAnswer) => {
    if (user.closing) return;
    node.send({ topic: `${settings.prefix}/${settings.terminalId}/${answer.command ?? 'unknown'}`, payload: answer });
    setImmediate(show);
  });
  client.on('command-start', show);
  gateway.start();
  show();

  return async () => {
    const closed = gateway.close();
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([closed, new Promise<void>((resolve) => (timer = setTimeout(resolve, CLOSE_WAIT_MS)))]);
    clearTimeout(timer);
    offConnection();
    client.off('command-start', show);
    if (recovery) client.off('command-end', countBacklog);
    outbox?.deregisterUser(outboxUser);
    detach();
    await transport.close();
    await store?.close();
  };
}

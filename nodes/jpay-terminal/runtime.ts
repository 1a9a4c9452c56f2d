/**
 * jpay-terminal (config node): one shared JpayClient per terminal, the card/dex handler
 * registrations and the state broadcast to the nodes using it (nodes/shared/terminal-api.ts).
 * With recovery on, a journal records every transaction before it is sent, what the last
 * run left with an unknown outcome is resolved on start, and an outcome whose node was gone
 * when it came is kept for the node that replaces it (docs/reliability.md).
 */
import type { Node, NodeAPI, NodeDef } from 'node-red';
import type { ClientTimeouts } from '../../lib/client';
import { parseRecoveryConfig, type RecoveryConfigFields, type TerminalRecoveryConfig } from './recovery-config';
import { describeOutcome } from '../shared/recovery-payload';
import type { Language } from '../../lib/protocol/types';
import type * as Recovery from '../../lib/recovery/transaction-recovery';
import { onFirstUse } from '../../lib/lazy';
import type { Delivery } from '../../lib/recovery/types';
import { SharedTerminals, terminalKey, type Acquired, type OpenedTerminal, type TerminalSettings } from '../shared/shared-terminals';
import { TerminalController } from '../shared/terminal-controller';
import { TERMINAL_API_PROPERTY } from '../shared/terminal-lookup';
import type { NodeSetup } from '../shared/register';

// Recovery (the journal on the durable log) loads with the first terminal that uses it.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const recoveryModule = onFirstUse(() => require('../../lib/recovery/transaction-recovery') as typeof Recovery);

interface JpayTerminalDef extends NodeDef, RecoveryConfigFields {
  host: string;
  port: string | number;
  encrypt?: boolean;
  language?: string;
  connectTimeout?: string | number;
  commandTimeout?: string | number;
  transactionTimeout?: string | number;
  idleTimeout?: string | number;
  handlerTimeout?: string | number;
}

// The registry's typing wants every declared credential present; Node-RED gives it only when set.
type Credentials = { password: string };

const DEFAULT_HANDLER_MS = 2000;
/** Below Node-RED's own 15 s close timeout. */
const CLOSE_GRACE_MS = 10_000;

function optionalMs(v: string | number | undefined): number | undefined {
  if (v === undefined || v === null || String(v).trim() === '') return undefined;
  return Number(v);
}

function timeoutsOf(config: JpayTerminalDef): Partial<ClientTimeouts> {
  const out: Partial<ClientTimeouts> = {};
  const pairs: [keyof ClientTimeouts, string | number | undefined][] = [
    ['connectMs', config.connectTimeout],
    ['commandMs', config.commandTimeout],
    ['transactionMs', config.transactionTimeout],
    ['idleMs', config.idleTimeout],
    ['handlerMs', config.handlerTimeout],
  ];
  for (const [key, value] of pairs) {
    const ms = optionalMs(value);
    if (ms !== undefined) out[key] = ms;
  }
  return out;
}

function languageOf(v: string | undefined): Language | 'auto' {
  return v === 'en' || v === 'ru' ? v : 'auto';
}

/** Every opened terminal of this Node-RED, by address. */
const TERMINALS = new SharedTerminals<TerminalController>();

export function setupOf(RED: NodeAPI): NodeSetup<JpayTerminalDef, Credentials> {
  function setup(node: Node<Credentials>, config: JpayTerminalDef): void {
    const port = Number(config.port === '' || config.port === undefined ? 4433 : config.port);
    const host = String(config.host ?? '').trim();
    const timeouts = timeoutsOf(config);
    const password = typeof node.credentials?.password === 'string' && node.credentials.password !== '' ? node.credentials.password : undefined;

    let recoveryConfig: TerminalRecoveryConfig | undefined;
    try {
      const userDir = (RED.settings as unknown as { userDir?: unknown }).userDir;
      recoveryConfig = parseRecoveryConfig(config, { nodeId: node.id, ...(typeof userDir === 'string' ? { userDir } : {}) });
    } catch (err) {
      node.error(RED._('jpay-terminal.errors.config', { error: (err as Error).message }));
      return;
    }

    // Config nodes with the same address share one opened terminal (one queue, one journal, one handler registry).
    const key = terminalKey(host, port);
    const settings: TerminalSettings = {
      encrypt: String(config.encrypt === true),
      password: password ?? '',
      language: languageOf(config.language),
      timeouts: JSON.stringify(timeouts),
      recovery: recoveryConfig ? `${recoveryConfig.policy} ${recoveryConfig.autoRecover} ${recoveryConfig.settleMs}` : 'off',
      journalFile: String(config.journalFile ?? '').trim(),
    };
    let acquired: Acquired<TerminalController>;
    try {
      acquired = TERMINALS.acquire(key, node.id, settings, () => openTerminal(node, config, { host, port, timeouts, password, recoveryConfig }));
    } catch (err) {
      node.error(RED._('jpay-terminal.errors.config', { error: (err as Error).message }));
      return;
    }
    if (acquired.sharedWith !== undefined && acquired.differs.length > 0) {
      node.warn(RED._('jpay-terminal.warn.shared-settings', { address: `${host}:${port}`, node: acquired.sharedWith, fields: acquired.differs.join(', ') }));
    }
    (node as unknown as Record<string, unknown>)[TERMINAL_API_PROPERTY] = acquired.value;
    node.on('close', (_removed: boolean, done: () => void) => {
      TERMINALS.release(key, node.id).then(done, done);
    });
  }

  interface OpenParams {
    host: string;
    port: number;
    timeouts: Partial<ClientTimeouts>;
    password: string | undefined;
    recoveryConfig: TerminalRecoveryConfig | undefined;
  }

  /** Opens the terminal for the config node that holds it first: its client, its journal, their log lines. */
  function openTerminal(node: Node<Credentials>, config: JpayTerminalDef, { host, port, timeouts, password, recoveryConfig }: OpenParams): OpenedTerminal<TerminalController> {
    const recovery = recoveryConfig
      ? recoveryModule().TransactionRecovery.create(recoveryConfig.journalFile, {
          policy: recoveryConfig.policy,
          settleMs: recoveryConfig.settleMs,
          autoRecover: recoveryConfig.autoRecover,
          logger: { warn: (msg) => node.warn(msg) },
        })
      : undefined;

    let controller: TerminalController;
    try {
      controller = new TerminalController({
        info: { id: node.id, label: config.name || `${host}:${port}`, host, port, encrypt: config.encrypt === true },
        client: {
          host,
          port,
          password,
          encrypt: config.encrypt === true,
          timeouts,
          logger: { debug: (msg) => node.debug(msg), info: (msg) => node.debug(msg), warn: (msg) => node.warn(msg) },
        },
        language: languageOf(config.language),
        handlerTimeoutMs: timeouts.handlerMs ?? DEFAULT_HANDLER_MS,
        warn: (key, detail) => node.warn(RED._(`jpay-terminal.warn.${key}`, detail ?? {})),
        reportLost: (nodeId, description) => node.error(RED._('jpay-terminal.errors.lost', { node: nodeId, transaction: description })),
        ...(recovery ? { recovery } : {}),
      });
    } catch (err) {
      void recovery?.close();
      throw err;
    }
    let stopWatching = (): void => undefined;
    if (recovery && recoveryConfig) {
      recovery.on('recovered', ({ source, results }) => {
        for (const r of results) {
          node.log(RED._('jpay-terminal.recovery.result', { id: r.id, outcome: r.outcome, source, reversal: r.reversal?.state ?? '-' }));
        }
      });
      const journal = recoveryConfig.journalFile;
      const describeKept = (d: Delivery): Record<string, string> => ({
        id: d.result.id,
        node: String(d.result.annotations.owner ?? '-'),
        transaction: describeOutcome(d.result.request, { outcome: d.result.outcome, ...(d.result.receipt ? { receipt: d.result.receipt } : {}) }),
        journal,
      });
      // Kept for a node that is not running (it closed as the outcome came): the node that replaces it delivers it.
      recovery.on('undelivered', (d) => node.warn(RED._('jpay-terminal.recovery.kept', describeKept(d))));
      // After every deploy (and after the start-up recovery): outcomes kept for nodes that are not in the flows wait for a person.
      let flowsStarted = false;
      const warned = new Set<string>();
      const warnOrphans = (): void => {
        for (const d of recovery.undelivered()) {
          const owner = d.result.annotations.owner;
          if (typeof owner !== 'string' || RED.nodes.getNode(owner) || warned.has(d.result.id)) continue;
          warned.add(d.result.id);
          node.warn(RED._('jpay-terminal.recovery.orphan', describeKept(d)));
        }
      };
      // Kept outcomes are handed to their nodes once the flows run: a msg sent while they start may reach no one.
      const onFlowsStarting = (): void => recovery.holdDeliveries();
      const onFlowsStarted = (): void => {
        flowsStarted = true;
        recovery.releaseDeliveries();
        recovery.whenReady().then(warnOrphans, () => undefined);
      };
      recovery.holdDeliveries();
      RED.events.on('flows:starting', onFlowsStarting);
      RED.events.on('flows:started', onFlowsStarted);
      stopWatching = () => {
        RED.events.removeListener('flows:starting', onFlowsStarting);
        RED.events.removeListener('flows:started', onFlowsStarted);
      };
      if (password === undefined && recoveryConfig.autoRecover) node.warn(RED._('jpay-terminal.recovery.no-password'));
      void recovery.start(controller.client).then(() => {
        if (flowsStarted) warnOrphans();
      });
    }

    return {
      value: controller,
      close: async () => {
        stopWatching();
        await controller.close(CLOSE_GRACE_MS);
      },
    };
  }

  return setup;
}

/**
 * jpay-terminal (config node): one shared JpayClient per terminal, the card/dex handler
 * registrations and the state broadcast to the nodes using it (nodes/shared/terminal-api.ts).
 */
import type { Node, NodeAPI, NodeDef } from 'node-red';
import type { ClientTimeouts } from '../lib/client';
import type { Language } from '../lib/protocol/types';
import { TerminalController } from './shared/terminal-controller';
import { TERMINAL_API_PROPERTY } from './shared/terminal-lookup';

interface JpayTerminalDef extends NodeDef {
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

export = function register(RED: NodeAPI): void {
  function JpayTerminalNode(this: Node<Credentials>, config: JpayTerminalDef): void {
    RED.nodes.createNode(this, config);
    setup(this, config);
  }

  function setup(node: Node<Credentials>, config: JpayTerminalDef): void {
    const port = Number(config.port === '' || config.port === undefined ? 4433 : config.port);
    const host = String(config.host ?? '').trim();
    const timeouts = timeoutsOf(config);
    const password = typeof node.credentials?.password === 'string' && node.credentials.password !== '' ? node.credentials.password : undefined;

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
      });
    } catch (err) {
      node.error(RED._('jpay-terminal.errors.config', { error: (err as Error).message }));
      return;
    }
    (node as unknown as Record<string, unknown>)[TERMINAL_API_PROPERTY] = controller;

    node.on('close', (_removed: boolean, done: () => void) => {
      controller.close(CLOSE_GRACE_MS).then(done, done);
    });
  }

  RED.nodes.registerType<Node<Credentials>, JpayTerminalDef, unknown, Credentials>('jpay-terminal', JpayTerminalNode, {
    credentials: { password: { type: 'password' } },
  });
};

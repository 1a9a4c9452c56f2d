/**
 * The jpay-sidebar plugin's runtime (jpay-sidebar.ts loads it when the flows first hold a
 * jpay node or the editor first asks for the board, not when Node-RED starts): the board
 * of every running jpay-terminal and receipt outbox (lib/operator), pushed to the editor
 * through RED.comms on the retained topic `jpay/terminals`, and what the admin routes do.
 */
import type { Request, Response, RequestHandler } from 'express';
import type { NodeAPI } from 'node-red';
import { OperatorActionError, parseTestAmount, PurchaseConfirmations, testConnection, testPurchase, xReport, type ActionResult } from '../../lib/operator/actions';
import { TerminalBoard, type BoardEntry, type BoardOutbox, type BoardTerminal, type OutboxEntry } from '../../lib/operator/terminal-board';
import { getBroker, type JpayMqttBrokerApi } from '../../nodes/shared/mqtt-broker-api';
import { getTerminal } from '../../nodes/shared/terminal-lookup';

export type PluginAPI = NodeAPI & {
  plugins: { registerPlugin(id: string, definition: Record<string, unknown>): void };
};

const COMMS_TOPIC = 'jpay/terminals';
/** The board changes with every display message; the editor hears it at most this often. */
const PUBLISH_EVERY_MS = 100;

/** Each broker's one BoardOutbox, so a scan that finds the same broker changes nothing. */
const outboxes = new WeakMap<JpayMqttBrokerApi, BoardOutbox>();

/** A jpay-mqtt-broker's outbox as the board watches it (a broker user that only listens). */
function outboxOf(broker: JpayMqttBrokerApi, label: string): BoardOutbox {
  const known = outboxes.get(broker);
  if (known && known.label === label) return known;
  const outbox: BoardOutbox = {
    id: broker.id,
    label,
    watch(onChange) {
      const user = { id: `jpay-sidebar:${broker.id}`, onBrokerState: (s: { state: string; queued: number }) => onChange({ state: s.state, queued: s.queued }) };
      broker.registerUser(user);
      return () => broker.deregisterUser(user);
    },
  };
  outboxes.set(broker, outbox);
  return outbox;
}

/** What the sidebar's routes and the flow events do, once the board exists. */
export interface Sidebar {
  scan(): void;
  board: RequestHandler;
  testConnection: RequestHandler;
  xReport: RequestHandler;
  confirmPurchase: RequestHandler;
  purchase: RequestHandler;
}

/** The board of the running terminals and outboxes, filled by a first scan. */
export function openSidebar(RED: PluginAPI): Sidebar {
  const board = new TerminalBoard();
  const confirmations = new PurchaseConfirmations();

  const boardNow = (): { terminals: BoardEntry[]; outboxes: OutboxEntry[] } => ({ terminals: board.entries(), outboxes: board.outboxes() });
  let timer: NodeJS.Timeout | undefined;
  const publishNow = (): void => {
    timer = undefined;
    RED.comms.publish(COMMS_TOPIC, boardNow(), true);
  };
  board.on('change', () => {
    timer ??= setTimeout(publishNow, PUBLISH_EVERY_MS);
    timer.unref();
  });

  // The running jpay-terminal config nodes and the receipt outboxes (a jpay-mqtt-broker's, or
  // a jpay-publish node's own over a core mqtt-broker), after every (partial) deploy and stop.
  const scan = (): void => {
    const terminals: BoardTerminal[] = [];
    const outboxes: BoardOutbox[] = [];
    RED.nodes.eachNode((def) => {
      if (def.type === 'jpay-mqtt-broker' || def.type === 'jpay-publish') {
        const broker = getBroker(RED, def.id);
        const d = def as typeof def & { host?: string; port?: string | number; prefix?: string };
        const label = def.type === 'jpay-publish' ? `jpay-publish ${d.prefix || 'jpay'}` : `${d.host ?? ''}:${d.port ?? ''}`;
        if (broker) outboxes.push(outboxOf(broker, def.name || label));
        return;
      }
      if (def.type !== 'jpay-terminal') return;
      const api = getTerminal(RED, def.id);
      if (!api) return;
      terminals.push({
        id: api.id,
        label: api.info.label,
        host: api.info.host,
        port: api.info.port,
        client: api.client,
        recovery: api.recovery,
        language: api.language,
      });
    });
    board.sync(terminals);
    board.syncOutboxes(outboxes);
  };
  const terminalOf = (req: Request, res: Response): BoardTerminal | undefined => {
    const t = board.terminal(String(req.params.id));
    if (!t) res.status(404).json({ error: `terminal ${String(req.params.id)}: not running` });
    return t;
  };
  const answer = (res: Response, result: ActionResult): void => void res.status(result.ok ? 200 : 502).json(result);
  const refuse = (res: Response, error: unknown): void => {
    if (error instanceof OperatorActionError) res.status(error.kind === 'conflict' ? 409 : 400).json({ error: error.message });
    else res.status(500).json({ error: 'internal error' });
  };
  const bodyOf = (req: Request): Record<string, unknown> => (req.body !== null && typeof req.body === 'object' ? (req.body as Record<string, unknown>) : {});

  scan();
  return {
    scan,
    board: (_req, res) => void res.json(boardNow()),
    testConnection: (req, res) => {
      const t = terminalOf(req, res);
      if (t) void testConnection(t).then((r) => answer(res, r));
    },
    xReport: (req, res) => {
      const t = terminalOf(req, res);
      if (t) void xReport(t).then((r) => answer(res, r));
    },
    confirmPurchase: (req, res) => {
      const t = terminalOf(req, res);
      if (!t) return;
      try {
        const amount = parseTestAmount(bodyOf(req).amount);
        const { token, expiresInMs } = confirmations.issue(t.id, amount);
        res.json({ token, expiresInMs, terminal: { id: t.id, label: t.label, address: `${t.host}:${t.port}` }, amount });
      } catch (error) {
        refuse(res, error);
      }
    },
    purchase: (req, res) => {
      const t = terminalOf(req, res);
      if (!t) return;
      let amount: number;
      try {
        amount = confirmations.take(t.id, bodyOf(req).token);
      } catch (error) {
        refuse(res, error);
        return;
      }
      void testPurchase(t, amount).then((r) => answer(res, r));
    },
  };
}

/**
 * jpay-card: answers the MIFARE `card` session of its terminal from a flow. Each card
 * event leaves as a msg carrying `msg._jpay`; the flow's answer comes back on the input.
 * The logic lives in card-*.ts beside this file; this file wires it to Node-RED.
 */
import type { Node, NodeAPI, NodeDef } from 'node-red';
import { SAFE_CARD_ANSWER, cardRequestFromPayload, parseBlockList, type CardEventPayload } from './card-answers';
import { CardCallbacks } from './card-callbacks';
import type { CardRequest } from '../../lib/protocol/types';
import { handlerScopeOf } from '../shared/terminal-api';
import { askTheFlow } from '../shared/flow-questions';
import { parseSettings } from '../shared/status';
import { requireTerminal } from '../shared/terminal-lookup';
import type { NodeSetup } from '../shared/register';

const NS = 'jpay-card';
const DEFAULT_CARD_DEADLINE_MS = 1500;

interface JpayCardDef extends NodeDef {
  terminal: string;
  timeout?: string | number;
  readBlocks?: string;
  /** 'terminal' (default): every transaction of the terminal; 'flow': only those started on this node's flow. */
  scope?: string;
}

function answeredKey(request: CardRequest): string {
  if (request.code === 'close') return request.receipt ? 'closedReceipt' : 'closedPlain';
  return request.code;
}

export function setupOf(RED: NodeAPI): NodeSetup<JpayCardDef> {
  function setup(node: Node, config: JpayCardDef): void {
    const prefetch = parseSettings(node, NS, (): number[] => parseBlockList(config.readBlocks ?? ''));
    if (prefetch === undefined) return;
    const terminal = requireTerminal(RED, node, config.terminal, NS);
    if (!terminal) return;

    const questions = askTheFlow<CardRequest>(RED, node, {
      ns: NS,
      terminal,
      deadline: config.timeout,
      defaultDeadlineMs: DEFAULT_CARD_DEADLINE_MS,
      parseAnswer: cardRequestFromPayload,
      onClose: () => {
        terminal.deregisterCardHandler(node.id);
        callbacks.reset();
      },
    });
    const ask = (event: CardEventPayload, signal: AbortSignal): Promise<CardRequest> =>
      questions.ask(`card/${event.event}`, event, SAFE_CARD_ANSWER, signal, answeredKey);
    const callbacks = new CardCallbacks({ prefetch, ask });
    terminal.registerCardHandler(node.id, (message, context) => callbacks.handle(message, context.signal), handlerScopeOf(config.scope, node.z));
  }

  return setup;
}

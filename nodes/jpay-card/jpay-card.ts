/**
 * jpay-card: answers the MIFARE `card` dialogue of its terminal from a flow. Each card
 * event leaves as a msg carrying `msg._jpay`; the flow's answer comes back on the input.
 * The logic lives in card-*.ts beside this file; this file wires it to Node-RED.
 */
import type { Node, NodeAPI, NodeDef } from 'node-red';
import { CallbackRegistry, type CallbackWarning } from '../shared/callback-registry';
import { SAFE_CARD_ANSWER, cardRequestFromPayload, parseBlockList, type CardEventPayload } from './card-answers';
import { CardDialogue } from './card-dialogue';
import { WAITING_STATUS, answerRef, deadlineMs, effectiveDeadline, settledStatus, type StatusView } from '../shared/flow-msg';
import type { CardRequest } from '../../lib/protocol/types';
import { getTerminal } from '../shared/terminal-lookup';

const DEFAULT_CARD_DEADLINE_MS = 1500;

interface JpayCardDef extends NodeDef {
  terminal: string;
  timeout?: string | number;
  readBlocks?: string;
}

function answeredKey(request: CardRequest): string {
  if (request.code === 'close') return request.receipt ? 'closedReceipt' : 'closedPlain';
  return request.code;
}

export = function register(RED: NodeAPI): void {
  function JpayCardNode(this: Node, config: JpayCardDef): void {
    RED.nodes.createNode(this, config);
    setup(this, config);
  }

  function setup(node: Node, config: JpayCardDef): void {
    const show = (view: StatusView): void =>
      node.status({ fill: view.fill, shape: view.shape, text: `jpay-card.status.${view.key}` });
    const warn = (w: CallbackWarning): void => node.warn(RED._(`jpay-card.warn.${w.kind}`, { ms: String(w.timeoutMs ?? '') }));

    const terminal = getTerminal(RED, config.terminal);
    let prefetch: number[] = [];
    let configError: Error | undefined;
    try {
      prefetch = parseBlockList(config.readBlocks ?? '');
    } catch (err) {
      configError = err as Error;
    }
    if (!terminal || configError) {
      const error = configError ?? new Error(RED._('jpay-card.errors.no-terminal'));
      node.error(error.message);
      node.status({ fill: 'red', shape: 'ring', text: configError ? 'jpay-card.status.badConfig' : 'jpay-card.status.noTerminal' });
      node.on('input', (_msg, _send, done) => done(error));
      return;
    }

    const terminalId = terminal.id;
    const timeoutMs = effectiveDeadline(deadlineMs(config.timeout, DEFAULT_CARD_DEADLINE_MS), terminal.handlerTimeoutMs);
    const registry = new CallbackRegistry<CardRequest>({ onWarning: warn });

    const ask = async (event: CardEventPayload, signal: AbortSignal): Promise<CardRequest> => {
      const { id, settled } = registry.open({ terminal: terminalId, timeoutMs, fallback: SAFE_CARD_ANSWER, signal });
      if (!registry.closed) {
        show(WAITING_STATUS);
        node.send({ topic: `card/${event.event}`, payload: event, _jpay: { id, terminal: terminalId } });
      }
      const { value, by } = await settled;
      if (!registry.closed) show(settledStatus(by, answeredKey(value)));
      return value;
    };
    const dialogue = new CardDialogue({ prefetch, ask });
    terminal.registerCardHandler(node.id, (message, context) => dialogue.handle(message, context.signal));

    node.on('input', (msg, _send, done) => {
      const ref = answerRef(msg, terminalId);
      let request: CardRequest;
      try {
        request = cardRequestFromPayload(msg.payload);
      } catch (err) {
        if (registry.reject(ref).matched) node.warn(RED._('jpay-card.warn.invalid'));
        done(err as Error);
        return;
      }
      registry.answer(ref, request);
      done();
    });

    node.on('close', (_removed: boolean, done: () => void) => {
      terminal.deregisterCardHandler(node.id);
      registry.close();
      dialogue.reset();
      node.status({});
      done();
    });
  }

  RED.nodes.registerType('jpay-card', JpayCardNode);
};

/**
 * What jpay-card and jpay-dex share: the terminal's questions put to the flow as msgs
 * carrying `msg._jpay`, the flow's answers taken on the node's input, each within the
 * node's deadline; a question the flow does not answer in time, or answers wrongly, gets
 * the node's safe answer. The node's status follows each question.
 */
import type { Node, NodeAPI } from 'node-red';
import { CallbackRegistry, type CallbackWarning } from './callback-registry';
import { toFlowError } from './errors';
import { WAITING_STATUS, answerRef, deadlineMs, effectiveDeadline, settledStatus, type StatusView } from './flow-msg';
import { showStatus } from './status';
import type { JpayTerminalApi } from './terminal-api';

export interface FlowQuestionsOptions<T> {
  /** The node's message namespace (`jpay-card`). */
  ns: string;
  terminal: JpayTerminalApi;
  /** The node's deadline setting (ms), and the default when it is absent or out of range. */
  deadline: unknown;
  defaultDeadlineMs: number;
  /** The flow's answer (`msg.payload`) → the value handed to the terminal; throws when invalid. */
  parseAnswer(payload: unknown): T;
  /** The node closes: deregister its handler from the terminal. Open questions get their fallback. */
  onClose(): void;
}

export interface FlowQuestions<T> {
  readonly terminalId: string;
  /**
   * Sends `payload` to the flow under `topic`; resolves with the flow's answer, or with
   * `fallback` past the deadline, on an invalid answer, an abort or the node's close.
   * `answeredKey` names the status shown for an answer (default `answered`).
   */
  ask(topic: string, payload: unknown, fallback: T, signal: AbortSignal, answeredKey?: (value: T) => string): Promise<T>;
  show(view: StatusView): void;
}

export function askTheFlow<T>(RED: NodeAPI, node: Node, o: FlowQuestionsOptions<T>): FlowQuestions<T> {
  const { ns, terminal } = o;
  const terminalId = terminal.id;
  const show = (view: StatusView): void => showStatus(node, view.kind, `${ns}.status.${view.key}`);
  const warn = (w: CallbackWarning): void => node.warn(RED._(`${ns}.warn.${w.kind}`, { ms: String(w.timeoutMs ?? '') }));
  const timeoutMs = effectiveDeadline(deadlineMs(o.deadline, o.defaultDeadlineMs), terminal.handlerTimeoutMs);
  const registry = new CallbackRegistry<T>({ onWarning: warn });

  node.on('input', (msg, _send, done) => {
    const ref = answerRef(msg, terminalId);
    let value: T;
    try {
      value = o.parseAnswer(msg.payload);
    } catch (err) {
      if (registry.reject(ref).matched) node.warn(RED._(`${ns}.warn.invalid`));
      done(toFlowError(err));
      return;
    }
    registry.answer(ref, value);
    done();
  });

  node.on('close', (_removed: boolean, done: () => void) => {
    o.onClose();
    registry.close();
    showStatus(node, 'clear');
    done();
  });

  return {
    terminalId,
    show,
    async ask(topic, payload, fallback, signal, answeredKey) {
      const { id, settled } = registry.open({ terminal: terminalId, timeoutMs, fallback, signal });
      if (!registry.closed) {
        show(WAITING_STATUS);
        node.send({ topic, payload, _jpay: { id, terminal: terminalId } });
      }
      const { value, by } = await settled;
      if (!registry.closed) show(settledStatus(by, answeredKey?.(value)));
      return value;
    },
  };
}

/**
 * What every node using a jpay-terminal shares: finding the terminal, the status shown
 * when it is missing or unreachable, tracking the node's own work so a redeploy waits for
 * it, and reporting failures to Catch nodes with done(err).
 */
import type { Node, NodeAPI, NodeMessage } from 'node-red';
import { toFlowError } from './errors';
import { showStatus, type StatusKind } from './status';
import type { JpayTerminalApi, TerminalState, TerminalUser } from './terminal-api';
import { requireTerminal } from './terminal-lookup';

export type { StatusKind };

export interface UserNode {
  readonly nodeId: string;
  terminal: JpayTerminalApi;
  /** Shows `key`, an i18n key of this node's namespace (see status.ts). */
  status(kind: StatusKind, key?: string): void;
  /** Runs the node's work; close waits for it. Rejections are the caller's to handle. */
  track<T>(work: Promise<T>): Promise<T>;
  /** Reports a failure: red status, then done(err) with a stable `code` for Catch nodes. */
  fail(done: (err?: Error) => void, err: unknown, statusKey?: string): void;
  readonly closing: boolean;
  /** Called when the node closes, before it waits for its work (abort it here). */
  onClose(listener: () => void): void;
}

/**
 * Connects a node to its terminal. Without one, the node shows it, logs it once, and fails
 * every input with JPAY_NO_TERMINAL; undefined is returned.
 */
export function connectUser(RED: NodeAPI, node: Node, terminalId: string | undefined, ns: string): UserNode | undefined {
  const terminal = requireTerminal(RED, node, terminalId, ns);
  if (!terminal) return undefined;

  const pending = new Set<Promise<unknown>>();
  const closeListeners: (() => void)[] = [];
  let closing = false;
  let shown: StatusKind = 'clear';
  let lastText: string | undefined;

  const status = (kind: StatusKind, text?: string): void => {
    if (closing) return;
    shown = kind;
    showStatus(node, kind, text);
  };

  const user: TerminalUser = {
    id: node.id,
    onTerminalState(state: TerminalState): void {
      // The node's own work shows its own status; the terminal's state only when idle.
      if (pending.size > 0) return;
      if (state.state === 'unreachable') statusWithMemory('error', `${ns}.status.unreachable`);
      else if (state.state === 'idle' && shown === 'error' && lastText === `${ns}.status.unreachable`) statusWithMemory('clear');
    },
  };
  const statusWithMemory = (kind: StatusKind, text?: string): void => {
    lastText = text;
    status(kind, text);
  };
  terminal.registerUser(user);

  node.on('close', (_removed: boolean, done: () => void) => {
    closing = true;
    for (const listener of closeListeners) listener();
    void Promise.allSettled([...pending]).then(() => {
      terminal.deregisterUser(user);
      node.status({});
      done();
    });
  });

  return {
    nodeId: node.id,
    terminal,
    status: statusWithMemory,
    get closing() {
      return closing;
    },
    onClose(listener: () => void): void {
      closeListeners.push(listener);
    },
    track<T>(work: Promise<T>): Promise<T> {
      pending.add(work);
      const forget = (): void => {
        pending.delete(work);
      };
      work.then(forget, forget);
      return work;
    },
    fail(done: (err?: Error) => void, err: unknown, statusKey = `${ns}.status.error`): void {
      statusWithMemory('error', statusKey);
      done(toFlowError(err));
    },
  };
}

/** A msg for an extra output: the input msg's other properties, a new topic and payload. */
export function derivedMessage(RED: NodeAPI, msg: NodeMessage, topic: string, payload: unknown): NodeMessage {
  const copy: NodeMessage = RED.util.cloneMessage<NodeMessage>({ ...msg, payload: undefined });
  copy.topic = topic;
  copy.payload = payload;
  return copy;
}

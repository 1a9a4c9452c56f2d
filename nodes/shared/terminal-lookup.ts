import type { Node, NodeAPI } from 'node-red';
import { ERROR_CODES, JpayFlowError } from './errors';
import { refuseToStart } from './status';
import type { JpayTerminalApi } from './terminal-api';

/** The property of a jpay-terminal config node that holds its API. */
export const TERMINAL_API_PROPERTY = 'jpayTerminal';

type TerminalConfigNode = Node & { [TERMINAL_API_PROPERTY]?: JpayTerminalApi };

/** The API of the jpay-terminal config node `id`, if it exists and is running. */
export function getTerminal(RED: NodeAPI, id: string | undefined): JpayTerminalApi | undefined {
  if (typeof id !== 'string' || id === '') return undefined;
  const node = RED.nodes.getNode(id) as TerminalConfigNode | null;
  const api = node?.[TERMINAL_API_PROPERTY];
  return api && !api.closed ? api : undefined;
}

/**
 * The terminal of a node that needs one; without it the node refuses to start (status.ts)
 * with JPAY_NO_TERMINAL and undefined is returned. `ns` is the node's message namespace.
 */
export function requireTerminal(RED: NodeAPI, node: Node, id: string | undefined, ns: string): JpayTerminalApi | undefined {
  const terminal = getTerminal(RED, id);
  if (!terminal) refuseToStart(node, `${ns}.status.noTerminal`, new JpayFlowError(ERROR_CODES.noTerminal, RED._(`${ns}.errors.no-terminal`)));
  return terminal;
}

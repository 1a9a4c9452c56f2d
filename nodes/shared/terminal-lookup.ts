import type { Node, NodeAPI } from 'node-red';
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

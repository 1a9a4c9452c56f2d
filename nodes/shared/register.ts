/**
 * Registers a node type: its constructor creates the node and hands it to `setup`, which
 * wires the node (and refuses to start through status.ts when it cannot work).
 */
import type { Node, NodeAPI, NodeDef } from 'node-red';

type CredentialsSpec<C> = { [K in keyof C]: { type: 'text' | 'password' } };

export function registerNode<D extends NodeDef, C extends object = object>(
  RED: NodeAPI,
  type: string,
  setup: (node: Node<C>, config: D) => void,
  credentials?: CredentialsSpec<C>,
): void {
  function construct(this: Node<C>, config: D): void {
    RED.nodes.createNode(this, config);
    setup(this, config);
  }
  RED.nodes.registerType<Node<C>, D, unknown, C>(type, construct, credentials ? { credentials } : undefined);
}

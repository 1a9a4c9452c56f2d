/**
 * Registers a node type. The node's code (its runtime.ts) is loaded when the first node of
 * the type is created, not when Node-RED starts: `load` returns the type's `setup`, which
 * wires each node (and refuses to start through status.ts when it cannot work).
 */
import type { Node, NodeAPI, NodeDef } from 'node-red';

type CredentialsSpec<C> = { [K in keyof C]: { type: 'text' | 'password' } };

export type NodeSetup<D extends NodeDef, C extends object = object> = (node: Node<C>, config: D) => void;

export function registerNode<D extends NodeDef, C extends object = object>(
  RED: NodeAPI,
  type: string,
  load: () => NodeSetup<D, C>,
  credentials?: CredentialsSpec<C>,
): void {
  let setup: NodeSetup<D, C> | undefined;
  function construct(this: Node<C>, config: D): void {
    RED.nodes.createNode(this, config);
    (setup ??= load())(this, config);
  }
  RED.nodes.registerType<Node<C>, D, unknown, C>(type, construct, credentials ? { credentials } : undefined);
}

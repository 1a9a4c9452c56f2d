/**
 * jpay-transaction: one transaction on the terminal. This file registers the type; the node's
 * code is in runtime.ts and loads with the first jpay-transaction node, so Node-RED starts
 * without it.
 */
import type { NodeAPI } from 'node-red';
import { registerNode } from '../shared/register';
import type * as Runtime from './runtime';

export = function register(RED: NodeAPI): void {
  registerNode(RED, 'jpay-transaction', () => (require('./runtime') as typeof Runtime).setupOf(RED));
};

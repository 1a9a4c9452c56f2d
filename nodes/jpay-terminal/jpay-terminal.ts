/**
 * jpay-terminal: the terminal (config node). This file registers the type; the node's code is
 * in runtime.ts and loads with the first jpay-terminal node, so Node-RED starts without it.
 */
import type { NodeAPI } from 'node-red';
import { registerNode } from '../shared/register';
import type * as Runtime from './runtime';

export = function register(RED: NodeAPI): void {
  registerNode(RED, 'jpay-terminal', () => (require('./runtime') as typeof Runtime).setupOf(RED), { password: { type: 'password' } });
};

/**
 * jpay-settlement: settlement (closing the day) and Z-report. This file registers the type;
 * the node's code is in runtime.ts and loads with the first jpay-settlement node, so Node-RED
 * starts without it.
 */
import type { NodeAPI } from 'node-red';
import { registerNode } from '../shared/register';
import type * as Runtime from './runtime';

export = function register(RED: NodeAPI): void {
  registerNode(RED, 'jpay-settlement', () => (require('./runtime') as typeof Runtime).setupOf(RED));
};

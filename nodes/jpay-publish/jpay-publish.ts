/**
 * jpay-publish: publishes receipts over MQTT through a durable outbox. This file registers the
 * type; the node's code is in runtime.ts and loads with the first jpay-publish node, so
 * Node-RED starts without it.
 */
import type { NodeAPI } from 'node-red';
import { registerNode } from '../shared/register';
import type * as Runtime from './runtime';

export = function register(RED: NodeAPI): void {
  registerNode(RED, 'jpay-publish', () => (require('./runtime') as typeof Runtime).setupOf(RED));
};

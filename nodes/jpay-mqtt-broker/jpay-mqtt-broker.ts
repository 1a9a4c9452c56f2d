/**
 * jpay-mqtt-broker: a receipt outbox and its MQTT connection (deprecated: jpay-publish on a
 * core mqtt-broker). This file registers the type; the node's code is in runtime.ts and loads
 * with the first jpay-mqtt-broker node, so Node-RED starts without it.
 */
import type { NodeAPI } from 'node-red';
import { registerNode } from '../shared/register';
import type * as Runtime from './runtime';

export = function register(RED: NodeAPI): void {
  registerNode(RED, 'jpay-mqtt-broker', () => (require('./runtime') as typeof Runtime).setupOf(RED), { username: { type: 'text' }, password: { type: 'password' } });
};

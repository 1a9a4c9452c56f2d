/**
 * jpay-gateway: joins one jpay-terminal to an MQTT broker (a core mqtt-broker config node)
 * so a back office can run the commands enabled here (docs/fleet.md), and publishes the
 * terminal's live state (retained). This file registers the type; the node's code is in
 * runtime.ts and loads with the first jpay-gateway node, so Node-RED starts without it.
 */
import type { NodeAPI } from 'node-red';
import { registerNode } from '../shared/register';
import type * as Runtime from './runtime';

export = function register(RED: NodeAPI): void {
  registerNode(RED, 'jpay-gateway', () => (require('./runtime') as typeof Runtime).setupOf(RED));
};

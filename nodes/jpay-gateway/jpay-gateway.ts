/**
 * jpay-gateway: joins one jpay-terminal to an MQTT broker (a core mqtt-broker config
 * node) so a back office can run the commands enabled here (docs/fleet.md), and
 * publishes the terminal's live state (retained). Each answer also goes to the output,
 * for an audit trail. The logic lives in lib/gateway; this file wires it to Node-RED.
 */
import type { Node, NodeAPI, NodeDef } from 'node-red';
import type { GatewayConfig, GatewayConfigFields } from './gateway-config';
import { onFirstUse } from '../../lib/lazy';
import type * as GatewayRuntime from './gateway-runtime';
import { connectUser } from '../shared/user-node';
import { registerNode } from '../shared/register';

const NS = 'jpay-gateway';

// The gateway's code loads when the first gateway node is created, not when Node-RED starts.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const runtime = onFirstUse(() => require('./gateway-runtime') as typeof GatewayRuntime);

interface JpayGatewayDef extends NodeDef, GatewayConfigFields {
  terminal: string;
  broker: string;
  /** Optional: the receipts' jpay-mqtt-broker, whose outbox backlog the state shows. */
  outbox?: string;
}

export = function register(RED: NodeAPI): void {
  function setup(node: Node, config: JpayGatewayDef): void {
    const user = connectUser(RED, node, config.terminal, NS);
    if (!user) return;
    const { fail, getCoreBroker, parseGatewayConfig, startGateway } = runtime();
    const broker = getCoreBroker(RED, config.broker);
    if (!broker) {
      fail(node, 'noBroker', RED._(`${NS}.errors.no-broker`));
      return;
    }
    let settings: GatewayConfig;
    try {
      const userDir = (RED.settings as unknown as { userDir?: unknown }).userDir;
      settings = parseGatewayConfig(config, { nodeId: node.id, ...(typeof userDir === 'string' ? { userDir } : {}) });
    } catch (err) {
      fail(node, 'badConfig', RED._(`${NS}.errors.config`, { error: (err as Error).message }));
      return;
    }
    let stop: (() => Promise<void>) | undefined;
    const started = startGateway({ RED, node, user, broker, settings, ...(config.outbox ? { outbox: config.outbox } : {}) }).then((s) => (stop = s));
    // Synchronously when it runs: the offline state is then sent before the broker node's own close ends the connection.
    user.onClose(() => void user.track(stop ? stop() : started.then((s) => s())));
  }

  registerNode(RED, 'jpay-gateway', setup);
};

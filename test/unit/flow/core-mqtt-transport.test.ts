/**
 * The core mqtt-broker adapter: a publish the broker node never acknowledges is given up
 * (rejected) after the publish timeout, so the gateway, the ledger and the outbox never wait
 * forever. (The broker node drops a publish without a callback in some states.)
 */
import assert from 'node:assert/strict';
import { CoreBrokerTransport, type CoreBrokerNode } from '../../../nodes/shared/core-mqtt-transport';

/** A connected broker node that takes publishes and never calls back. */
function silentBroker(): CoreBrokerNode {
  const node = {
    id: 'broker',
    connected: true,
    register: () => undefined,
    deregister: (_user: unknown, done: () => void) => done(),
    subscribe: () => undefined,
    unsubscribe: () => undefined,
    publish: () => undefined,
  };
  return node as unknown as CoreBrokerNode;
}

describe('nodes/shared/core-mqtt-transport', () => {
  it('a publish the broker never acknowledges is rejected after the publish timeout', async () => {
    const transport = new CoreBrokerTransport(silentBroker(), 'ref', 20);
    await assert.rejects(transport.publish({ topic: 't', payload: '{}', qos: 1, retain: false }), /did not acknowledge within 20 ms/);
    await transport.close();
  });
});

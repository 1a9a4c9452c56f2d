/**
 * Issue 14 point 7: jpay-publish on Node-RED's core mqtt-broker config node, with its own
 * durable outbox in front (built nodes, the real runtime, a real Mosquitto): one broker
 * config for publishing and subscribing, receipts stored while the broker is down and
 * delivered when it is back, and TLS through the core tls-config node.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Node, NodeMessage, NodeStatus } from 'node-red';
import type { ReceiptMessage } from '../../lib/publish';
import { freePort, MosquittoBroker, startMosquitto, TestSubscriber } from '../helpers/mosquitto';
import { resultMsgWith } from '../helpers/receipt-msgs';
import { builtNode, coreNode, helper, inbox, onTab, statuses, type FlowNode, type Inbox } from './fixtures';

const NODES = [builtNode('jpay-publish'), coreNode('network/10-mqtt.js'), coreNode('network/05-tls.js'), coreNode('common/25-catch.js')];

const resultMsg = (seq: number): NodeMessage => resultMsgWith(seq);

async function until(node: Node, match: (s: NodeStatus) => boolean, what: string): Promise<void> {
  for (let i = 0; i < 400; i++) {
    if (statuses(node).some(match)) return;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error(`no status ${what}; saw ${JSON.stringify(statuses(node))}`);
}

/** A CA and a server certificate for 127.0.0.1, made with openssl in `dir`. */
function makeCertificates(dir: string): { ca: string; cert: string; key: string } {
  const file = (name: string): string => path.join(dir, name);
  const run = (...args: string[]): void => {
    execFileSync('openssl', args, { stdio: 'ignore' });
  };
  run('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', '/CN=jpay test CA', '-keyout', file('ca.key'), '-out', file('ca.pem'));
  run('req', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=127.0.0.1', '-keyout', file('server.key'), '-out', file('server.csr'));
  const ext = file('ext.cnf');
  execFileSync('sh', ['-c', `printf 'subjectAltName=IP:127.0.0.1\\n' > '${ext}'`]);
  run('x509', '-req', '-in', file('server.csr'), '-CA', file('ca.pem'), '-CAkey', file('ca.key'), '-CAcreateserial', '-days', '2', '-extfile', ext, '-out', file('server.pem'));
  // Mosquitto drops to its own user: it must read the key.
  for (const f of ['ca.pem', 'server.pem', 'server.key']) chmodSync(file(f), 0o644);
  return { ca: file('ca.pem'), cert: file('server.pem'), key: file('server.key') };
}

describe('nodes/jpay-publish on the core mqtt-broker node (built, real runtime, mosquitto)', function () {
  this.timeout(30_000);
  let broker: MosquittoBroker | undefined;
  let sub: TestSubscriber | undefined;
  let dir: string;

  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'jpay-node-pub-core-'));
    chmodSync(dir, 0o755);
    helper.settings({ mqttReconnectTime: 100 });
  });
  afterEach(async () => {
    await helper.unload();
    helper.settings({});
    await sub?.close();
    await broker?.dispose();
    sub = undefined;
    broker = undefined;
    rmSync(dir, { recursive: true, force: true });
  });

  const coreBroker = (port: number, extra: Record<string, unknown> = {}): FlowNode => ({
    id: 'mqb',
    type: 'mqtt-broker',
    name: 'the one broker',
    broker: '127.0.0.1',
    port: String(port),
    clientid: '',
    autoConnect: true,
    usetls: false,
    protocolVersion: '4',
    keepalive: '60',
    cleansession: true,
    ...extra,
  });

  async function load(brokerNode: FlowNode, more: FlowNode[] = []): Promise<{ out: Inbox; caught: Inbox; received: Inbox; pub: Node }> {
    const flow = onTab([
      { id: 'pub', type: 'jpay-publish', broker: 'mqb', terminalId: 'vm-1', prefix: 'shop', journalFile: path.join(dir, 'outbox.jsonl'), wires: [['out']] },
      { id: 'out', type: 'helper' },
      // The back office's line on the same broker config: one broker node for the whole flow.
      { id: 'office', type: 'mqtt in', broker: 'mqb', topic: 'shop/+/receipt', qos: '1', datatype: 'json', wires: [['received']] },
      { id: 'received', type: 'helper' },
      { id: 'catch', type: 'catch', scope: null, uncaught: false, wires: [['caught']] },
      { id: 'caught', type: 'helper' },
    ]);
    await helper.load(NODES, [brokerNode, ...more, ...flow], { mqb: { user: '', password: '' } });
    return { out: inbox(helper.getNode('out')), caught: inbox(helper.getNode('caught')), received: inbox(helper.getNode('received')), pub: helper.getNode('pub') };
  }

  it('publishes through the core broker node, which the flow also subscribes with; the msg goes on once the receipt is stored', async () => {
    broker = await startMosquitto();
    const { out, received, pub, caught } = await load(coreBroker(broker.port));
    await until(pub, (s) => s.fill === 'green', 'connected');
    pub.receive(resultMsg(1));
    const msg = (await out.next()) as NodeMessage & { receiptId: string };
    assert.equal(msg.topic, 'order-1');
    assert.equal(msg.receiptId, '10000001-000001-20240501T100000');
    const got = await received.next(10_000);
    assert.equal(got.topic, 'shop/vm-1/receipt');
    assert.equal((got.payload as ReceiptMessage).receiptId, msg.receiptId);
    assert.equal(existsSync(path.join(dir, 'outbox.jsonl')), true, "the node's own outbox journal");
    assert.equal(caught.msgs.length, 0);
  });

  it('the broker down: the receipt is stored and the msg goes on; it is published when the broker is back', async () => {
    broker = await startMosquitto();
    sub = await TestSubscriber.connect(broker.url, ['shop/#']);
    const { out, pub } = await load(coreBroker(broker.port));
    await until(pub, (s) => s.fill === 'green', 'connected');
    await sub.close();
    sub = undefined;
    await broker.stop();
    await until(pub, (s) => s.fill === 'red', 'offline');
    pub.receive(resultMsg(2));
    const stored = (await out.next()) as NodeMessage & { receiptQueued: number };
    assert.equal(stored.receiptQueued, 1, 'stored, waiting for the broker');
    await broker.start();
    sub = await TestSubscriber.connect(broker.url, ['shop/#']);
    await sub.waitFor((m) => m.some((x) => x.topic === 'shop/vm-1/receipt' && x.payload.includes('000002')), 15_000, 'the stored receipt, after the outage');
  });

  it('TLS through the core tls-config node: the CA verifies the broker, the receipt goes over mqtts', async () => {
    const certs = makeCertificates(dir);
    const tlsPort = await freePort();
    broker = await startMosquitto({ extraConfig: [`listener ${tlsPort} 127.0.0.1`, `cafile ${certs.ca}`, `certfile ${certs.cert}`, `keyfile ${certs.key}`, 'require_certificate false'] });
    sub = await TestSubscriber.connect(broker.url, ['shop/#']);
    const tls: FlowNode = { id: 'tls', type: 'tls-config', name: 'test CA', cert: '', key: '', ca: certs.ca, certname: '', keyname: '', caname: '', servername: '', verifyservercert: true, alpnprotocol: '' };
    const { out, pub } = await load(coreBroker(tlsPort, { usetls: true, tls: 'tls' }), [tls]);
    await until(pub, (s) => s.fill === 'green', 'connected over TLS');
    pub.receive(resultMsg(3));
    await out.next();
    await sub.waitFor((m) => m.some((x) => x.topic === 'shop/vm-1/receipt' && x.payload.includes('000003')), 10_000, 'the receipt, sent over TLS');
  });
});

/**
 * Shadow ledgers of several machines share card states through a real Mosquitto (MQTT.js
 * clients): a dump spent at one machine and restored at another is a rollback there; a
 * record made while the broker is down reaches it later; a clone spent at two offline
 * machines is a flagged conflict, and both keep the same state; a record a broker account
 * forges (no program key) is ignored; a machine that joins later gets every card.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import { type LedgerEntry, ShadowLedger, mqttClientTransport } from '../../lib/mifare/ledger';
import { LoyaltyKeyring, defineLayout, runLoyaltyCardSession, runLoyaltyIssue } from '../../lib/mifare/loyalty';
import { VirtualMifareCard } from '../../lib/mifare/virtual-card';
import { type MosquittoBroker, TestSubscriber, startMosquitto } from '../helpers/mosquitto';

const KEYS = new LoyaltyKeyring({ id: 4, key: '9a8b7c6d5e4f30211203f4e5d6c7b8a9' });
const LAYOUT = defineLayout({ programId: 42, purses: ['balance'], keys: KEYS });
const UID = 'C0FFEE42';

describe('mifare/ledger replication (real Mosquitto)', function () {
  this.timeout(30_000);
  let broker: MosquittoBroker;
  let dir: string;
  const clients: MqttClient[] = [];
  const ledgers: ShadowLedger[] = [];

  before(async () => {
    broker = await startMosquitto();
  });
  after(async () => {
    await broker.dispose();
  });
  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'jpay-ledger-repl-'));
  });
  afterEach(async () => {
    for (const l of ledgers.splice(0)) await l.close();
    for (const c of clients.splice(0)) await c.endAsync(true);
    rmSync(dir, { recursive: true, force: true });
  });

  async function connect(): Promise<MqttClient> {
    const client = mqtt.connect(broker.url, { reconnectPeriod: 100, connectTimeout: 5000 });
    client.on('error', () => undefined);
    if (!client.connected) await new Promise<void>((resolve) => client.once('connect', () => resolve()));
    return client;
  }

  async function machine(name: string, keys = KEYS): Promise<ShadowLedger> {
    const client = await connect();
    clients.push(client);
    const ledger = await ShadowLedger.open({ file: path.join(dir, `${name}.jsonl`), programId: 42, keys, origin: name, transport: mqttClientTransport(client), retryMs: 200 });
    ledgers.push(ledger);
    return ledger;
  }

  /** Resolves when `ledger` has merged a record of `uid` with one of `actions`. */
  function received(ledger: ShadowLedger, uid: string, ...actions: string[]): Promise<void> {
    return new Promise((resolve) => {
      const listener = (u: string, action: string): void => {
        if (u !== uid || (actions.length > 0 && !actions.includes(action))) return;
        ledger.off('received', listener);
        resolve();
      };
      ledger.on('received', listener);
    });
  }

  async function clearRetained(): Promise<void> {
    const client = await connect();
    await client.publishAsync(`jpay/ledger/42/${UID}`, '', { retain: true, qos: 1 });
    await client.endAsync(true);
  }

  // Retained records of one test must not leak into the next.
  afterEach(clearRetained);

  /** Resolves once `condition` holds, checked after each record `ledger` receives. */
  async function until(ledger: ShadowLedger, condition: () => boolean): Promise<void> {
    while (!condition()) await once(ledger, 'received');
  }

  it('a dump spent at one machine and restored at another is a rollback there', async () => {
    const a = await machine('coffee-1');
    const b = await machine('coffee-2');
    const card = new VirtualMifareCard({ uid: UID });
    const issuedAtB = received(b, UID, 'take');
    assert.equal((await runLoyaltyIssue(card, LAYOUT, { memberId: 7, balance: 5000 }, { ledger: a })).status, 'committed');
    await issuedAtB;
    const dump = card.toImage();
    const spentAtB = received(b, UID, 'take');
    assert.equal((await runLoyaltyCardSession(card, LAYOUT, { debit: 5000 }, { ledger: a })).status, 'committed');
    await spentAtB;
    assert.equal(b.get(UID)?.balance, 0);
    const restored = await runLoyaltyCardSession(VirtualMifareCard.fromImage(dump), LAYOUT, { debit: 5000 }, { ledger: b });
    assert.deepEqual([restored.status, restored.debited, restored.writes], ['rollback', 0, 0]);
  });

  it('a record made while the broker is down reaches it when it is back; a machine that joins later gets every card', async () => {
    const a = await machine('coffee-1');
    await broker.stop();
    await a.record(UID, { memberId: 7, counter: 3, balance: 100 });
    assert.equal(a.get(UID)?.published, false);
    await broker.start();
    await once(a, 'published');
    assert.equal(a.get(UID)?.published, true);
    const late = await machine('coffee-3');
    await received(late, UID, 'take');
    assert.deepEqual([late.get(UID)?.counter, late.get(UID)?.balance, late.get(UID)?.origin], [3, 100, 'coffee-1']);
  });

  it('a clone spent at two machines while they were apart: a conflict flagged at both, both keep the same state, the retained record too', async () => {
    const x = await machine('coffee-1');
    const y = await machine('coffee-2');
    // Both record different states for counter 5 before hearing from each other.
    const conflicts: [string, LedgerEntry][] = [];
    x.on('conflict', (e) => conflicts.push(['x', e]));
    y.on('conflict', (e) => conflicts.push(['y', e]));
    await Promise.all([x.record(UID, { memberId: 7, counter: 5, balance: 900 }), y.record(UID, { memberId: 7, counter: 5, balance: 300 })]);
    const settled = (l: ShadowLedger) => (): boolean => l.get(UID)?.balance === 300 && l.get(UID)?.conflict !== undefined;
    await Promise.all([until(x, settled(x)), until(y, settled(y))]);
    assert.deepEqual(conflicts.map(([at]) => at).sort(), ['x', 'y']);
    assert.deepEqual([x.get(UID)?.balance, y.get(UID)?.balance], [300, 300]);
    assert.deepEqual([x.get(UID)?.conflict?.balance, y.get(UID)?.conflict?.balance], [900, 900]);
    const balanceOf = (payload: string): number => (JSON.parse(payload) as { balance: number }).balance;
    await Promise.all([x.idle(), y.idle()]);
    const fresh = await TestSubscriber.connect(broker.url, [`jpay/ledger/42/${UID}`]);
    try {
      await fresh.waitFor((m) => m.some((r) => r.retain), 10_000, 'the retained record');
      assert.deepEqual(fresh.messages.filter((r) => r.retain).map((r) => balanceOf(r.payload)), [300]);
    } finally {
      await fresh.close();
    }
  });

  it('a record a broker account forges without the program key is ignored, and does not change the ledger', async () => {
    const a = await machine('coffee-1');
    await a.record(UID, { memberId: 7, counter: 1, balance: 100 });
    const impostor = await connect();
    clients.push(impostor);
    const forged = JSON.stringify({ v: 1, program: 42, uid: UID, member: 7, counter: 9, balance: 999_999, origin: 'x', at: 'now', kid: 4, mac: '00'.repeat(16) });
    const ignored = received(a, UID, 'ignored');
    await impostor.publishAsync(`jpay/ledger/42/${UID}`, forged, { qos: 1, retain: true });
    await ignored;
    // Another key with the same id: well-formed, wrong MAC.
    const other = new LoyaltyKeyring({ id: 4, key: '00112233445566778899aabbccddeeff' });
    const b = await machine('coffee-2', other);
    const ignoredAgain = received(a, UID, 'ignored');
    await b.record(UID, { memberId: 7, counter: 20, balance: 1 });
    await ignoredAgain;
    assert.deepEqual([a.get(UID)?.counter, a.get(UID)?.balance], [1, 100]);
  });
});

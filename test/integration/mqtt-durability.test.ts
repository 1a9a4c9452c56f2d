/**
 * Issue 11, cases 6 and 9, against a real Mosquitto:
 *  - a receipt edited in the outbox journal is never published (quarantined, reported);
 *  - where the guarantee ends: the broker's PUBACK. Mosquitto queues at most
 *    `max_queued_messages` for a persistent-session subscriber that is away; a backlog
 *    flushed at full speed overflows that queue for a subscriber that comes back a second
 *    late, the paced replay (`replayRate`) does not.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createReceiptPublisher, type ReceiptMessage, type ReceiptPublisher } from '../../lib/publish';
import type { Receipt } from '../../lib/protocol/types';
import { OutboxError } from '../../lib/publish';
import { errno, FaultyFs } from '../helpers/faulty-fs';
import { startMosquitto, TestSubscriber, type MosquittoBroker } from '../helpers/mosquitto';

const receipt = (seq: number, amount = 100 * seq): Receipt => ({
  header: [],
  footer: [],
  approved: true,
  tid: '10000001',
  seq: String(seq).padStart(6, '0'),
  datetime: '2024-05-01T10:00:00',
  amountAuthorized: amount,
});
const idOf = (seq: number): string => `10000001-${String(seq).padStart(6, '0')}-20240501T100000`;

describe('integration: MQTT durability and where the guarantee ends', function () {
  this.timeout(60_000);
  let broker: MosquittoBroker;
  let dir: string;
  let journalPath: string;
  const publishers: ReceiptPublisher[] = [];
  const subscribers: TestSubscriber[] = [];

  const publisher = async (extra: Partial<Parameters<typeof createReceiptPublisher>[0]> = {}): Promise<ReceiptPublisher> => {
    const p = await createReceiptPublisher({ url: broker.url, journalPath, reconnectPeriodMs: 100, closeTimeoutMs: 500, ...extra });
    p.on('warning', () => undefined);
    publishers.push(p);
    return p;
  };
  const subscriber = async (clientId?: string): Promise<TestSubscriber> => {
    const s = await TestSubscriber.connect(broker.url, ['jpay/+/receipt'], clientId ? { clientId } : {});
    subscribers.push(s);
    return s;
  };
  const ids = (s: TestSubscriber): Set<string> => new Set(s.json<ReceiptMessage>('jpay/T1/receipt').map((m) => m.receiptId));

  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'jpay-mqtt-durable-'));
    journalPath = path.join(dir, 'outbox.jsonl');
  });
  afterEach(async () => {
    for (const p of publishers.splice(0)) await p.close();
    for (const s of subscribers.splice(0)) await s.close();
    await broker?.dispose();
    rmSync(dir, { recursive: true, force: true });
  });

  it('a receipt edited in the journal (amount 10005 → 90005) is never published; it is quarantined and reported', async () => {
    broker = await startMosquitto();
    await broker.stop();
    const first = await publisher();
    await first.publishReceipt('T1', receipt(1, 10005));
    await first.publishReceipt('T1', receipt(2, 200));
    await first.close();
    writeFileSync(journalPath, readFileSync(journalPath, 'utf8').replace('10005', '90005'));

    await broker.start();
    const sub = await subscriber();
    const second = await publisher();
    assert.equal(second.loadReport.corruptLines, 1);
    assert.equal(second.loadReport.backupPath, `${journalPath}.quarantine`);
    assert.equal(second.queued, 1);
    await sub.waitFor((m) => m.length >= 1, 10_000, 'the intact receipt');
    await second.publishReceipt('T1', receipt(3, 300));
    await sub.waitFor((m) => m.length >= 2, 10_000, 'a receipt published after it');
    assert.deepEqual([...ids(sub)], [idOf(2), idOf(3)]);
    assert.ok(sub.messages.every((m) => !m.payload.includes('90005') && !m.payload.includes('10005')));
  });

  /**
   * A subscriber with a persistent session goes away; the broker (max_queued_messages 20)
   * is down while 40 receipts queue in the outbox; the broker comes back and the publisher
   * flushes its backlog; the subscriber returns after `late` and a marker receipt shows
   * everything queued for it has arrived.
   */
  async function backlogReachesLateSubscriber(replayRate: number, late: (p: ReceiptPublisher) => Promise<void>): Promise<{ received: number; flushMs: number }> {
    broker = await startMosquitto({ extraConfig: ['max_queued_messages 20'] });
    await (await subscriber('accounting')).close();
    subscribers.splice(0);
    await broker.stop();
    const p = await publisher({ replayRate });
    for (let seq = 1; seq <= 40; seq++) await p.publishReceipt('T1', receipt(seq));
    assert.equal(p.queued, 40);
    const started = performance.now();
    await broker.start();
    await late(p);
    const sub = await subscriber('accounting');
    if (p.queued > 0) await new Promise<void>((resolve) => p.on('sent', (e) => e.queued === 0 && resolve()));
    const flushMs = performance.now() - started;
    await p.publishReceipt('T1', receipt(41));
    await sub.waitFor((m) => m.some((x) => x.payload.includes(idOf(41))), 20_000, 'the marker');
    const got = ids(sub);
    got.delete(idOf(41));
    return { received: got.size, flushMs };
  }

  it('without pacing, a backlog flushed before the subscriber is back overflows the broker’s queue: receipts are lost after the PUBACK', async () => {
    const { received } = await backlogReachesLateSubscriber(0, async (p) => {
      await new Promise<void>((resolve) => p.on('sent', (e) => e.queued === 0 && resolve()));
    });
    assert.ok(received < 40, `the broker dropped ${40 - received} receipts it had acknowledged`);
    assert.ok(received <= 21, `about max_queued_messages reach the subscriber, got ${received}`);
  });

  it('a paced replay (10/s) reaches a subscriber that comes back a second late with nothing lost', async () => {
    const { received, flushMs } = await backlogReachesLateSubscriber(10, async (p) => {
      // "A second late": the subscriber returns once a second's worth (10 receipts) has gone out.
      let sent = 0;
      await new Promise<void>((resolve) =>
        p.on('sent', () => {
          if (++sent === 10) resolve();
        }),
      );
    });
    assert.equal(received, 40);
    assert.ok(flushMs >= 3000, `the 40 receipts were spread over ${Math.round(flushMs)} ms`);
  });

  it('receipts stored while caught up are not paced', async () => {
    broker = await startMosquitto();
    const sub = await subscriber();
    // One receipt per 1,000 s if it were paced: the five would not arrive within the test.
    const p = await publisher({ replayRate: 0.001 });
    if (!p.connected) await once(p, 'connected');
    await Promise.all([1, 2, 3, 4, 5].map((seq) => p.publishReceipt('T1', receipt(seq))));
    await sub.waitFor((m) => m.length >= 5, 10_000, 'five receipts');
  });

  it('a receipt goes to the broker while its sync runs; a PUBACK that comes first is applied once it is stored', async () => {
    broker = await startMosquitto();
    const sub = await subscriber();
    const fs = new FaultyFs();
    const p = await publisher({ fs });
    if (!p.connected) await once(p, 'connected');
    const events: string[] = [];
    p.on('queued', (e) => events.push(`queued ${e.queued}`));
    p.on('sent', (e) => events.push(`sent ${e.queued}`));
    let release!: () => void;
    fs.faults = { syncGate: new Promise<void>((resolve) => (release = resolve)) };
    const stored = p.publishReceipt('T1', receipt(1));
    await sub.waitFor((m) => m.length === 1, 10_000, 'the receipt, before its sync finished');
    assert.equal(p.queued, 0, 'not counted as stored yet');
    assert.deepEqual(events, []);
    release();
    fs.faults = {};
    assert.equal((await stored).receiptId, idOf(1));
    assert.deepEqual(events, ['queued 1', 'sent 0']);
    await p.close();
    assert.equal(readFileSync(journalPath).length, 0, 'acknowledged: nothing left in the outbox');
  });

  it('a failed sync: publishReceipt rejects (the receipt may have reached the broker), nothing stays queued, later receipts are refused until a restart', async () => {
    broker = await startMosquitto();
    const fs = new FaultyFs();
    const p = await publisher({ fs });
    if (!p.connected) await once(p, 'connected');
    fs.faults = { sync: () => errno('EIO', 'I/O error') };
    await assert.rejects(p.publishReceipt('T1', receipt(1)), (e: unknown) => e instanceof OutboxError && e.code === 'journal-failed' && /not stored/.test(e.message));
    assert.equal(p.queued, 0);
    fs.faults = {};
    await assert.rejects(p.publishReceipt('T1', receipt(2)), (e: unknown) => e instanceof OutboxError && e.code === 'journal-failed');
    await p.close();
    const again = await publisher();
    assert.equal(again.queued, 0, 'the refused receipt was cut off the journal');
    await again.publishReceipt('T1', receipt(3));
  });
});

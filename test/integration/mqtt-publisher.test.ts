/** The receipt publisher against a real Mosquitto broker. */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Ajv from 'ajv';
import { createReceiptPublisher, RECEIPT_MESSAGE_SCHEMA, type ReceiptMessage, type ReceiptPublisher } from '../../lib/publish';
import type { Receipt } from '../../lib/protocol/types';
import { MosquittoBroker, startMosquitto, TestSubscriber } from '../helpers/mosquitto';

const validate = new Ajv({ strict: false }).compile(RECEIPT_MESSAGE_SCHEMA);
const FULL_PAN = '4000000000000002';

const receipt = (seq: number): Receipt => ({
  header: ['SHOP'],
  footer: [`CARD ${FULL_PAN}`],
  approved: true,
  tid: '10000001',
  seq: String(seq).padStart(6, '0'),
  datetime: '2024-05-01T10:00:00',
  amountAuthorized: 100 * seq,
  currency: '643',
  pan: FULL_PAN,
});
const idOf = (seq: number): string => `10000001-${String(seq).padStart(6, '0')}-20240501T100000`;

describe('integration: MQTT receipt publisher with mosquitto', function () {
  this.timeout(12_000);
  let broker: MosquittoBroker;
  let dir: string;
  const publishers: ReceiptPublisher[] = [];
  const subscribers: TestSubscriber[] = [];

  const publisher = async (options: Partial<Parameters<typeof createReceiptPublisher>[0]> = {}): Promise<ReceiptPublisher> => {
    const p = await createReceiptPublisher({ url: broker.url, journalPath: path.join(dir, 'outbox.log'), reconnectPeriodMs: 100, ...options });
    publishers.push(p);
    return p;
  };
  const subscriber = async (topics: string[]): Promise<TestSubscriber> => {
    const s = await TestSubscriber.connect(broker.url, topics);
    subscribers.push(s);
    return s;
  };
  const connected = async (p: ReceiptPublisher): Promise<void> => {
    if (!p.connected) await once(p, 'connected');
  };

  beforeEach(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'jpay-mqtt-'));
    broker = await startMosquitto();
  });
  afterEach(async () => {
    for (const p of publishers.splice(0)) await p.close();
    for (const s of subscribers.splice(0)) await s.close();
    await broker.dispose();
    rmSync(dir, { recursive: true, force: true });
  });

  it('receipts arrive on <prefix>/<tid>/receipt, QoS 1, not retained, valid against the schema, PAN masked', async () => {
    const sub = await subscriber(['acme/kiosks/#']);
    const p = await publisher({ prefix: 'acme/kiosks', terminalId: 'kiosk-1' });
    await connected(p);
    const sent = once(p, 'sent');
    const result = await p.publishReceipt('kiosk-1', receipt(1), { meta: { order: 'A-1', password: '97531864' } });
    assert.equal(result.receiptId, idOf(1));
    await sent;
    assert.equal(p.queued, 0);
    await sub.waitFor((m) => m.some((x) => x.topic === 'acme/kiosks/kiosk-1/receipt'), 10_000, 'the receipt');
    const message = sub.messages.find((m) => m.topic === 'acme/kiosks/kiosk-1/receipt');
    assert.ok(message);
    assert.equal(message.qos, 1);
    const payload = JSON.parse(message.payload) as ReceiptMessage;
    assert.equal(validate(payload), true, JSON.stringify(validate.errors));
    assert.equal(payload.receiptId, idOf(1));
    assert.equal(payload.terminalId, 'kiosk-1');
    assert.equal(payload.receipt.amountAuthorized, 100);
    assert.equal(payload.receipt.pan, '400000******0002');
    assert.deepEqual(payload.meta, { order: 'A-1' });
    assert.ok(!message.payload.includes(FULL_PAN) && !message.payload.includes('97531864'));

    // A late subscriber gets the retained status, and no receipt (receipts are not retained).
    const late = await subscriber(['acme/kiosks/#']);
    await late.waitFor((m) => m.some((x) => x.topic === 'acme/kiosks/kiosk-1/status'), 10_000, 'the retained status');
    const status = late.messages.find((m) => m.topic === 'acme/kiosks/kiosk-1/status');
    assert.equal(status?.retain, true);
    assert.equal(JSON.parse(status?.payload ?? '{}').state, 'online');
    assert.equal(late.messages.filter((m) => m.topic.endsWith('/receipt')).length, 0);
  });

  it('events go to <prefix>/<tid>/event (QoS 0) and statuses to <prefix>/<tid>/status (retained)', async () => {
    const sub = await subscriber(['jpay/#']);
    const p = await publisher();
    await connected(p);
    p.setStatus('T2', 'busy', 'transaction');
    assert.equal(p.publishEvent('T2', 'display', { code: '15', text: 'PRESENT CARD', plainTextPan: FULL_PAN }), true);
    assert.equal(p.publishEvent('T2', 'qr', { show: true, url: 'https://qr.nspk.ru/x' }), true);
    await sub.waitFor((m) => m.filter((x) => x.topic === 'jpay/T2/event').length === 2 && m.some((x) => x.topic === 'jpay/T2/status'), 10_000, 'events and status');
    const events = sub.json<{ type: string; at: string; data: Record<string, unknown> }>('jpay/T2/event');
    assert.deepEqual(events.map((e) => [e.type, e.data]), [
      ['display', { code: '15', text: 'PRESENT CARD' }],
      ['qr', { show: true, url: 'https://qr.nspk.ru/x' }],
    ]);
    assert.ok(sub.messages.filter((m) => m.topic === 'jpay/T2/event').every((m) => m.qos === 0));
    const [status] = sub.json<{ state: string; detail: string; clientId: string }>('jpay/T2/status');
    assert.deepEqual([status.state, status.detail, status.clientId], ['busy', 'transaction', p.clientId]);
    await p.close();
    await sub.waitFor((m) => m.filter((x) => x.topic === 'jpay/T2/status').length === 2, 10_000, 'offline on close');
    assert.deepEqual(sub.json<{ state: string; reason: string }>('jpay/T2/status')[1], {
      ...sub.json('jpay/T2/status')[1],
      state: 'offline',
      reason: 'closed',
    });
  });

  it('broker stopped: receipts still resolve and queue on disk; after it restarts every one arrives', async () => {
    const sub = await subscriber(['jpay/+/receipt']);
    const p = await publisher({ terminalId: 'T1' });
    await connected(p);
    await p.publishReceipt('T1', receipt(1));
    await sub.waitFor((m) => m.length === 1, 10_000, 'the first receipt');

    const offline = once(p, 'offline');
    await broker.stop();
    await offline;
    const counts: number[] = [];
    for (let seq = 2; seq <= 11; seq++) counts.push((await p.publishReceipt('T1', receipt(seq))).queued);
    assert.deepEqual(counts, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    assert.equal(p.queued, 10);
    assert.ok(statSync(p.journalPath).size > 0, 'the queue is on disk');

    const allSent = new Promise<void>((resolve) => p.on('sent', (e) => e.queued === 0 && resolve()));
    await broker.start();
    await allSent;
    await sub.waitFor((m) => new Set(m.map((x) => JSON.parse(x.payload).receiptId)).size === 11, 15_000, 'all 11 receipts');
    const ids = new Set(sub.json<ReceiptMessage>('jpay/T1/receipt').map((m) => m.receiptId));
    assert.deepEqual([...ids].sort(), Array.from({ length: 11 }, (_, i) => idOf(i + 1)).sort());
    assert.equal(p.queued, 0);
    await p.close();
    assert.equal(statSync(p.journalPath).size, 0, 'the journal is compacted once everything is acknowledged');
  });

  it('receipts queued while the broker was down are published by the next publisher on the same journal', async () => {
    await broker.stop();
    const first = await publisher({ closeTimeoutMs: 200 });
    for (let seq = 1; seq <= 5; seq++) await first.publishReceipt('T1', receipt(seq));
    await first.close();
    await broker.start();
    const sub = await subscriber(['jpay/+/receipt']);
    const second = await publisher();
    assert.equal(second.queued, 5);
    await sub.waitFor((m) => m.length >= 5, 10_000, 'the replayed receipts');
    assert.deepEqual(sub.json<ReceiptMessage>('jpay/T1/receipt').map((m) => m.receiptId), [1, 2, 3, 4, 5].map(idOf), 'replayed in order');
  });

  it('credentials: refused ones keep receipts queued with a warning; right ones deliver', async () => {
    await broker.dispose();
    const passwd = path.join(dir, 'passwd');
    execFileSync('mosquitto_passwd', ['-b', '-c', passwd, 'kiosk', 's3cret-pass']);
    // Mosquitto started as root reads it as its own user.
    chmodSync(passwd, 0o644);
    chmodSync(dir, 0o755);
    broker = await startMosquitto({ extraConfig: ['allow_anonymous false', `password_file ${passwd}`] });
    const wrong = await publisher({ username: 'kiosk', password: 'wrong', closeTimeoutMs: 200 });
    const [warning] = (await once(wrong, 'warning')) as [Error];
    assert.match(warning.message, /Not authorized|Bad username or password/i);
    assert.ok(!warning.message.includes('wrong'));
    await wrong.publishReceipt('T1', receipt(1));
    assert.equal(wrong.queued, 1);
    await wrong.close();

    const right = await publisher({ username: 'kiosk', password: 's3cret-pass' });
    await connected(right);
    if (right.queued > 0) await once(right, 'sent');
    assert.equal(right.queued, 0);
  });
});

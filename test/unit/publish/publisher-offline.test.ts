/** The publisher with no broker reachable: receipts still go to disk and the queue grows. */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { once } from 'node:events';
import { JpayValidationError } from '../../../lib/errors';
import { createReceiptPublisher, OutboxError, type ReceiptProgress, type ReceiptPublisher } from '../../../lib/publish';
import type { Receipt } from '../../../lib/protocol/types';
import { freePort } from '../../helpers/mosquitto';

const receipt = (seq: number): Receipt => ({ header: [], footer: [], approved: true, tid: '10000001', seq: String(seq).padStart(6, '0'), datetime: '2024-05-01T10:00:00', amountAuthorized: 100 * seq });

describe('publish: publisher without a broker', () => {
  let dir: string;
  let journalPath: string;
  let port: number;
  const publishers: ReceiptPublisher[] = [];
  const create = async (extra: Partial<Parameters<typeof createReceiptPublisher>[0]> = {}): Promise<ReceiptPublisher> => {
    const p = await createReceiptPublisher({ host: '127.0.0.1', port, journalPath, reconnectPeriodMs: 50, ...extra });
    publishers.push(p);
    return p;
  };

  beforeEach(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'jpay-pub-'));
    journalPath = path.join(dir, 'outbox.log');
    port = await freePort(); // nothing listens there
  });
  afterEach(async () => {
    for (const p of publishers.splice(0)) await p.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('publishReceipt resolves with the receipt on disk and the queue grows', async () => {
    const p = await create();
    const queued: ReceiptProgress[] = [];
    p.on('queued', (e) => queued.push(e));
    const warning = once(p, 'warning');
    for (let i = 1; i <= 3; i++) {
      const result = await p.publishReceipt('kiosk-1', receipt(i));
      assert.equal(result.queued, i);
      assert.equal(result.alreadyQueued, false);
    }
    assert.equal(p.queued, 3);
    assert.deepEqual(queued.map((e) => e.receiptId), ['10000001-000001-20240501T100000', '10000001-000002-20240501T100000', '10000001-000003-20240501T100000']);
    const [error] = (await warning) as [Error];
    assert.match(error.message, /ECONNREFUSED/);
    assert.equal(p.connected, false);
    await p.close();
    const again = await create();
    assert.equal(again.queued, 3, 'the queue survives a restart');
    assert.equal(again.loadReport.pending, 3);
  });

  it('the same receipt twice while queued is stored once', async () => {
    const p = await create();
    const [a, b] = await Promise.all([p.publishReceipt('kiosk-1', receipt(1)), p.publishReceipt('kiosk-1', receipt(1))]);
    assert.equal(a.receiptId, b.receiptId);
    assert.deepEqual([a.alreadyQueued, b.alreadyQueued].sort(), [false, true]);
    assert.equal(p.queued, 1);
  });

  it('a full outbox refuses with outbox-full, so the caller knows the receipt was not stored', async () => {
    const p = await create({ maxQueued: 2 });
    await p.publishReceipt('kiosk-1', receipt(1));
    await p.publishReceipt('kiosk-1', receipt(2));
    await assert.rejects(p.publishReceipt('kiosk-1', receipt(3)), (e: unknown) => e instanceof OutboxError && e.code === 'outbox-full');
    assert.equal(p.queued, 2);
    // The refused receipt is not remembered as queued: a retry is refused again, not reported as already queued.
    await assert.rejects(p.publishReceipt('kiosk-1', receipt(3)), (e: unknown) => e instanceof OutboxError && e.code === 'outbox-full');
  });

  it('bad input is refused before anything is stored', async () => {
    const p = await create({ maxPayloadBytes: 2000 });
    await assert.rejects(p.publishReceipt('a/b', receipt(1)), (e: unknown) => e instanceof JpayValidationError && e.field === 'terminalId');
    await assert.rejects(p.publishReceipt('k', { ...receipt(1), amountAuthorized: -1 }), (e: unknown) => e instanceof JpayValidationError && e.field === 'receipt.amountAuthorized');
    await assert.rejects(p.publishReceipt('k', { ...receipt(1), header: ['x'.repeat(3000)] }), (e: unknown) => e instanceof JpayValidationError && e.field === 'receipt');
    assert.equal(p.queued, 0);
  });

  it('events are dropped (false) while offline; statuses and closing work without a broker', async () => {
    const p = await create({ terminalId: 'kiosk-1', closeTimeoutMs: 200 });
    assert.equal(p.publishEvent('kiosk-1', 'display', { code: '15' }), false);
    assert.throws(() => p.publishEvent('kiosk-1', 'bad type!'), JpayValidationError);
    p.setStatus('kiosk-1', 'busy', 'transaction');
    assert.throws(() => p.setStatus('kiosk-1', 'sleeping' as 'busy'), JpayValidationError);
    await p.close();
    assert.equal(p.state, 'closed');
    await assert.rejects(p.publishReceipt('kiosk-1', receipt(1)), (e: unknown) => e instanceof OutboxError && e.code === 'closed');
  });

  it('options are checked', async () => {
    await assert.rejects(createReceiptPublisher({ journalPath: '' }), (e: unknown) => e instanceof JpayValidationError && e.field === 'journalPath');
    await assert.rejects(createReceiptPublisher({ journalPath, host: '' }), (e: unknown) => e instanceof JpayValidationError && e.field === 'host');
    await assert.rejects(createReceiptPublisher({ journalPath, url: 'http://x' }), (e: unknown) => e instanceof JpayValidationError && e.field === 'url');
    await assert.rejects(createReceiptPublisher({ journalPath, host: 'h', prefix: 'a/#' }), (e: unknown) => e instanceof JpayValidationError && e.field === 'prefix');
    await assert.rejects(createReceiptPublisher({ journalPath, host: 'h', maxQueued: 0 }), (e: unknown) => e instanceof JpayValidationError && e.field === 'maxQueued');
  });
});

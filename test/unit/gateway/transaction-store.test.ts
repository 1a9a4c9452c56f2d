/** The payments' idempotency store on the durable log: synced begin, restart → unknown, damage refused, bounded. */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync, appendFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DurableLogError } from '../../../lib/durable/errors';
import { makeAnswer } from '../../../lib/gateway/answer';
import { fingerprintOf, TransactionStore } from '../../../lib/gateway/transaction-store';
import { errno, FaultyFs } from '../../helpers/faulty-fs';

const approved = (id: string) => makeAnswer({ id, command: 'transaction', terminalId: 'T1' }, 'approved', { status: 'ok', result: { approved: true } });

describe('gateway/transaction-store', () => {
  let dir: string;
  let file: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'jpay-store-'));
    file = path.join(dir, 'payments.log');
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('a begun payment survives a power cut and comes back as "outcome unknown" (gateway-restarted), durably', async () => {
    const fs = new FaultyFs();
    const store = await TransactionStore.open(file, { terminalId: 'T1', fs });
    await store.begin('order-1', 'fp');
    // The payment goes to the terminal now; the power goes out (closing writes nothing: its handles are dead).
    fs.powerCut();
    await store.close();
    const after = await TransactionStore.open(file, { terminalId: 'T1', fs: fs });
    assert.equal(after.interrupted, 1);
    const entry = after.get('order-1');
    assert.equal(entry?.state, 'done');
    assert.deepEqual([entry?.answer?.outcome, entry?.answer?.error?.code, entry?.answer?.id, entry?.fingerprint], ['outcome-unknown', 'gateway-restarted', 'order-1', 'fp']);
    // The conversion itself is durable: another cut, and the answer is still there.
    fs.powerCut();
    await after.close();
    const again = await TransactionStore.open(file, { terminalId: 'T1', fs });
    assert.equal(again.interrupted, 0);
    assert.equal(again.get('order-1')?.answer?.outcome, 'outcome-unknown');
    await again.close();
  });

  it('a finished payment keeps its answer across a power cut', async () => {
    const fs = new FaultyFs();
    const store = await TransactionStore.open(file, { terminalId: 'T1', fs });
    await store.begin('order-2', 'fp');
    await store.finish('order-2', 'fp', approved('order-2'));
    fs.powerCut();
    await store.close();
    const after = await TransactionStore.open(file, { terminalId: 'T1', fs });
    assert.equal(after.get('order-2')?.answer?.outcome, 'approved');
    await after.close();
  });

  it('a full disk refuses the begin (then the payment is not sent) and stores nothing of it', async () => {
    const fs = new FaultyFs();
    const store = await TransactionStore.open(file, { terminalId: 'T1', fs });
    fs.faults = { spaceLimit: 10 };
    await assert.rejects(store.begin('order-3', 'fp'), (e: unknown) => e instanceof DurableLogError && e.code === 'no-space');
    assert.equal(store.get('order-3'), undefined);
    fs.faults = {};
    await store.close();
    const after = await TransactionStore.open(file, { terminalId: 'T1', fs });
    assert.equal(after.get('order-3'), undefined);
    await after.close();
  });

  it('a failing sync refuses the begin', async () => {
    const fs = new FaultyFs();
    const store = await TransactionStore.open(file, { terminalId: 'T1', fs });
    fs.faults = { sync: () => errno('EIO') };
    await assert.rejects(store.begin('order-4', 'fp'));
    assert.equal(store.get('order-4'), undefined);
    await store.close();
  });

  it('a damaged record makes the open fail: a lost id could pay twice', async () => {
    const store = await TransactionStore.open(file, { terminalId: 'T1' });
    await store.begin('order-5', 'fp');
    await store.finish('order-5', 'fp', approved('order-5'));
    await store.close();
    appendFileSync(file, 'not a record at all\n');
    await assert.rejects(TransactionStore.open(file, { terminalId: 'T1' }), (e: unknown) => e instanceof DurableLogError && e.code === 'damaged');
    writeFileSync(file, '{"v":1}\n');
    await assert.rejects(TransactionStore.open(file, { terminalId: 'T1' }));
  });

  it('keeps at most maxEntries finished payments, none older than the retention', async () => {
    let now = Date.parse('2025-01-01T00:00:00Z');
    const store = await TransactionStore.open(file, { terminalId: 'T1', maxEntries: 3, retentionMs: 60_000, now: () => now });
    for (let i = 1; i <= 5; i++) {
      await store.begin(`o${i}`, 'fp');
      await store.finish(`o${i}`, 'fp', approved(`o${i}`));
    }
    await store.close();
    const reopened = await TransactionStore.open(file, { terminalId: 'T1', maxEntries: 3, retentionMs: 60_000, now: () => now });
    assert.deepEqual(['o1', 'o2', 'o3', 'o4', 'o5'].map((id) => reopened.get(id) !== undefined), [false, false, true, true, true]);
    now += 120_000;
    await reopened.close();
    const later = await TransactionStore.open(file, { terminalId: 'T1', maxEntries: 3, retentionMs: 60_000, now: () => now });
    assert.equal(later.size, 0, 'older than the retention: forgotten');
    await later.close();
  });

  it('fingerprints ignore key order and tell other arguments apart', () => {
    assert.equal(fingerprintOf({ a: 1, b: { c: 2, d: 3 } }), fingerprintOf({ b: { d: 3, c: 2 }, a: 1 }));
    assert.notEqual(fingerprintOf({ amount: 100 }), fingerprintOf({ amount: 101 }));
  });
});

/**
 * Issue 11, case 5: the durable files on a disk that really fills up — a small tmpfs (the
 * kernel's own short writes and ENOSPC). Every record reported stored is still there
 * after reopening, nothing merges into a torn record, and reopening a full disk works.
 * The same cases run through the faulty file system in test/unit (always, without root).
 */
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import path from 'node:path';
import { OutboxError } from '../../lib/publish/errors';
import { Outbox } from '../../lib/publish/outbox';
import { JournalError, TransactionJournal, terminalKey } from '../../lib/recovery';
import { mountTmpfs, type Tmpfs } from '../helpers/tmpfs';

const entry = (i: number) => ({ receiptId: `T1-${i}`, terminalId: 'T1', topic: 'jpay/T1/receipt', payload: JSON.stringify({ i, lines: 'x'.repeat(700) }) });

describe('integration: a full disk (tmpfs)', function () {
  let disk: Tmpfs;
  let file: string;
  const opened: { close(): Promise<void> }[] = [];

  beforeEach(function () {
    const mounted = mountTmpfs(64 * 1024);
    if ('cannot' in mounted) this.skip(); // outside CI only: see test/helpers/tmpfs.ts
    disk = mounted as Tmpfs;
    file = path.join(disk.dir, 'outbox.jsonl');
  });
  afterEach(async () => {
    for (const o of opened.splice(0)) await o.close();
    disk?.unmount();
  });

  const openOutbox = async (warn?: (e: Error) => void): Promise<Outbox> => {
    const o = await Outbox.open(file, {}, warn);
    opened.push(o);
    return o;
  };

  it('outbox: every receipt reported stored survives the disk filling up; the refused ones are refused cleanly', async () => {
    const ballast = disk.fill(disk.free() - 16 * 1024); // freed later
    let o = await openOutbox();
    const stored: string[] = [];
    let refusal: unknown;
    for (let i = 0; i < 1000 && refusal === undefined; i++) {
      try {
        stored.push((await o.add(entry(i))).receiptId);
      } catch (error) {
        refusal = error;
      }
    }
    assert.ok(refusal instanceof OutboxError && refusal.code === 'journal-failed', String(refusal));
    assert.ok(stored.length > 10);
    // A burst on the full disk: refused as a whole, and nothing of it merges with what follows.
    const burst = await Promise.allSettled([1, 2, 3].map((k) => o.add(entry(5000 + k))));
    assert.deepEqual(burst.map((r) => r.status), ['rejected', 'rejected', 'rejected']);
    await o.close();

    o = await openOutbox();
    assert.deepEqual(o.pending().map((p) => p.receiptId), stored);
    assert.equal(o.loadReport.corruptLines, 0);
    assert.equal(o.loadReport.tornBytes, 0);
    assert.match((refusal as Error).message, /disk is full.*not stored/);
    // Room again: the next receipt follows cleanly.
    rmSync(ballast);
    const next = await o.add(entry(9999));
    await o.close();
    o = await openOutbox();
    assert.deepEqual(o.pending().map((p) => p.receiptId), [...stored, next.receiptId]);
  });

  it('outbox: reopening on a full disk needs no free space (the rewrite waits for room)', async () => {
    let o = await openOutbox();
    const records = [];
    for (let i = 0; i < 40; i++) records.push(await o.add(entry(i)));
    for (const r of records.slice(0, 35)) await o.ack(r.n);
    await o.add(entry(40)); // acks are written with the next receipt
    const filler = disk.fill();
    await o.close();

    const warnings: Error[] = [];
    o = await openOutbox((e) => warnings.push(e));
    assert.deepEqual(o.pending().map((p) => p.receiptId), ['T1-35', 'T1-36', 'T1-37', 'T1-38', 'T1-39', 'T1-40']);
    assert.ok(warnings.some((w) => /disk is full/.test(w.message)), 'the postponed rewrite is reported');
    const before = o.fileBytes;
    await o.close();

    rmSync(filler);
    o = await openOutbox();
    assert.ok(o.fileBytes < before, 'rewritten once there is room');
    assert.deepEqual(o.pending().map((p) => p.receiptId), ['T1-35', 'T1-36', 'T1-37', 'T1-38', 'T1-39', 'T1-40']);
  });

  it('journal: begin() refuses cleanly on a full disk (nothing is sent), every entry before is intact, reopening works', async () => {
    const journalFile = path.join(disk.dir, 'journal.jsonl');
    const ballast = disk.fill(disk.free() - 16 * 1024);
    let journal = await TransactionJournal.open(journalFile);
    opened.push(journal);
    const start = (amount: number) => ({ request: { type: 'purchase' as const, amount }, host: '10.0.0.5', port: 4433, encrypted: false, annotations: { order: 'x'.repeat(200) } });
    const begun: string[] = [];
    let refusal: unknown;
    for (let i = 1; i < 1000 && refusal === undefined; i++) {
      try {
        begun.push(await journal.begin(start(i)));
      } catch (error) {
        refusal = error;
      }
    }
    assert.ok(refusal instanceof JournalError, String(refusal));
    await assert.rejects(journal.begin(start(5000)), JournalError);
    // Room again, same process: the next entry must not land behind a torn one.
    rmSync(ballast);
    const next = await journal.begin(start(6000));
    await journal.close();

    journal = await TransactionJournal.open(journalFile);
    opened.push(journal);
    assert.deepEqual(journal.unresolved(terminalKey('10.0.0.5', 4433)).map((e) => e.id), [...begun, next]);
    assert.equal(journal.loadReport.tornBytes, 0);
  });
});

import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { OutboxError } from '../../../lib/publish/errors';
import { encodeRecord } from '../../../lib/durable';
import { outboxValue, type StoredReceipt } from '../../../lib/publish/journal-format';
import { Outbox } from '../../../lib/publish/outbox';
import { errno, FaultyFs } from '../../helpers/faulty-fs';

/** A receipt's record in the current format. */
const recordLine = (r: Omit<StoredReceipt, 'bytes'>): string => encodeRecord(String(r.n), outboxValue(r)).line.toString('utf8');
/** Lines of the earlier format (JSON lines without checksums). */
const encodeReceiptLine = (r: Omit<StoredReceipt, 'bytes'>): string => `${JSON.stringify({ n: r.n, id: r.receiptId, tid: r.terminalId, topic: r.topic, payload: r.payload })}\n`;
const encodeAckLine = (n: number): string => `${JSON.stringify({ ack: n })}\n`;
const entry = (i: number) => ({ receiptId: `T1-${i}`, terminalId: 'T1', topic: 'jpay/T1/receipt', payload: JSON.stringify({ i }) });

describe('publish: durable outbox journal', () => {
  let dir: string;
  let file: string;
  const open: Outbox[] = [];
  const openOutbox = async (limits = {}, warn?: (e: Error) => void): Promise<Outbox> => {
    const o = await Outbox.open(file, limits, warn);
    open.push(o);
    return o;
  };
  const reopen = async (o: Outbox, limits = {}): Promise<Outbox> => {
    await o.close();
    return openOutbox(limits);
  };

  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'jpay-outbox-'));
    file = path.join(dir, 'sub', 'journal.log');
  });
  afterEach(async () => {
    for (const o of open.splice(0)) await o.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('a receipt is in the file when add() resolves, and comes back after reopening', async () => {
    let o = await openOutbox();
    const r = await o.add(entry(1));
    assert.equal(r.n, 1);
    assert.equal(readFileSync(file, 'utf8'), recordLine(r));
    o = await reopen(o);
    assert.deepEqual(o.pending().map((p) => p.receiptId), ['T1-1']);
    assert.equal(o.pending()[0].payload, '{"i":1}');
  });

  it('concurrent adds are stored in call order and replayed in that order', async () => {
    let o = await openOutbox();
    const records = await Promise.all(Array.from({ length: 50 }, (_, i) => o.add(entry(i))));
    assert.deepEqual(records.map((r) => r.n), Array.from({ length: 50 }, (_, i) => i + 1));
    o = await reopen(o);
    assert.deepEqual(o.pending().map((p) => p.receiptId), Array.from({ length: 50 }, (_, i) => `T1-${i}`));
  });

  it('acknowledged receipts are not replayed; the rest are, in order', async () => {
    let o = await openOutbox();
    const records = [];
    for (let i = 0; i < 5; i++) records.push(await o.add(entry(i)));
    await o.ack(records[0].n);
    await o.ack(records[2].n);
    o = await reopen(o);
    assert.deepEqual(o.pending().map((p) => p.receiptId), ['T1-1', 'T1-3', 'T1-4']);
    assert.equal(o.loadReport.ackLines, 2);
    // Opening compacted the file to the pending lines.
    assert.equal(readFileSync(file, 'utf8').split('\n').filter(Boolean).length, 3);
    const next = await o.add(entry(9));
    assert.equal(next.n, 6, 'numbering continues after the highest seen');
  });

  it('the journal is truncated once everything is acknowledged', async () => {
    const o = await openOutbox();
    const records = await Promise.all([o.add(entry(1)), o.add(entry(2))]);
    assert.ok(statSync(file).size > 0);
    await Promise.all(records.map((r) => o.ack(r.n)));
    await o.close();
    assert.equal(statSync(file).size, 0);
    assert.equal(o.count, 0);
  });

  it('a partly acknowledged journal over compactAtBytes is rewritten to its pending lines', async () => {
    let o = await openOutbox({ compactAtBytes: 1500 });
    const records = [];
    for (let i = 0; i < 40; i++) records.push(await o.add(entry(i)));
    for (const r of records.slice(0, 35)) await o.ack(r.n);
    const pendingBytes = records.slice(35).reduce((sum, r) => sum + r.bytes, 0);
    assert.ok(o.fileBytes < 1500 + 200, `journal stayed at ${o.fileBytes} bytes`);
    assert.ok(statSync(file).size >= pendingBytes);
    o = await reopen(o);
    assert.deepEqual(o.pending().map((p) => p.receiptId), ['T1-35', 'T1-36', 'T1-37', 'T1-38', 'T1-39']);
  });

  it('tolerates a torn last line (power cut mid-append) and keeps appending cleanly', async () => {
    mkdirSync(path.dirname(file), { recursive: true });
    const line1 = encodeReceiptLine({ n: 1, ...entry(1) });
    const line2 = encodeReceiptLine({ n: 2, ...entry(2) });
    writeFileSync(file, line1 + line2 + line2.slice(0, 25).replace('2', '3'));
    let o = await openOutbox();
    assert.equal(o.loadReport.tornBytes, 25);
    assert.deepEqual(o.pending().map((p) => p.receiptId), ['T1-1', 'T1-2']);
    await o.add(entry(3));
    o = await reopen(o);
    assert.deepEqual(o.pending().map((p) => p.receiptId), ['T1-1', 'T1-2', 'T1-3']);
    assert.equal(o.loadReport.tornBytes, 0);
  });

  it('a torn tail of NUL bytes (zero-filled block) is dropped too', async () => {
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, encodeReceiptLine({ n: 1, ...entry(1) }) + '\0'.repeat(64));
    const o = await openOutbox();
    assert.deepEqual(o.pending().map((p) => p.receiptId), ['T1-1']);
    assert.equal(o.loadReport.tornBytes, 64);
  });

  it('skips a corrupt middle line but keeps a copy of the damaged journal', async () => {
    mkdirSync(path.dirname(file), { recursive: true });
    const damaged = encodeReceiptLine({ n: 1, ...entry(1) }) + '{"n":2,"id":garbage\n' + encodeReceiptLine({ n: 3, ...entry(3) }) + encodeAckLine(1);
    writeFileSync(file, damaged);
    const o = await openOutbox();
    assert.deepEqual(o.pending().map((p) => p.receiptId), ['T1-3']);
    assert.equal(o.loadReport.corruptLines, 1);
    assert.ok(o.loadReport.backupPath && existsSync(o.loadReport.backupPath));
    assert.equal(readFileSync(o.loadReport.backupPath, 'utf8'), damaged);
  });

  it('refuses beyond maxQueued with outbox-full, storing nothing, and accepts again after an ack', async () => {
    const o = await openOutbox({ maxQueued: 2 });
    const a = await o.add(entry(1));
    await o.add(entry(2));
    const size = statSync(file).size;
    await assert.rejects(o.add(entry(3)), (e: unknown) => e instanceof OutboxError && e.code === 'outbox-full' && /not stored/.test(e.message));
    assert.equal(statSync(file).size, size);
    await o.ack(a.n);
    await o.add(entry(3));
    assert.deepEqual(o.pending().map((p) => p.receiptId), ['T1-2', 'T1-3']);
  });

  it('refuses beyond maxQueuedBytes', async () => {
    const lineBytes = recordLine({ n: 1, ...entry(1) }).length;
    const o = await openOutbox({ maxQueuedBytes: lineBytes * 2 + 10 });
    await o.add(entry(1));
    await assert.rejects(
      Promise.all([o.add(entry(2)), o.add(entry(3))]),
      (e: unknown) => e instanceof OutboxError && e.code === 'outbox-full',
    );
    assert.ok(o.bytes <= lineBytes * 2 + 10);
    assert.equal(o.count, 2);
  });

  it('one journal file is one writer: a second open in the process is refused', async () => {
    await openOutbox();
    await assert.rejects(Outbox.open(file), (e: unknown) => e instanceof OutboxError && e.code === 'journal-in-use');
  });

  it('a journal path that cannot be a file is a journal-failed error', async () => {
    mkdirSync(file, { recursive: true });
    await assert.rejects(Outbox.open(file), (e: unknown) => e instanceof OutboxError && e.code === 'journal-failed');
    // The failed open does not hold the path.
    rmSync(file, { recursive: true });
    await openOutbox();
  });

  it('add after close is refused with closed', async () => {
    const o = await openOutbox();
    await o.close();
    await assert.rejects(o.add(entry(1)), (e: unknown) => e instanceof OutboxError && e.code === 'closed');
  });

  describe('checksums, power cuts and a full disk (faulty file system)', () => {
    let fs: FaultyFs;
    const openWith = async (limits = {}, warn?: (e: Error) => void): Promise<Outbox> => {
      const o = await Outbox.open(file, { ...limits, fs }, warn);
      open.push(o);
      return o;
    };
    /** The power fails: files go back to what was synced; the outbox object is abandoned. */
    const powerCut = async (): Promise<void> => {
      fs.powerCut();
      for (const o of open.splice(0)) await o.close();
      fs.faults = {};
    };

    beforeEach(() => {
      fs = new FaultyFs();
    });

    it('an edited record (amount 10005 → 90005) is quarantined and reported, never loaded for publishing', async () => {
      let o = await openWith();
      await o.add({ ...entry(1), payload: JSON.stringify({ amountAuthorized: 10005 }) });
      await o.add(entry(2));
      await o.close();
      writeFileSync(file, readFileSync(file, 'utf8').replace('10005', '90005'));
      o = await openWith();
      assert.deepEqual(o.pending().map((p) => p.receiptId), ['T1-2']);
      assert.equal(o.loadReport.corruptLines, 1);
      assert.equal(o.loadReport.backupPath, `${file}.quarantine`);
      assert.match(readFileSync(`${file}.quarantine`, 'utf8'), /90005/);
      assert.doesNotMatch(readFileSync(file, 'utf8'), /90005|10005/, 'the journal was rewritten without it');
    });

    it('every receipt add() resolved survives a power cut (each add is fdatasync’d before it resolves)', async () => {
      const o = await openWith();
      const syncs = fs.syncs(file);
      for (let i = 1; i <= 3; i++) await o.add(entry(i));
      assert.equal(fs.syncs(file) - syncs, 3, 'one sync per receipt added one at a time');
      await Promise.all([4, 5, 6].map((i) => o.add(entry(i))));
      await powerCut();
      assert.deepEqual((await openWith()).pending().map((p) => p.receiptId), ['T1-1', 'T1-2', 'T1-3', 'T1-4', 'T1-5', 'T1-6']);
    });

    it('an ack is not synced on its own; the next add makes it durable', async () => {
      const o = await openWith();
      const a = await o.add(entry(1));
      const syncs = fs.syncs(file);
      await o.ack(a.n);
      assert.equal(fs.syncs(file), syncs, 'no sync for the ack');
      await o.add(entry(2));
      await powerCut();
      assert.deepEqual((await openWith()).pending().map((p) => p.receiptId), ['T1-2']);
    });

    it('after a compaction, receipts added later survive a power cut', async () => {
      const o = await openWith({ compactAtBytes: 1500 });
      const records = [];
      for (let i = 0; i < 20; i++) records.push(await o.add(entry(i)));
      for (const r of records.slice(0, 18)) await o.ack(r.n);
      assert.ok(o.fileBytes < 1500);
      await o.add(entry(20));
      await powerCut();
      assert.deepEqual((await openWith()).pending().map((p) => p.receiptId), ['T1-18', 'T1-19', 'T1-20']);
    });

    it('disk full with short writes: the add rejects, nothing stored before it is lost, nothing merges after it', async () => {
      let o = await openWith();
      await o.add(entry(1));
      fs.faults = { maxWrite: 16, spaceLimit: fs.used() + 90 };
      await assert.rejects(o.add(entry(2)), (e: unknown) => e instanceof OutboxError && e.code === 'journal-failed' && /disk is full.*not stored/.test(e.message));
      fs.faults = {};
      await o.add(entry(3));
      await o.close();
      o = await openWith();
      assert.deepEqual(o.pending().map((p) => p.receiptId), ['T1-1', 'T1-3']);
      assert.equal(o.loadReport.corruptLines + o.loadReport.tornBytes, 0);
    });

    it('a failed sync rejects the add and every later one until the outbox is reopened', async () => {
      let o = await openWith();
      await o.add(entry(1));
      fs.faults = { sync: () => errno('EIO', 'I/O error') };
      await assert.rejects(o.add(entry(2)), (e: unknown) => e instanceof OutboxError && e.code === 'journal-failed');
      fs.faults = {};
      await assert.rejects(o.add(entry(3)), (e: unknown) => e instanceof OutboxError && e.code === 'journal-failed' && /failed earlier/.test(e.message));
      await o.close();
      o = await openWith();
      assert.deepEqual(o.pending().map((p) => p.receiptId), ['T1-1']);
      await o.add(entry(4));
    });

    it('a journal of the earlier format is migrated on open: pending receipts kept, in order, durably', async () => {
      mkdirSync(path.dirname(file), { recursive: true });
      writeFileSync(file, [1, 2, 3].map((i) => encodeReceiptLine({ n: i, ...entry(i) })).join('') + encodeAckLine(2));
      let o = await openWith();
      assert.equal(o.loadReport.migrated, true);
      assert.deepEqual(o.pending().map((p) => [p.n, p.receiptId]), [
        [1, 'T1-1'],
        [3, 'T1-3'],
      ]);
      assert.equal(readFileSync(file, 'utf8'), recordLine({ n: 1, ...entry(1) }) + recordLine({ n: 3, ...entry(3) }));
      const next = await o.add(entry(4));
      assert.equal(next.n, 4);
      await powerCut();
      o = await openWith();
      assert.equal(o.loadReport.migrated, false);
      assert.deepEqual(o.pending().map((p) => p.receiptId), ['T1-1', 'T1-3', 'T1-4']);
    });
  });
});

import assert from 'node:assert/strict';
import { appendFile, mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { TransactionOutcomeUnknown } from '../../../lib/errors';
import type { TransactionStart } from '../../../lib/client/transaction-hooks';
import { JournalError, TransactionJournal, receiptRef, terminalKey } from '../../../lib/recovery';
import type { Receipt, TransactionResult } from '../../../lib/protocol/types';
import { scanRecords } from '../../../lib/durable';
import { encodeRecord } from '../../../lib/durable/record';
import { errno, FaultyFs } from '../../helpers/faulty-fs';

const HOST = '10.0.0.5';
const PORT = 4433;
const TERMINAL = terminalKey(HOST, PORT);

function start(amount: number, annotations: TransactionStart['annotations'] = {}): TransactionStart {
  return { request: { type: 'purchase', amount }, host: HOST, port: PORT, encrypted: false, annotations };
}

function receipt(seq: string, amount: number, approved = true): Receipt {
  return {
    header: [],
    footer: [],
    seq,
    rrn: `R${seq}`,
    type: 'purchase',
    tid: '10000001',
    approved,
    tstatus: approved ? 'approved' : 'declined',
    amountAuthorized: amount,
    datetime: '2026-01-02T10:00:00',
  };
}

function answer(r: Receipt): TransactionResult {
  return { status: 'ok', ok: true, errors: [], approved: r.approved, receipt: r };
}

function lost(amount: number): TransactionOutcomeUnknown {
  return new TransactionOutcomeUnknown('awaiting-response', { type: 'purchase', amount, host: HOST, port: PORT, sentAt: new Date().toISOString(), lastDisplayCode: 'D4' });
}

/** The journal's records, as stored (current format: the values of the durable log's lines). */
async function lines(file: string): Promise<Record<string, unknown>[]> {
  return scanRecords(await readFile(file)).records.map((r) => r.value as Record<string, unknown>);
}

describe('recovery/TransactionJournal: the durable in-flight journal', () => {
  let dir: string;
  let file: string;
  let journal: TransactionJournal | undefined;

  beforeEach(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'jpay-journal-'));
    file = path.join(dir, 'sub', 'journal.jsonl');
  });

  afterEach(async () => {
    await journal?.close();
    journal = undefined;
    await rm(dir, { recursive: true, force: true });
  });

  it('has the begin record on disk when begin() resolves, with no card data', async () => {
    journal = await TransactionJournal.open(file);
    const id = await journal.begin({
      request: { type: 'purchase', amount: 1500, manual: true },
      host: HOST,
      port: PORT,
      encrypted: true,
      annotations: { run: 7 },
    });
    const written = await lines(file);
    assert.equal(written.length, 1);
    assert.deepEqual(
      { op: written[0].op, id: written[0].id, terminal: written[0].terminal, request: written[0].request, annotations: written[0].annotations },
      { op: 'begin', id, terminal: TERMINAL, request: { type: 'purchase', amount: 1500, manual: true }, annotations: { run: 7 } },
    );
    assert.equal((await stat(file)).mode & 0o777, 0o600, 'only the owner reads the journal');
    assert.ok(journal.isLive(id));
    assert.deepEqual(journal.unresolved(TERMINAL), [], 'in flight in this process: not a leftover');
  });

  it('keeps an unknown outcome unresolved across a restart, and an answered one resolved', async () => {
    journal = await TransactionJournal.open(file);
    const a = await journal.begin(start(1000));
    await journal.answered(a, answer(receipt('000001', 1000)));
    const b = await journal.begin(start(2000));
    await journal.unknown(b, lost(2000));
    const c = await journal.begin(start(3000)); // the process dies here: never settled
    await journal.close();

    journal = await TransactionJournal.open(file);
    const open = journal.unresolved(TERMINAL).map((e) => [e.id, e.state]);
    assert.deepEqual(open, [
      [b, 'unknown'],
      [c, 'in-flight'],
    ]);
    assert.equal(journal.get(b)?.lastDisplayCode, 'D4');
    assert.equal(journal.get(b)?.anchor?.seq, '000001', 'the receipt seen before it began is its anchor');
    assert.equal(journal.get(a)?.state, 'answered');
    assert.deepEqual(
      journal.claims(TERMINAL).map((r) => r.seq),
      ['000001'],
    );
  });

  it('records a recovery decision and a manual resolution; ambiguous needs review but does not block', async () => {
    journal = await TransactionJournal.open(file);
    const a = await journal.begin(start(1000));
    await journal.unknown(a, lost(1000));
    await journal.recovered(a, { outcome: 'ambiguous', at: new Date().toISOString(), candidates: 2, reason: 'several-candidates' });
    assert.deepEqual(journal.unresolved(TERMINAL), []);
    assert.deepEqual(journal.needsReview(TERMINAL).map((e) => e.id), [a]);
    await journal.resolveManually(a, 'approved', 'checked with the bank');
    assert.deepEqual(journal.needsReview(TERMINAL), []);
    await journal.close();
    journal = await TransactionJournal.open(file);
    assert.equal(journal.get(a)?.recovery?.manual, true);
    assert.equal(journal.get(a)?.recovery?.outcome, 'approved');
  });

  it('cuts off a torn last line (an unacknowledged write) and goes on appending cleanly', async () => {
    journal = await TransactionJournal.open(file);
    const a = await journal.begin(start(1000));
    await journal.close();
    await appendFile(file, '{"v":1,"op":"answered","id":"');
    journal = await TransactionJournal.open(file);
    assert.equal(journal.get(a)?.state, 'in-flight');
    const b = await journal.begin(start(2000));
    await journal.close();
    const written = await lines(file);
    assert.deepEqual(
      written.map((l) => l.id),
      [a, b],
    );
    journal = await TransactionJournal.open(file);
    assert.equal(journal.list().length, 2);
  });

  it('keeps a complete last record that lost only its newline', async () => {
    const flat = path.join(dir, 'flat.jsonl');
    journal = await TransactionJournal.open(flat);
    const a = await journal.begin(start(1000));
    await journal.close();
    const text = await readFile(flat, 'utf8');
    await writeFile(flat, text.slice(0, -1));
    journal = await TransactionJournal.open(flat);
    const b = await journal.begin(start(2000));
    assert.deepEqual(
      (await lines(flat)).map((l) => l.id),
      [a, b],
    );
  });

  it('refuses a file corrupt in the middle instead of dropping records', async () => {
    const bad = path.join(dir, 'bad.jsonl');
    await writeFile(bad, '{"v":1,"op":"begin","id":"x","terminal":"t","request":{"type":"purchase"}}\nnot json\n{"v":1,"op":"anchor"}\n');
    await assert.rejects(TransactionJournal.open(bad), (e: unknown) => e instanceof JournalError && /corrupt at line 2/.test(e.message));
    await writeFile(bad, '{"v":2,"op":"begin"}\n{"v":1,"op":"anchor"}\n');
    await assert.rejects(TransactionJournal.open(bad), /not a version 1 journal record/);
  });

  it('reads version 1 records (their `node` annotation is the owner) and refuses a newer version rather than misread it', async () => {
    await mkdir(path.dirname(file), { recursive: true });
    const v1 = { v: 1, seq: 1, op: 'answered', at: '2026-01-01T10:00:01.000Z', id: 'a', terminal: TERMINAL, request: { type: 'purchase', amount: 100 }, annotations: { node: 'n1' }, begunAt: '2026-01-01T10:00:00.000Z', state: 'answered', status: 'ok', approved: true };
    await writeFile(file, encodeRecord('e:a', v1).line);
    journal = await TransactionJournal.open(file);
    assert.equal(journal.get('a')?.annotations.owner, 'n1');
    assert.equal(journal.get('a')?.delivery, undefined, 'version 1 knew no delivery: delivered');
    await journal.close();
    journal = undefined;
    await appendFile(file, encodeRecord('e:b', { ...v1, v: 3, id: 'b' }).line);
    await assert.rejects(TransactionJournal.open(file), (e: unknown) => e instanceof JournalError && /newer/.test(e.message));
    const v1WithDelivery = { ...v1, id: 'c', delivery: 'pending' };
    await writeFile(file, encodeRecord('e:c', v1WithDelivery).line);
    await assert.rejects(TransactionJournal.open(file), JournalError, 'a version 1 record never carries a delivery state');
  });

  it('compacts to what still matters: open entries, recent claims and the anchor', async () => {
    let now = Date.parse('2026-01-01T00:00:00Z');
    const clock = { now: () => new Date(now) };
    journal = await TransactionJournal.open(file, clock);
    const old = await journal.begin(start(1000));
    await journal.answered(old, answer(receipt('000001', 1000)));
    const open = await journal.begin(start(2000));
    await journal.unknown(open, lost(2000));
    now += 30 * 86_400_000;
    const recent = await journal.begin(start(3000));
    await journal.answered(recent, answer(receipt('000003', 3000)));
    await journal.compact();
    assert.equal(journal.get(old), undefined, 'an old resolved entry goes');
    await journal.close();

    journal = await TransactionJournal.open(file, clock);
    assert.deepEqual(journal.unresolved(TERMINAL).map((e) => e.id), [open]);
    assert.equal(journal.get(recent)?.receipt?.seq, '000003');
    assert.equal(journal.anchor(TERMINAL)?.seq, '000003');
    assert.equal((await lines(file)).length, 2, 'one record per kept entry (the open one, the recent one); the recent one carries the anchor');
  });

  it('compacts on open above the line limit', async () => {
    // A frozen clock: an entry begun this very millisecond is already older than keepResolvedMs 0.
    const frozen = { now: () => new Date('2026-01-01T00:00:00Z') };
    journal = await TransactionJournal.open(file, { ...frozen, compactAbove: 4, keepResolvedMs: 0 });
    for (let i = 1; i <= 3; i++) {
      const id = await journal.begin(start(i * 100));
      await journal.answered(id, answer(receipt(String(i).padStart(6, '0'), i * 100)));
    }
    await journal.close();
    journal = await TransactionJournal.open(file, { ...frozen, compactAbove: 4, keepResolvedMs: 0 });
    assert.equal(journal.list().length, 0);
    assert.equal(journal.anchor(TERMINAL)?.seq, '000003', 'the anchor survives');
    assert.equal((await lines(file)).length, 1);
  });

  it('takes receipts that can be found in the bank log as anchors, never a MIFARE one', () => {
    assert.equal(receiptRef({ ...receipt('000004', 10), iface: 'mifare' }), undefined);
    assert.equal(receiptRef(undefined), undefined);
    assert.deepEqual(receiptRef(receipt('000004', 10)), {
      approved: true,
      seq: '000004',
      rrn: 'R000004',
      time: '2026-01-02T10:00:00',
      type: 'purchase',
      amount: 10,
      tid: '10000001',
    });
  });

  it('runs exclusive work one at a time per terminal', async () => {
    journal = await TransactionJournal.open(file);
    const order: string[] = [];
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const first = journal.exclusive(TERMINAL, async () => {
      order.push('first:start');
      await gate;
      order.push('first:end');
    });
    const second = journal.exclusive(TERMINAL, async () => {
      order.push('second');
    });
    const other = journal.exclusive('other:1', async () => {
      order.push('other');
    });
    await other;
    release();
    await Promise.all([first, second]);
    assert.deepEqual(order, ['first:start', 'other', 'first:end', 'second']);
  });

  it('rejects writes after close', async () => {
    journal = await TransactionJournal.open(file);
    await journal.close();
    await assert.rejects(journal.begin(start(1)), JournalError);
  });

  describe('durability (faulty file system), migration, and the cost per sale', () => {
    let fs: FaultyFs;
    const openWith = (options: Parameters<typeof TransactionJournal.open>[1] = {}): Promise<TransactionJournal> => TransactionJournal.open(file, { fs, ...options });
    /** The power fails; the journal object of the dead process is abandoned. */
    const powerCut = async (): Promise<void> => {
      fs.powerCut();
      await journal?.close();
      journal = undefined;
    };

    beforeEach(() => {
      fs = new FaultyFs();
    });

    it('a begun transaction survives a power cut right after begin() resolved (begin is fdatasync’d)', async () => {
      journal = await openWith();
      const syncs = fs.syncs(file);
      const id = await journal.begin(start(1000));
      assert.equal(fs.syncs(file) - syncs, 1);
      await powerCut();
      journal = await openWith();
      assert.deepEqual(journal.unresolved(TERMINAL).map((e) => [e.id, e.state]), [[id, 'in-flight']]);
    });

    it('an answer is synced before it resolves: a delivered result is never found in flight after a power cut', async () => {
      journal = await openWith();
      const a = await journal.begin(start(1000));
      const syncs = fs.syncs(file);
      await journal.answered(a, answer(receipt('000001', 1000)));
      assert.equal(fs.syncs(file) - syncs, 1);
      await powerCut();
      journal = await openWith();
      assert.equal(journal.get(a)?.state, 'answered');
      assert.deepEqual(journal.unresolved(TERMINAL), []);
      assert.equal(journal.anchor(TERMINAL)?.seq, '000001');
    });

    it('a lost answer is written at once and synced with the next step: a power cut before that leaves the entry in flight, unresolved all the same', async () => {
      journal = await openWith();
      const a = await journal.begin(start(1000));
      const syncs = fs.syncs(file);
      await journal.unknown(a, lost(1000));
      assert.equal(fs.syncs(file), syncs, 'no sync of its own');
      await powerCut();
      journal = await openWith();
      assert.deepEqual(journal.unresolved(TERMINAL).map((e) => [e.id, e.state]), [[a, 'in-flight']]);
      await journal.unknown(a, lost(1000));
      await journal.begin(start(2000));
      await powerCut();
      journal = await openWith();
      assert.equal(journal.get(a)?.state, 'unknown', 'synced by the next begin');
    });

    it('a recovery decision is synced before it resolves', async () => {
      journal = await openWith();
      const a = await journal.begin(start(1000));
      await journal.unknown(a, lost(1000));
      await journal.recovered(a, { outcome: 'declined-or-not-recorded', at: new Date().toISOString(), candidates: 0 });
      await powerCut();
      journal = await openWith();
      assert.equal(journal.get(a)?.state, 'recovered');
    });

    it('an answer kept for its owner is kept in the same synced write as the answer; each delivery step is synced', async () => {
      journal = await openWith();
      const a = await journal.begin(start(1000, { owner: 'node-1' }));
      let syncs = fs.syncs(file);
      await journal.answered(a, answer(receipt('000001', 1000)), { undelivered: true });
      assert.equal(fs.syncs(file) - syncs, 1, 'answered, not delivered: one write, one sync');
      await powerCut();
      journal = await openWith();
      assert.equal(journal.get(a)?.delivery, 'pending');
      assert.deepEqual(journal.awaitingDelivery('node-1').map((e) => e.id), [a]);
      for (const state of ['attempted', 'delivered'] as const) {
        syncs = fs.syncs(file);
        assert.equal(await journal.setDelivery(a, state), true);
        assert.equal(fs.syncs(file) - syncs, 1, state);
        await powerCut();
        journal = await openWith();
        assert.equal(journal.get(a)?.delivery, state);
      }
      assert.deepEqual(journal.awaitingDelivery(), []);
      const noOwner = await journal.begin(start(2000));
      await journal.answered(noOwner, answer(receipt('000002', 2000)), { undelivered: true });
      assert.equal(journal.get(noOwner)?.delivery, undefined, 'an entry without an owner is delivered to its caller');
      assert.equal(await journal.setDelivery(noOwner, 'pending'), false);
    });

    it('the receipt watermark goes to disk with the next synced step, without a sync of its own', async () => {
      journal = await openWith();
      const a = await journal.begin(start(1000));
      const syncs = fs.syncs(file);
      await journal.saveWatermark(TERMINAL, { marks: { 'card:10000001': { seq: 1, time: '2026-01-02T10:00:00' } } });
      assert.equal(fs.syncs(file), syncs, 'deferred');
      await journal.answered(a, answer(receipt('000001', 1000)));
      await powerCut();
      journal = await openWith();
      assert.deepEqual(journal.watermark(TERMINAL), { marks: { 'card:10000001': { seq: 1, time: '2026-01-02T10:00:00' } } });
      const records = await lines(file);
      assert.deepEqual(records.map((r) => [r.op, r.v]), [['begin', 2], ['watermark', 2], ['answered', 2]]);
    });

    it('a full disk: begin() rejects (the transaction is never sent) and nothing stored before is lost', async () => {
      journal = await openWith();
      const a = await journal.begin(start(1000));
      await journal.unknown(a, lost(1000));
      fs.faults = { spaceLimit: fs.used() + 40, maxWrite: 25 };
      await assert.rejects(journal.begin(start(2000)), (e: unknown) => e instanceof JournalError && /disk is full/.test(e.message));
      fs.faults = {};
      const b = await journal.begin(start(3000));
      await journal.close();
      journal = await openWith();
      assert.deepEqual(journal.list().map((e) => e.id), [a, b]);
    });

    it('opens on a full disk even when it is due for compaction (the compaction waits)', async () => {
      journal = await openWith();
      for (let i = 0; i < 6; i++) {
        const id = await journal.begin(start(i + 1));
        await journal.answered(id, answer(receipt(String(i + 1).padStart(6, '0'), i + 1)));
      }
      const open = await journal.begin(start(99));
      await journal.close();
      fs.faults = { spaceLimit: 0 };
      const warnings: string[] = [];
      journal = await openWith({ compactAbove: 2, keepResolvedMs: 0, warn: (m) => warnings.push(m) });
      assert.deepEqual(journal.unresolved(TERMINAL).map((e) => e.id), [open]);
      assert.match(warnings.join('\n'), /compaction postponed.*disk is full/);
    });

    it('a failed sync refuses every later begin until the journal is reopened', async () => {
      journal = await openWith();
      fs.faults = { sync: () => errno('EIO') };
      await assert.rejects(journal.begin(start(1000)), JournalError);
      fs.faults = {};
      await assert.rejects(journal.begin(start(1000)), (e: unknown) => e instanceof JournalError && /reopened/.test(e.message));
    });

    it('an edited record (amount 10005 → 90005) makes the open fail, naming the line; the file is left as it is', async () => {
      journal = await openWith();
      const a = await journal.begin(start(10005));
      await journal.unknown(a, lost(10005));
      await journal.close();
      journal = undefined;
      const edited = (await readFile(file, 'utf8')).replace('10005', '90005');
      await writeFile(file, edited);
      await assert.rejects(openWith(), (e: unknown) => e instanceof JournalError && /line 1 does not match its checksum/.test(e.message));
      assert.equal(await readFile(file, 'utf8'), edited);
    });

    it('zero bytes where unsynced records were (a power cut) are skipped with a warning; the entry stays in flight', async () => {
      journal = await openWith();
      const a = await journal.begin(start(1000));
      await journal.close();
      journal = undefined;
      await appendFile(file, '\0'.repeat(300) + '\n');
      const warnings: string[] = [];
      journal = await openWith({ warn: (m) => warnings.push(m) });
      assert.deepEqual(journal.unresolved(TERMINAL).map((e) => e.id), [a]);
      assert.match(warnings.join('\n'), /300 zero bytes skipped/);
    });

    it('opens a journal of the earlier format: unresolved entries, claims and the anchor are kept; the file is rewritten', async () => {
      await mkdir(path.dirname(file), { recursive: true });
      const old = [
        { v: 1, op: 'begin', id: 'a', at: '2026-01-01T10:00:00.000Z', terminal: TERMINAL, request: { type: 'purchase', amount: 100 }, annotations: { node: 'n1' } },
        { v: 1, op: 'answered', id: 'a', at: '2026-01-01T10:00:01.000Z', status: 'ok', approved: true, receipt: { seq: '000007', rrn: 'R7', approved: true, tid: '10000001' } },
        { v: 1, op: 'begin', id: 'b', at: '2026-01-01T10:01:00.000Z', terminal: TERMINAL, request: { type: 'purchase', amount: 200 }, annotations: {}, anchor: { seq: '000007' } },
        { v: 1, op: 'unknown', id: 'b', at: '2026-01-01T10:01:30.000Z', phase: 'awaiting-response', lastDisplayCode: 'D4' },
        { v: 1, op: 'begin', id: 'c', at: '2026-01-01T10:02:00.000Z', terminal: TERMINAL, request: { type: 'purchase', amount: 300 }, annotations: {} },
      ];
      await writeFile(file, old.map((l) => `${JSON.stringify(l)}\n`).join(''));
      journal = await openWith();
      assert.equal(journal.loadReport.migrated, true);
      assert.deepEqual(journal.unresolved(TERMINAL).map((e) => [e.id, e.state, e.lastDisplayCode]), [
        ['b', 'unknown', 'D4'],
        ['c', 'in-flight', undefined],
      ]);
      assert.deepEqual(journal.claims(TERMINAL).map((r) => r.seq), ['000007']);
      assert.equal(journal.anchor(TERMINAL)?.seq, '000007');
      assert.match(await readFile(file, 'utf8'), /^[0-9a-f]{8} \{"k":"e:a"/);
      await journal.close();
      journal = await openWith();
      assert.equal(journal.loadReport.migrated, false);
      assert.deepEqual(journal.unresolved(TERMINAL).map((e) => e.id), ['b', 'c']);
    });

    it('the unresolved index always agrees with the entries (random steps over three terminals)', async () => {
      journal = await openWith();
      const j = journal;
      const ports = [1, 2, 3];
      let seed = 7;
      const rand = (n: number): number => (seed = (seed * 1103515245 + 12345) % 2 ** 31) % n;
      const ids: string[] = [];
      for (let step = 0; step < 150; step++) {
        const open = ids.filter((id) => j.get(id)?.state === 'in-flight' && j.isLive(id));
        const r = rand(5);
        if (r === 0 || open.length === 0) ids.push(await j.begin({ ...start(step + 1), port: ports[rand(3)] }));
        else if (r === 1) await j.answered(open[0], answer(receipt(String(step).padStart(6, '0'), step)));
        else if (r === 2) await j.unknown(open[0], lost(step));
        else if (r === 3) await j.notSent(open[0], 'refused');
        else {
          const unknown = j.unresolved()[0];
          if (unknown) await j.recovered(unknown.id, { outcome: rand(2) ? 'ambiguous' : 'approved', at: new Date().toISOString(), candidates: 1 });
        }
        for (const port of ports) {
          const t = terminalKey(HOST, port);
          const all = j.list(t);
          assert.deepEqual(j.unresolved(t).map((e) => e.id), all.filter((e) => (e.state === 'unknown' || e.state === 'in-flight') && !j.isLive(e.id)).map((e) => e.id));
          assert.deepEqual(j.needsReview(t).map((e) => e.id), all.filter((e) => e.state === 'recovered' && e.recovery?.outcome === 'ambiguous').map((e) => e.id));
        }
      }
    });

    it('compacts while running: old resolved entries are dropped and the file stays bounded, the anchor kept', async () => {
      let now = Date.parse('2026-01-01T00:00:00Z');
      journal = await openWith({ now: () => new Date(now), keepResolvedMs: 10 * 60_000, compactAtBytes: 8 * 1024 });
      const open = await journal.begin(start(1));
      await journal.unknown(open, lost(1));
      let largest = 0;
      for (let i = 1; i <= 300; i++) {
        now += 60_000;
        const id = await journal.begin(start(i * 10));
        await journal.answered(id, answer(receipt(String(i).padStart(6, '0'), i * 10)));
        largest = Math.max(largest, (await stat(file)).size);
      }
      assert.ok(largest < 24 * 1024, `the file reached ${largest} bytes`);
      assert.ok(journal.list().length <= 13, `${journal.list().length} entries kept`);
      assert.deepEqual(journal.unresolved(TERMINAL).map((e) => e.id), [open], 'an open entry is never dropped');
      await journal.close();
      journal = await openWith({ now: () => new Date(now) });
      assert.equal(journal.anchor(TERMINAL)?.seq, '000300');
      assert.deepEqual(journal.unresolved(TERMINAL).map((e) => e.id), [open]);
    });
  });
});

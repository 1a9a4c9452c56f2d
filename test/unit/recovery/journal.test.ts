import assert from 'node:assert/strict';
import { appendFile, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { TransactionOutcomeUnknown } from '../../../lib/errors';
import type { TransactionStart } from '../../../lib/client/transaction-hooks';
import { JournalError, TransactionJournal, receiptRef, terminalKey } from '../../../lib/recovery';
import type { Receipt, TransactionResult } from '../../../lib/protocol/types';

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

async function lines(file: string): Promise<Record<string, unknown>[]> {
  return (await readFile(file, 'utf8'))
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as Record<string, unknown>);
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
    assert.equal((await lines(file)).length, 5, 'begin+unknown, begin+answered, anchor');
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
});

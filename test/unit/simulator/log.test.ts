import assert from 'node:assert/strict';
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { scanRecords } from '../../../lib/durable';
import { TransactionLog, type LogRecord } from '../../../lib/simulator/log';
import { FaultyFs } from '../../helpers/faulty-fs';

function record(seq: number, overrides: Partial<LogRecord> = {}): LogRecord {
  return {
    seq,
    kind: 'card',
    operation: 'purchase',
    tstatus: 'approved',
    amount: 12300,
    currency: '643',
    datetime: '2024-05-01T12:00:00',
    tid: '10000001',
    mid: '000000000000123',
    rrn: '412300000001',
    authNumber: 'ABC123',
    respCode: '000',
    entry: 'contactless',
    tvr: '0000000000',
    tsi: 'E800',
    reversedAmount: 0,
    ...overrides,
  };
}

describe('simulator transaction log', () => {
  let dir: string;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'jpay-sim-log-'));
  });

  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('numbers card and SBP receipts separately', async () => {
    const log = await TransactionLog.open(undefined, '12345678');
    assert.equal(log.takeSeq('card'), 1);
    assert.equal(log.takeSeq('card'), 2);
    assert.equal(log.takeSeq('sbp'), 1);
    assert.equal(log.persistent, false);
  });

  it('checks the password by hash and changes it', async () => {
    const log = await TransactionLog.open(undefined, '12345678');
    assert.equal(log.checkPassword('12345678'), true);
    assert.equal(log.checkPassword('87654321'), false);
    await log.setPassword('87654321');
    assert.equal(log.checkPassword('87654321'), true);
    assert.equal(log.checkPassword('12345678'), false);
  });

  it('applies a reversal to its original and finds records by number, rrn and last', async () => {
    const log = await TransactionLog.open(undefined, '12345678');
    await log.append(record(1));
    await log.append(record(2, { operation: 'purchase-reversal', amount: 300, originalSeq: 1, rrn: '412300000002' }));
    assert.equal(log.find('card', 1)?.reversedAmount, 300);
    assert.equal(log.last('card')?.seq, 2);
    assert.equal(log.findByRrn('card', '412300000001')?.seq, 1);
    assert.equal(log.findByRrn('card', 'nope'), undefined);
  });

  it('survives a restart when persisted, without temp files left behind and without full PANs', async () => {
    const file = join(dir, 'log.json');
    const first = await TransactionLog.open(file, '12345678');
    first.takeSeq('card');
    await first.append(record(1, { card: { pan: '************1111', aed: '301231', aid: 'A0000000031010', appname: 'VISA', rid: 'A000000003', scheme: 'VISA', cvm: 'no' } }));
    await first.setPassword('11112222');
    await first.flush();
    await first.close();
    const second = await TransactionLog.open(file, '12345678');
    assert.equal(second.size, 1);
    assert.equal(second.list()[0].card?.pan, '************1111');
    assert.equal(second.takeSeq('card'), 2, 'numbering continues');
    assert.equal(second.checkPassword('11112222'), true, 'the changed password survives');
    assert.deepEqual((await readdir(dir)).sort(), ['log.json']);
    assert.doesNotMatch(await readFile(file, 'utf8'), /4111111111111111|11112222/);
    await second.close();
  });

  it('empties the log and advances the batch', async () => {
    const log = await TransactionLog.open(join(dir, 'l.json'), '12345678');
    await log.append(record(1));
    assert.equal(await log.empty(), 1);
    assert.equal(log.size, 0);
    assert.equal(log.batch, 2);
    await log.close();
  });

  it('refuses a file that is not a log instead of replacing it', async () => {
    const file = join(dir, 'bad.json');
    await writeFile(file, '{"hello": 1}');
    await assert.rejects(TransactionLog.open(file, '12345678'), /not a jpay-sim log/);
    await writeFile(file, '{oops');
    await assert.rejects(TransactionLog.open(file, '12345678'), /not valid JSON/);
    assert.equal(await readFile(file, 'utf8'), '{oops');
  });

  it('appends one record per transaction (not the whole log) and syncs it before append() resolves', async () => {
    const file = join(dir, 'log.json');
    const log = await TransactionLog.open(file, '12345678');
    for (let i = 1; i <= 50; i++) await log.append(record(i));
    const before = (await readFile(file)).length;
    await log.append(record(51));
    const grown = (await readFile(file)).length - before;
    assert.ok(grown < 1000, `one append wrote ${grown} bytes`);
    await log.append(record(52, { operation: 'purchase-reversal', amount: 300, originalSeq: 51, rrn: '412300000052' }));
    await log.close();
    const again = await TransactionLog.open(file, '12345678');
    assert.equal(again.size, 52);
    assert.equal(again.find('card', 51)?.reversedAmount, 300);
    assert.deepEqual(again.list().map((r) => r.seq), Array.from({ length: 52 }, (_, i) => i + 1));
    assert.equal(await again.empty(), 52);
    await again.append(record(53));
    await again.close();
    const third = await TransactionLog.open(file, '12345678');
    assert.deepEqual(third.list().map((r) => r.seq), [53]);
    assert.equal(third.batch, 2);
    await third.close();
  });

  it('opens a log of the earlier format (one JSON document) and rewrites it: records, numbering and password kept', async () => {
    const file = join(dir, 'old.json');
    const salt = Buffer.from('00112233445566778899aabbccddeeff', 'hex');
    const { createHash } = await import('node:crypto');
    const hash = createHash('sha256').update(salt).update('11112222', 'utf8').digest('hex');
    await writeFile(file, JSON.stringify({ format: 'jpay-sim-log', version: 1, nextSeq: 8, nextSbpSeq: 3, batch: 4, password: { salt: salt.toString('hex'), hash }, records: [record(6), record(7)] }, null, 1));
    const log = await TransactionLog.open(file, '12345678');
    assert.deepEqual(log.list().map((r) => r.seq), [6, 7]);
    assert.equal(log.takeSeq('card'), 8);
    assert.equal(log.takeSeq('sbp'), 3);
    assert.equal(log.batch, 4);
    assert.equal(log.checkPassword('11112222'), true);
    assert.ok(scanRecords(await readFile(file)).records.length >= 3, 'now in the durable-log format');
    await log.close();
  });

  it('refuses a log with an edited record, naming the line, and leaves the file as it is', async () => {
    const file = join(dir, 'log.json');
    const log = await TransactionLog.open(file, '12345678');
    await log.append(record(1, { amount: 10005 }));
    await log.close();
    const edited = (await readFile(file, 'utf8')).replace('10005', '90005');
    await writeFile(file, edited);
    await assert.rejects(TransactionLog.open(file, '12345678'), /log file .*log.json: line 3 does not match its checksum/);
    assert.equal(await readFile(file, 'utf8'), edited);
  });

  it('a recorded transaction and a changed password survive a power cut (each change is synced before the response)', async () => {
    const fs = new FaultyFs();
    const file = join(dir, 'log.json');
    const log = await TransactionLog.open(file, '12345678', { fs });
    log.takeSeq('card');
    await log.append(record(1));
    await log.setPassword('11112222');
    fs.powerCut();
    await log.close();
    const again = await TransactionLog.open(file, '12345678', { fs });
    assert.deepEqual(again.list().map((r) => r.seq), [1]);
    assert.equal(again.takeSeq('card'), 2);
    assert.equal(again.checkPassword('11112222'), true);
    await again.close();
  });
});

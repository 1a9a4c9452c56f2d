import assert from 'node:assert/strict';
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TransactionLog, type LogRecord } from '../../../lib/simulator/log';

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
    const second = await TransactionLog.open(file, '12345678');
    assert.equal(second.size, 1);
    assert.equal(second.list()[0].card?.pan, '************1111');
    assert.equal(second.takeSeq('card'), 2, 'numbering continues');
    assert.equal(second.checkPassword('11112222'), true, 'the changed password survives');
    assert.deepEqual((await readdir(dir)).sort(), ['log.json']);
    assert.doesNotMatch(await readFile(file, 'utf8'), /4111111111111111|11112222/);
  });

  it('empties the log and advances the batch', async () => {
    const log = await TransactionLog.open(join(dir, 'l.json'), '12345678');
    await log.append(record(1));
    assert.equal(await log.empty(), 1);
    assert.equal(log.size, 0);
    assert.equal(log.batch, 2);
  });

  it('refuses a file that is not a log instead of replacing it', async () => {
    const file = join(dir, 'bad.json');
    await writeFile(file, '{"hello": 1}');
    await assert.rejects(TransactionLog.open(file, '12345678'), /not a jpay-sim log/);
    await writeFile(file, '{oops');
    await assert.rejects(TransactionLog.open(file, '12345678'), /not valid JSON/);
    assert.equal(await readFile(file, 'utf8'), '{oops');
  });
});

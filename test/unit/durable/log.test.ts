/**
 * The durable log under injected faults (test/helpers/faulty-fs.ts): short writes, a full
 * disk, failing syncs, power cuts. Each guard of lib/durable/log.ts has a test here that
 * fails without it.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { crc32c, DurableLog, DurableLogError, encodeRecord, scanRecords, type DurableLogOptions } from '../../../lib/durable';
import { errno, FaultyFs } from '../../helpers/faulty-fs';

type Value = { n: number; text?: string };

const decode = (v: unknown): Value => {
  if (typeof v !== 'object' || v === null || typeof (v as Value).n !== 'number') throw new Error('not a value');
  return v as Value;
};

function crcBytewise(bytes: Uint8Array): number {
  let crc = 0xffffffff;
  for (const b of bytes) {
    crc ^= b;
    for (let k = 0; k < 8; k++) crc = crc & 1 ? 0x82f63b78 ^ (crc >>> 1) : crc >>> 1;
  }
  return (crc ^ 0xffffffff) >>> 0;
}

const line = (key: string, value: Value | undefined): string => encodeRecord(key, value).line.toString('utf8');

describe('durable/log: the one append-only log', () => {
  let dir: string;
  let file: string;
  let fs: FaultyFs;
  let warnings: DurableLogError[];
  const logs: DurableLog<Value>[] = [];

  const open = async (options: Partial<DurableLogOptions<Value>> = {}): Promise<DurableLog<Value>> => {
    const log = await DurableLog.open<Value>(file, { fs, decode, damaged: 'quarantine', warn: (e) => warnings.push(e), ...options });
    logs.push(log);
    return log;
  };
  /** The process dies: its log is abandoned (closing it writes nothing: its handles are dead). */
  const cut = async (): Promise<void> => {
    fs.powerCut();
    for (const log of logs.splice(0)) await log.close();
    fs.faults = {};
  };
  const keys = (log: DurableLog<Value>): string[] => [...log.entries()].map(([k]) => k);
  /** The ops since `from`, as "op" strings for order checks. */
  const opsSince = (from: number): string[] => fs.ops.slice(from).map((o) => o.op);

  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'jpay-durable-'));
    file = path.join(dir, 'sub', 'log.jsonl');
    fs = new FaultyFs();
    warnings = [];
  });
  afterEach(async () => {
    fs.faults = {};
    for (const log of logs.splice(0)) await log.close();
    rmSync(dir, { recursive: true, force: true });
  });

  describe('format', () => {
    it('CRC-32C: the standard check values, and the same as a bit-by-bit reference on random data', () => {
      assert.equal(crc32c(Buffer.from('123456789')), 0xe3069283);
      assert.equal(crc32c(Buffer.from('The quick brown fox jumps over the lazy dog')), 0x22620404);
      for (let i = 0; i < 200; i++) {
        const bytes = randomBytes(i * 7);
        assert.equal(crc32c(bytes), crcBytewise(bytes));
        assert.equal(crc32c(bytes, 3, Math.max(3, bytes.length - 2)), crcBytewise(bytes.subarray(3, Math.max(3, bytes.length - 2))));
      }
    });

    it('a record is one line: the CRC-32C of the JSON as 8 hex digits, a space, the JSON', () => {
      const text = line('a"b', { n: 1, text: 'привет\n' });
      assert.match(text, /^[0-9a-f]{8} \{"k":"a\\"b","v":\{"n":1,"text":"привет\\n"\}\}\n$/);
      const json = text.slice(9, -1);
      assert.equal(text.slice(0, 8), crc32c(Buffer.from(json)).toString(16).padStart(8, '0'));
      assert.match(line('x', undefined), /^[0-9a-f]{8} \{"k":"x","x":1\}\n$/);
      const scan = scanRecords(Buffer.from(text + line('x', undefined)));
      assert.deepEqual(
        scan.records.map((r) => [r.key, r.value, r.removed]),
        [
          ['a"b', { n: 1, text: 'привет\n' }, false],
          ['x', undefined, true],
        ],
      );
    });
  });

  describe('writes', () => {
    it('put resolves only once its bytes are written and fdatasync’d; the state survives a power cut', async () => {
      const log = await open();
      for (let i = 1; i <= 5; i++) {
        const from = fs.ops.length;
        await log.put(`k${i}`, { n: i });
        const ops = opsSince(from);
        assert.ok(ops.lastIndexOf('datasync') > ops.lastIndexOf('write'), `put ${i}: ${ops.join(',')}`);
      }
      await log.remove('k2');
      await log.put('k3', { n: 33 });
      await cut();
      const again = await open();
      assert.deepEqual([...again.entries()], [
        ['k1', { n: 1 }],
        ['k3', { n: 33 }],
        ['k4', { n: 4 }],
        ['k5', { n: 5 }],
      ]);
    });

    it('a new file survives a power cut: its directory is synced when it is created', async () => {
      const log = await open();
      await log.put('a', { n: 1 });
      await cut();
      assert.deepEqual(keys(await open()), ['a']);
    });

    it('group commit: a burst of writes shares one write and one sync', async () => {
      const log = await open();
      const syncs = fs.syncs();
      const writes = fs.ops.filter((o) => o.op === 'write').length;
      await Promise.all(Array.from({ length: 200 }, (_, i) => log.put(`k${i}`, { n: i })));
      assert.ok(fs.syncs() - syncs <= 2, `${fs.syncs() - syncs} syncs for 200 puts`);
      assert.ok(fs.ops.filter((o) => o.op === 'write').length - writes <= 2);
      assert.equal(log.size, 200);
    });

    it('a deferred write resolves without a sync and is synced within syncDelayMs', async () => {
      const log = await open({ syncDelayMs: 5 });
      await log.put('a', { n: 1 });
      const syncs = fs.syncs();
      await log.put('b', { n: 2 }, { sync: false });
      assert.equal(fs.syncs(), syncs, 'not synced before it resolved');
      await new Promise((resolve) => setTimeout(resolve, 50));
      assert.equal(fs.syncs(), syncs + 1, 'synced by the timer');
      await cut();
      assert.deepEqual(keys(await open()), ['a', 'b']);
    });

    it('a deferred write is lost in a power cut before its sync — and made durable by the next synced one', async () => {
      const log = await open({ syncDelayMs: 60_000 });
      await log.put('a', { n: 1 });
      await log.put('b', { n: 2 }, { sync: false });
      await cut();
      let again = await open({ syncDelayMs: 60_000 });
      assert.deepEqual(keys(again), ['a']);
      await again.put('b', { n: 2 }, { sync: false });
      await again.put('c', { n: 3 });
      await cut();
      again = await open();
      assert.deepEqual(keys(again), ['a', 'b', 'c']);
    });

    it('close() syncs deferred writes', async () => {
      const log = await open({ syncDelayMs: 60_000 });
      await log.put('a', { n: 1 }, { sync: false });
      await log.close();
      await cut();
      assert.deepEqual(keys(await open()), ['a']);
    });

    it('onWritten runs after the write and before the sync', async () => {
      const log = await open();
      const seen: string[] = [];
      const from = fs.ops.length;
      await log.put('a', { n: 1 }, { onWritten: () => seen.push(opsSince(from).join(',')) });
      assert.deepEqual(seen, ['write']);
    });

    it('short writes are continued: every record whole', async () => {
      const log = await open();
      fs.faults = { maxWrite: 7 };
      await Promise.all(Array.from({ length: 20 }, (_, i) => log.put(`k${i}`, { n: i, text: 'x'.repeat(i * 10) })));
      await cut();
      const again = await open();
      assert.equal(again.size, 20);
      assert.equal(again.report.damaged.length + again.report.tornBytes, 0);
    });
  });

  describe('a full disk', () => {
    it('ENOSPC rejects the write (no-space), cuts it off, keeps everything before it, and a later write is not merged into it', async () => {
      const log = await open();
      await log.put('a', { n: 1 });
      fs.faults = { spaceLimit: fs.used() + 150, maxWrite: 40 };
      const stored: string[] = ['a'];
      let refused: unknown;
      for (let i = 0; i < 50 && refused === undefined; i++) {
        try {
          await log.put(`k${i}`, { n: i, text: 'y'.repeat(30) });
          stored.push(`k${i}`);
        } catch (error) {
          refused = error;
        }
      }
      assert.ok(refused instanceof DurableLogError && refused.code === 'no-space', String(refused));
      assert.match((refused as Error).message, /disk is full/);
      assert.deepEqual(keys(log), stored, 'the state has what was stored, nothing more');
      const size = readFileSync(file).length;
      assert.equal(size, log.fileBytes, 'the partial write was cut off');
      fs.faults = {};
      await log.put('after', { n: 99 });
      await cut();
      const again = await open();
      assert.deepEqual(keys(again), [...stored, 'after']);
      assert.deepEqual(again.report.damaged, []);
      assert.equal(again.report.tornBytes, 0);
    });

    it('the cut of a failed write is synced before anything else is written', async () => {
      const log = await open();
      await log.put('a', { n: 1 });
      fs.faults = { spaceLimit: fs.used() + 10 };
      const from = fs.ops.length;
      await assert.rejects(log.put('b', { n: 2, text: 'z'.repeat(100) }), (e: unknown) => e instanceof DurableLogError && e.code === 'no-space');
      fs.faults = {};
      await log.put('c', { n: 3 });
      const ops = opsSince(from);
      const truncate = ops.indexOf('truncate');
      assert.ok(truncate > 0 && ops[truncate + 1] === 'datasync', ops.join(','));
    });

    it('when even the cut fails the log refuses further writes until reopened', async () => {
      const log = await open();
      await log.put('a', { n: 1 });
      // The write fails half-way (disk full), and the sync of the cut fails too.
      fs.faults = { maxWrite: 5, spaceLimit: fs.used() + 20, sync: () => errno('EIO') };
      await assert.rejects(log.put('b', { n: 2, text: 'z'.repeat(100) }));
      assert.ok(log.broken);
      fs.faults = {};
      await assert.rejects(log.put('c', { n: 3 }), (e: unknown) => e instanceof DurableLogError && e.code === 'broken' && /reopened/.test(e.message));
      await log.close();
      logs.splice(0);
      const again = await open();
      assert.deepEqual(keys(again), ['a']);
    });

    it('opening needs no free space: a torn tail is cut, damage is reported, compaction waits', async () => {
      let log = await open();
      for (let i = 0; i < 20; i++) await log.put(`k${i}`, { n: i, text: 'w'.repeat(50) });
      for (let i = 0; i < 19; i++) await log.remove(`k${i}`);
      await log.close();
      logs.splice(0);
      // A damaged middle line and a torn tail, then a disk with no byte free.
      const text = readFileSync(file, 'utf8').replace('"n":3,', '"n":8,');
      writeFileSync(file, `${line('z', { n: 1 })}${text}${line('t', { n: 2 }).slice(0, 20)}`);
      fs.faults = { spaceLimit: 0 };
      log = await open({ compactAtBytes: 1 });
      assert.deepEqual(keys(log), ['z', 'k19']);
      assert.equal(log.report.tornBytes, 20);
      assert.equal(log.report.damaged.length, 1);
      assert.equal(log.report.quarantinePath, undefined, 'no room for the quarantine copy yet');
      assert.ok(warnings.some((w) => w.code === 'no-space'));
      await assert.rejects(log.compact(), /not yet copied/);
      fs.faults = {};
      await log.compact();
      assert.ok(log.report.quarantinePath && existsSync(log.report.quarantinePath));
      const kept = JSON.parse(readFileSync(log.report.quarantinePath, 'utf8')) as { text: string };
      assert.match(kept.text, /"k":"k3","v":\{"n":8,/);
    });
  });

  describe('syncs that fail', () => {
    it('a failed fdatasync rejects the write, cuts it off and breaks the log; reopening finds what was stored', async () => {
      const log = await open();
      await log.put('a', { n: 1 });
      fs.faults = { sync: (_f, i) => (i === fs.syncs() ? errno('EIO', 'sync failed') : undefined) };
      await assert.rejects(log.put('b', { n: 2 }), (e: unknown) => e instanceof DurableLogError && e.code === 'broken');
      await assert.rejects(log.put('c', { n: 3 }), (e: unknown) => e instanceof DurableLogError && e.code === 'broken');
      fs.faults = {};
      await log.close();
      logs.splice(0);
      assert.deepEqual(keys(await open()), ['a']);
    });

    it('a failed background sync breaks the log and is reported', async () => {
      const log = await open({ syncDelayMs: 1 });
      fs.faults = { sync: () => errno('EIO') };
      await log.put('a', { n: 1 }, { sync: false });
      await new Promise((resolve) => setTimeout(resolve, 30));
      assert.ok(log.broken);
      assert.ok(warnings.some((w) => w.code === 'broken'));
    });
  });

  describe('damage', () => {
    /** A closed log of two records whose first (n: 10005) was edited on disk to 90005; returns the file's text. */
    const editFirstRecord = async (): Promise<string> => {
      const log = await open();
      await log.put('a', { n: 10005 });
      await log.put('b', { n: 2 });
      await log.close();
      logs.splice(0);
      const edited = readFileSync(file, 'utf8').replace('10005', '90005');
      writeFileSync(file, edited);
      return edited;
    };

    it('an edited record is quarantined, reported and left out; the rest is kept', async () => {
      await editFirstRecord();
      const log = await open();
      assert.deepEqual(keys(log), ['b']);
      assert.deepEqual(log.report.damaged.map((d) => [d.line, d.reason]), [[1, 'checksum']]);
      const quarantined = JSON.parse(readFileSync(`${file}.quarantine`, 'utf8').trim()) as { text: string; reason: string; line: number };
      assert.match(quarantined.text, /90005/);
      assert.equal(quarantined.reason, 'checksum');
      assert.equal(log.report.quarantinePath, `${path.resolve(file)}.quarantine`);
    });

    it('the quarantine copy is durable before the damaged record leaves the log', async () => {
      await editFirstRecord();
      const log = await open();
      await log.compact();
      await cut();
      assert.match(readFileSync(`${file}.quarantine`, 'utf8'), /90005/);
      assert.deepEqual(keys(await open()), ['b']);
    });

    it('an earlier-format file is rewritten durably: a power cut right after the migration loses nothing', async () => {
      mkdirSync(path.dirname(file), { recursive: true });
      writeFileSync(file, 'OLD a=1 b=2\n');
      const legacy = (bytes: Buffer) => ({ entries: [...bytes.toString().matchAll(/(\w)=(\d)/g)].map((m) => [m[1], { n: Number(m[2]) }] as const) });
      const log = await open({ legacy });
      assert.equal(log.report.migrated, true);
      await cut();
      const again = await open({ legacy });
      assert.equal(again.report.migrated, false);
      assert.deepEqual([...again.entries()], [
        ['a', { n: 1 }],
        ['b', { n: 2 }],
      ]);
    });

    it('with policy refuse an edited record fails the open and the file is left as it is', async () => {
      const edited = await editFirstRecord();
      await assert.rejects(open({ damaged: 'refuse' }), (e: unknown) => e instanceof DurableLogError && e.code === 'damaged' && /line 1 does not match its checksum/.test(e.message));
      assert.equal(readFileSync(file, 'utf8'), edited);
      assert.equal(existsSync(`${file}.quarantine`), false);
    });

    it('a value its owner refuses counts as damaged', async () => {
      mkdirSync(path.dirname(file), { recursive: true });
      writeFileSync(file, line('a', { n: 1 }) + encodeRecord('b', { bad: true } as unknown as Value).line.toString());
      const log = await open();
      assert.deepEqual(keys(log), ['a']);
      assert.deepEqual(log.report.damaged.map((d) => d.reason), ['format']);
    });

    it('zero bytes where records were (lost in a power cut) are skipped, and the record after them is kept', async () => {
      mkdirSync(path.dirname(file), { recursive: true });
      writeFileSync(file, line('a', { n: 1 }) + '\0'.repeat(30) + line('b', { n: 2 }) + '\0'.repeat(8) + '\n' + line('c', { n: 3 }) + '\0'.repeat(64));
      const log = await open({ damaged: 'refuse' });
      assert.deepEqual(keys(log), ['a', 'b', 'c']);
      assert.equal(log.report.zeroedBytes, 38);
      assert.equal(log.report.tornBytes, 64);
      await log.put('d', { n: 4 });
      await log.close();
      logs.splice(0);
      assert.deepEqual(keys(await open()), ['a', 'b', 'c', 'd']);
    });

    it('a torn last record is cut off (durably, before the next write); a complete one without its newline is kept', async () => {
      mkdirSync(path.dirname(file), { recursive: true });
      writeFileSync(file, line('a', { n: 1 }) + line('b', { n: 2 }).slice(0, -1));
      let log = await open();
      assert.deepEqual(keys(log), ['a', 'b']);
      await log.put('c', { n: 3 });
      await log.close();
      logs.splice(0);
      writeFileSync(file, readFileSync(file, 'utf8') + line('d', { n: 4 }).slice(0, 25));
      const from = fs.ops.length;
      log = await open();
      assert.deepEqual(keys(log), ['a', 'b', 'c']);
      assert.equal(log.report.tornBytes, 25);
      const ops = opsSince(from);
      assert.deepEqual(ops.slice(ops.indexOf('truncate'), ops.indexOf('truncate') + 2), ['truncate', 'datasync']);
      await log.put('e', { n: 5 });
      await cut();
      assert.deepEqual(keys(await open()), ['a', 'b', 'c', 'e']);
    });

    it('a file that is not a log is refused and left alone; a newer format version is refused', async () => {
      mkdirSync(path.dirname(file), { recursive: true });
      writeFileSync(file, 'hello\n');
      await assert.rejects(open(), (e: unknown) => e instanceof DurableLogError && e.code === 'not-a-log');
      assert.equal(readFileSync(file, 'utf8'), 'hello\n');
      const json = '{"f":2,"k":"a","v":{"n":1}}';
      writeFileSync(file, `${crc32c(Buffer.from(json)).toString(16).padStart(8, '0')} ${json}\n`);
      await assert.rejects(open(), (e: unknown) => e instanceof DurableLogError && e.code === 'newer-format');
    });
  });

  describe('compaction', () => {
    it('rewrites only the live records, once at least half of the file is superseded, and survives a power cut', async () => {
      const log = await open({ compactAtBytes: 2000 });
      for (let i = 0; i < 40; i++) await log.put(`k${i}`, { n: i, text: 'v'.repeat(20) });
      for (let i = 0; i < 35; i++) await log.remove(`k${i}`);
      assert.ok(log.fileBytes < 2000 + 200, `file ${log.fileBytes} bytes`);
      assert.equal(readFileSync(file).length, log.fileBytes);
      await log.put('new', { n: 100 });
      await cut();
      assert.deepEqual(keys(await open()), ['k35', 'k36', 'k37', 'k38', 'k39', 'new']);
    });

    it('needs free space for the live records only; without it nothing changes and the log goes on', async () => {
      const log = await open({ compactAtBytes: 1_000_000 });
      for (let i = 0; i < 50; i++) await log.put(`k${i}`, { n: i, text: 'v'.repeat(40) });
      for (let i = 0; i < 45; i++) await log.remove(`k${i}`);
      const before = readFileSync(file);
      fs.faults = { spaceLimit: fs.used() + log.liveBytes - 1 };
      await assert.rejects(log.compact(), (e: unknown) => e instanceof DurableLogError && e.code === 'no-space');
      assert.deepEqual(readFileSync(file), before);
      assert.equal(existsSync(`${file}.compact.tmp`), false);
      fs.faults = { spaceLimit: fs.used() + log.liveBytes };
      await log.compact();
      assert.equal(log.fileBytes, log.liveBytes);
      fs.faults = {};
      await log.put('x', { n: 1 });
      await cut();
      assert.deepEqual(keys(await open()), ['k45', 'k46', 'k47', 'k48', 'k49', 'x']);
    });

    it('a directory sync that fails after the rename breaks the log (a later record could be lost)', async () => {
      const log = await open();
      await log.put('a', { n: 1 });
      await log.put('a', { n: 2 });
      fs.faults = { syncDirectory: () => errno('EIO') };
      await assert.rejects(log.compact(), (e: unknown) => e instanceof DurableLogError && e.code === 'broken');
      await assert.rejects(log.put('b', { n: 1 }), /reopened/);
    });

    it('right after a compaction a power cut loses nothing (the new file is synced before it replaces the old one)', async () => {
      const log = await open();
      for (let i = 0; i < 10; i++) await log.put(`k${i}`, { n: i });
      for (let i = 0; i < 8; i++) await log.remove(`k${i}`);
      await log.compact();
      await cut();
      assert.deepEqual(keys(await open()), ['k8', 'k9']);
    });

    it('truncating an empty log is synced before anything is written after it', async () => {
      const log = await open({ compactAtBytes: 1 });
      await log.put('a', { n: 1 });
      const from = fs.ops.length;
      await log.remove('a');
      await log.put('b', { n: 2 });
      const ops = opsSince(from);
      assert.deepEqual(ops.slice(ops.indexOf('truncate'), ops.indexOf('truncate') + 2), ['truncate', 'datasync'], ops.join(','));
    });

    it('an empty log is truncated on close', async () => {
      const log = await open();
      await log.put('a', { n: 1 });
      await log.remove('a', { sync: false });
      await log.close();
      assert.equal(readFileSync(file).length, 0);
    });

    it('one writer per file in a process', async () => {
      await open();
      await assert.rejects(open(), (e: unknown) => e instanceof DurableLogError && e.code === 'in-use');
    });
  });
});

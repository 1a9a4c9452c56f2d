/**
 * The publisher process killed with SIGKILL mid-stream, then restarted on the same journal:
 * every receipt it reported stored reaches the broker (duplicates allowed, losses not).
 */
import assert from 'node:assert/strict';
import { ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import type { ReceiptMessage } from '../../lib/publish';
import { MosquittoBroker, startMosquitto, TestSubscriber } from '../helpers/mosquitto';

const ROOT = path.resolve(__dirname, '../..');
const CHILD = path.join(ROOT, 'test/fixtures/publish/publisher-child.ts');
const idOf = (seq: number): string => `20000002-${String(seq).padStart(6, '0')}-20240601T120000`;

interface Child {
  proc: ChildProcess;
  lines: string[];
  /** Resolves with the first line (seen so far or later) that matches. */
  waitForLine(predicate: (line: string, index: number) => boolean, what: string): Promise<string>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

function startChild(args: Record<string, unknown>): Child {
  const proc = spawn(process.execPath, ['-r', 'tsx/cjs', CHILD, JSON.stringify(args)], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  const lines: string[] = [];
  const waiters = new Set<() => void>();
  let stderr = '';
  proc.stderr?.on('data', (c: Buffer) => (stderr += c.toString()));
  createInterface({ input: proc.stdout as NodeJS.ReadableStream }).on('line', (line) => {
    lines.push(line);
    for (const check of [...waiters]) check();
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    proc.once('exit', (code, signal) => {
      for (const check of [...waiters]) check();
      resolve({ code, signal });
    }),
  );
  const waitForLine = (predicate: (line: string, index: number) => boolean, what: string): Promise<string> =>
    new Promise((resolve, reject) => {
      const check = (): void => {
        const found = lines.find(predicate);
        if (found !== undefined) {
          waiters.delete(check);
          resolve(found);
        } else if (proc.exitCode !== null || proc.signalCode !== null) {
          waiters.delete(check);
          reject(new Error(`publisher child exited before ${what}: ${stderr}`));
        }
      };
      waiters.add(check);
      check();
    });
  return { proc, lines, waitForLine, exited };
}

const queuedIds = (child: Child): string[] => child.lines.filter((l) => l.startsWith('queued ')).map((l) => l.slice(7));

describe('integration: MQTT publisher killed with SIGKILL', function () {
  this.timeout(60_000);
  let broker: MosquittoBroker;
  let dir: string;
  let journalPath: string;
  let sub: TestSubscriber;
  const children: Child[] = [];
  const child = (args: Record<string, unknown>): Child => {
    const c = startChild({ url: broker.url, journalPath, terminalId: 'vm-1', ...args });
    children.push(c);
    return c;
  };

  beforeEach(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'jpay-crash-'));
    journalPath = path.join(dir, 'outbox.log');
    broker = await startMosquitto();
    sub = await TestSubscriber.connect(broker.url, ['jpay/#']);
  });
  afterEach(async () => {
    for (const c of children.splice(0)) {
      if (c.proc.exitCode === null && c.proc.signalCode === null) c.proc.kill('SIGKILL');
      await c.exited;
    }
    await sub.close();
    await broker.dispose();
    rmSync(dir, { recursive: true, force: true });
  });

  const receivedIds = (): string[] => sub.json<ReceiptMessage>('jpay/vm-1/receipt').map((m) => m.receiptId);

  it('killed while publishing to a live broker: after a restart no stored receipt is missing', async () => {
    const first = child({ from: 1, count: 1_000_000 });
    await first.waitForLine((_l, i) => i >= 60, '60 stored receipts');
    first.proc.kill('SIGKILL');
    assert.equal((await first.exited).signal, 'SIGKILL');
    const stored = queuedIds(first);
    assert.ok(stored.length >= 59);

    // The broker publishes the killed publisher's last will.
    await sub.waitFor(
      (m) => m.some((x) => x.topic === 'jpay/vm-1/status' && JSON.parse(x.payload).reason === 'connection-lost'),
      10_000,
      'the last will',
    );

    const second = child({ from: 5000, count: 10 });
    await second.waitForLine((l) => l === 'drained', 'drained');
    assert.equal((await second.exited).code, 0);
    const expected = [...stored, ...queuedIds(second)];
    await sub.waitFor((m) => expected.every((id) => m.some((x) => x.payload.includes(`"receiptId":"${id}"`))), 15_000, 'every stored receipt');

    const received = receivedIds();
    const missing = expected.filter((id) => !received.includes(id));
    assert.deepEqual(missing, []);
    // Nothing arrives that was never published: at most the one receipt being stored at the kill.
    const attempted = new Set([...expected, idOf(stored.length + 1)]);
    assert.deepEqual(received.filter((id) => !attempted.has(id)), []);
  });

  it('killed while the broker is down: the receipts on disk are published by the next process', async () => {
    const first = child({ from: 1, count: 1_000_000 });
    await first.waitForLine((l) => l.startsWith('queued '), 'a stored receipt');
    await sub.waitFor((m) => m.some((x) => x.topic === 'jpay/vm-1/receipt'), 10_000, 'a first receipt');
    await broker.stop();
    await first.waitForLine((l) => l === 'offline', 'the publisher offline');
    // A receipt stored just after `offline` may have been acknowledged before it (its sync
    // ends after the PUBACK); the one after it was sent, at the earliest, once offline.
    const storedOffline = (): number => first.lines.slice(first.lines.indexOf('offline')).filter((l) => l.startsWith('queued ')).length - 1;
    await first.waitForLine(() => storedOffline() >= 30, '30 receipts stored offline');
    first.proc.kill('SIGKILL');
    await first.exited;
    const stored = queuedIds(first);
    await broker.start();

    const second = child({ from: 5000, count: 0 });
    const loaded = Number((await second.waitForLine((l) => l.startsWith('loaded '), 'loaded')).slice(7));
    assert.ok(loaded >= 30, `the journal held ${loaded} receipts`);
    await second.waitForLine((l) => l === 'drained', 'drained');
    assert.equal((await second.exited).code, 0);
    await sub.waitFor((m) => stored.every((id) => m.some((x) => x.payload.includes(`"receiptId":"${id}"`))), 15_000, 'every stored receipt');
    const received = new Set(receivedIds());
    assert.deepEqual(stored.filter((id) => !received.has(id)), []);
    assert.equal(received.size <= stored.length + 1, true);
  });
});

/**
 * Measurement 6 — the cost of the outcome-unknown journal on a sale: a purchase through
 * `TransactionRecovery.transaction()` (policy block: the check before the sale, the begin
 * record fdatasync'd — while the connection opens — before the first byte is sent, the
 * answer and the receipt watermark fdatasync'd before the result is returned; the client
 * made with `recovery.clientOptions`, as the node and the CLI do) vs. the same purchase
 * through a client without a journal. Once with an empty journal and once with
 * `resolvedEntries` resolved sales already in it (the 7 days a busy machine keeps as
 * claims). Two identical simulated terminals in a child process, every delay off. The
 * journal on the disk (two fdatasyncs per sale: the begin, the answer) and on a RAM disk
 * (the library's own cost).
 */
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import { JpayClient } from '../dist/lib/client';
import { TransactionRecovery, type TransactionJournal } from '../dist/lib/recovery';
import type { TransactionResult } from '../dist/lib/protocol/types';
import { Child } from './child';
import { MEDIA, measureSync, type Medium } from './disk';
import { interleave, median, type Comparison } from './stats';

export interface RecoveryOptions {
  /** Sales per round and side. */
  sales: number;
  rounds: number;
  /** Resolved entries put in the journal before the second measurement. */
  resolvedEntries: number;
}

export interface RecoveryCase {
  medium: Medium['name'];
  resolvedEntries: number;
  /** µs per sale (median of each round's medians). */
  latency: Comparison;
  journalBytes: number;
}

export interface RecoveryResult {
  cases: RecoveryCase[];
  /** µs of one append + fdatasync on this disk, measured before and after (median of both). */
  syncFloor: number;
}

const PASSWORD = '12345678';

/** Fills the journal with resolved sales of this terminal, in concurrent batches (group commit). */
async function preload(journal: TransactionJournal, host: string, port: number, count: number): Promise<void> {
  const batch = 500;
  for (let done = 0; done < count; done += batch) {
    const n = Math.min(batch, count - done);
    await Promise.all(
      Array.from({ length: n }, async (_, i) => {
        const seq = String(done + i + 1).padStart(6, '0');
        const id = await journal.begin({ request: { type: 'purchase', amount: 100 + i }, host, port, encrypted: false, annotations: { order: `preload-${seq}` } });
        const result: TransactionResult = {
          status: 'ok',
          ok: true,
          errors: [],
          approved: true,
          receipt: { header: [], footer: [], approved: true, seq, rrn: `R${seq}`, tid: '10000001', type: 'purchase', amountAuthorized: 100 + i, datetime: '2026-01-01T10:00:00' },
        };
        await journal.answered(id, result);
      }),
    );
  }
}

// No simulator reset between rounds: a terminal whose receipt numbers start again within
// the second of the last receipt would make the client refuse the answer (stale-receipt).
async function round(sale: () => Promise<void>, sales: number): Promise<number> {
  const samples: number[] = [];
  for (let i = 0; i < sales; i++) {
    const start = process.hrtime.bigint();
    await sale();
    samples.push(Number(process.hrtime.bigint() - start) / 1e3);
  }
  return median(samples);
}

export async function benchRecovery(options: RecoveryOptions): Promise<RecoveryResult> {
  const host = Child.start('sim-host.ts');
  const dirs = MEDIA.map((m) => mkdtempSync(path.join(m.dir, 'jpay-bench-journal-')));
  const cases: RecoveryCase[] = [];
  const floors = [await measureSync(200)];
  try {
    const [subjectPort, baselinePort] = await host.call<number[]>('start', { count: 2 });
    for (const [m, medium] of MEDIA.entries()) for (const resolvedEntries of [0, options.resolvedEntries]) {
      const recovery = await TransactionRecovery.open(path.join(dirs[m], `journal-${resolvedEntries}.jsonl`), { policy: 'block' });
      const journaled = new JpayClient({ host: '127.0.0.1', port: subjectPort, password: PASSWORD, ...recovery.clientOptions });
      const plain = new JpayClient({ host: '127.0.0.1', port: baselinePort, password: PASSWORD });
      try {
        await preload(recovery.journal, '127.0.0.1', subjectPort, resolvedEntries);
        let amount = 100;
        const subject = async (): Promise<void> => {
          const sale = await recovery.transaction(journaled, { type: 'purchase', amount: amount++ });
          if (sale.kind !== 'answered' || !sale.result.approved) throw new Error('the journaled sale was not approved');
        };
        const baseline = async (): Promise<void> => {
          const r = await plain.transaction({ type: 'purchase', amount: amount++ });
          if (!r.approved) throw new Error('the plain sale was not approved');
        };
        for (let i = 0; i < Math.min(20, options.sales); i++) {
          await subject();
          await baseline();
        }
        const latency = await interleave(
          options.rounds,
          () => round(subject, options.sales),
          () => round(baseline, options.sales),
        );
        if (recovery.journal.list().length < resolvedEntries) throw new Error('the preloaded entries are gone');
        cases.push({ medium: medium.name, resolvedEntries, latency, journalBytes: statSync(recovery.journal.path).size });
      } finally {
        await journaled.close();
        await plain.close();
        await recovery.close();
      }
    }
    floors.push(await measureSync(200));
    return { cases, syncFloor: median(floors) };
  } finally {
    await host.stop();
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  }
}


/**
 * One cell of the fault matrix: a session (plain or encrypted) × a phase × a fault, `runs`
 * purchases in a row against one simulator (persistent log file) behind the fault proxy,
 * through one long-lived JpayClient that journals every transaction (a first, unarmed
 * purchase gives the proxy an answer to replay). Each run: arm the fault, buy, and if the
 * outcome is unknown run the recovery procedure; then compare what the client and the
 * recovery said with the simulator's log (the truth). Runs differ by amount,
 * approved/declined and vending (reverse an approved unknown) from a seeded generator, so
 * a cell is reproducible.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { JpayClient } from '../../lib/client';
import { TransactionOutcomeUnknown } from '../../lib/errors';
import { RecoveryPendingError, TransactionRecovery, type RecoveryResult } from '../../lib/recovery';
import { startSimulator, type LogRecord, type SimulatorHandle, type SimulatorOptions } from '../../lib/simulator';
import type { TransactionResult } from '../../lib/protocol/types';
import { FaultProxy, type Fault, type Phase } from './proxy';

export type Session = 'plain' | 'encrypted';

export interface CellOptions {
  session?: Session;
  phase: Phase;
  fault: Fault;
  runs: number;
  seed: number;
}

export interface CellStats {
  session: Session;
  phase: Phase;
  fault: Fault;
  runs: number;
  /** Runs where the fault struck (it cannot strike after the transaction ended). */
  struck: number;
  /** The terminal's answer reached the client (approved or not). */
  answered: number;
  /** A definite "nothing was sent" error (connection refused…). */
  notSent: number;
  /** TransactionOutcomeUnknown surfaced to the caller. */
  unknown: number;
  /** Unknown outcomes the recovery procedure resolved in agreement with the simulator's log. */
  resolvedCorrectly: number;
  /** …of which the payment had been approved (the rest: declined or never recorded). */
  recoveredApproved: number;
  ambiguous: number;
  /** A result (client or recovery) that contradicts the log. */
  wrong: number;
  /** One request recorded as more than one payment, or more than one payment command sent. */
  doubleCharges: number;
  /** The terminal recorded an approved payment and the caller was told it failed. */
  silentLosses: number;
  /** Vending runs: approved unknowns reversed by recovery's `void last`. */
  reversed: number;
  /** Vending runs where an approved unknown stayed charged. */
  unreversed: number;
  /** New sales refused by the guard (an earlier run left something unresolved). */
  blocked: number;
  /** Journal entries left unresolved after a run's recovery. */
  leftUnresolved: number;
  problems: string[];
  ms: number;
}

const PASSWORD = '12345678';
const AMOUNTS = [1000, 1500, 2500];
const EVENT_TIMEOUT_MS = 10_000;

/** mulberry32: small, seedable, good enough to vary runs reproducibly. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function simOptions(logFile: string, port: number): SimulatorOptions {
  return {
    host: '127.0.0.1',
    port,
    activatorPort: 0,
    logFile,
    dex: { enabled: true },
    timing: {
      cardDelayMs: 1,
      keepaliveIntervalMs: 1000,
      hostDelayMs: 1,
      cardTimeoutMs: 5000,
      answerTimeoutMs: 5000,
      firstPacketTimeoutMs: 5000,
      frameTimeoutMs: 2000,
    },
  };
}

/** Counts the simulator's finished transaction commands and lets a run wait for the next. */
class CommandWatch {
  private finished = 0;
  private waiters: { target: number; resolve: () => void }[] = [];
  private readonly listener = (e: { type: string; command?: string }): void => {
    if (e.type !== 'command' || e.command !== 'transaction') return;
    this.finished += 1;
    this.waiters = this.waiters.filter((w) => (this.finished >= w.target ? (w.resolve(), false) : true));
  };

  constructor(private readonly sim: SimulatorHandle) {
    sim.on('event', this.listener);
  }

  get count(): number {
    return this.finished;
  }

  until(target: number): Promise<void> {
    if (this.finished >= target) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('the simulator did not finish the transaction')), EVENT_TIMEOUT_MS);
      this.waiters.push({
        target,
        resolve: () => {
          clearTimeout(timer);
          resolve();
        },
      });
    });
  }

  stop(): void {
    this.sim.off('event', this.listener);
  }
}

export async function runCell(options: CellOptions): Promise<CellStats> {
  const started = Date.now();
  const session = options.session ?? 'plain';
  const stats: CellStats = {
    session,
    phase: options.phase,
    fault: options.fault,
    runs: 0,
    struck: 0,
    answered: 0,
    notSent: 0,
    unknown: 0,
    resolvedCorrectly: 0,
    recoveredApproved: 0,
    ambiguous: 0,
    wrong: 0,
    doubleCharges: 0,
    silentLosses: 0,
    reversed: 0,
    unreversed: 0,
    blocked: 0,
    leftUnresolved: 0,
    problems: [],
    ms: 0,
  };
  const problem = (run: number, text: string): void => {
    if (stats.problems.length < 10) stats.problems.push(`run ${run}: ${text}`);
  };
  const random = prng(options.seed);
  const dir = await mkdtemp(path.join(os.tmpdir(), 'jpay-fault-matrix-'));
  const logFile = path.join(dir, 'terminal-log.json');
  let sim = await startSimulator(simOptions(logFile, 0));
  const simPort = sim.port;
  const proxy = await FaultProxy.start(simPort);
  const recovery = await TransactionRecovery.open(path.join(dir, 'journal.jsonl'), { policy: 'block', settleMs: 0 });
  const client = new JpayClient({
    host: '127.0.0.1',
    port: proxy.port,
    password: PASSWORD,
    encrypt: session === 'encrypted',
    ...recovery.clientOptions,
    timeouts: { connectMs: 2000, commandMs: 5000, transactionMs: 10_000, idleMs: 300, handlerMs: 200 },
  });
  let watch = new CommandWatch(sim);
  const onRecord = (e: { type: string }): void => {
    if (e.type === 'record') proxy.trigger();
  };
  sim.on('event', onRecord);
  let restarting: Promise<void> | undefined;
  proxy.on('applied', (armed) => {
    if (armed.fault !== 'restart') return;
    restarting = (async () => {
      watch.stop();
      sim.off('event', onRecord);
      await sim.close();
      sim = await startSimulator(simOptions(logFile, simPort));
      sim.on('event', onRecord);
      watch = new CommandWatch(sim);
    })();
  });

  try {
    // Unarmed: what a long-lived client has behind it, and an answer for `replay` to play back.
    await client.transaction({ type: 'purchase', amount: AMOUNTS[0] }, { annotations: { run: 0 } });
    for (let run = 1; run <= options.runs; run++) {
      stats.runs += 1;
      const approve = random() < 0.5;
      const vending = random() < 0.5;
      const amount = AMOUNTS[Math.floor(random() * AMOUNTS.length)];
      if (!approve) sim.queueOutcome({ declineReason: 'onlinedeclined' });
      const seqsBefore = new Set(sim.log().map((r) => r.seq));
      const sentBefore = proxy.transactionsSeen;
      const finishedBefore = watch.count;
      restarting = undefined;
      proxy.arm({ phase: options.phase, fault: options.fault });

      let result: TransactionResult | undefined;
      let failure: unknown;
      try {
        result = await client.transaction({ type: 'purchase', amount }, { annotations: { reverse: vending, run } });
      } catch (error) {
        failure = error;
      }
      // An outcome the terminal never took must not decide recovery's void.
      if (!restarting) sim.clearOutcomes();
      const struck = proxy.applied;
      const forwarded = proxy.commandForwarded;
      proxy.disarm();
      if (struck) stats.struck += 1;
      const wasRestarted = restarting !== undefined;
      if (restarting) await restarting;
      // The terminal must be done with the abandoned command before its log is the truth
      // (in the field: the recovery's settle time).
      else if (forwarded) await watch.until(finishedBefore + 1);
      else if (!wasRestarted && result === undefined && failure === undefined) problem(run, 'no result and no error');

      let recovered: RecoveryResult | undefined;
      if (failure instanceof TransactionOutcomeUnknown) {
        stats.unknown += 1;
        const results = await recovery.recover(client);
        recovered = results.find((r) => r.annotations.run === run);
        if (!recovered) problem(run, 'recovery returned nothing for the unknown transaction');
      }
      const left = recovery.unresolved(client).length;
      if (left > 0) {
        stats.leftUnresolved += left;
        problem(run, `${left} journal entries left unresolved`);
      }

      // The truth: what the terminal's log holds for this request.
      const mine: LogRecord[] = sim.log().filter((r) => r.kind === 'card' && !seqsBefore.has(r.seq));
      const purchases = mine.filter((r) => r.operation === 'purchase');
      const truthApproved = purchases.some((r) => r.tstatus === 'approved');
      const voidsSent = recovered?.reversal?.attempted ? 1 : 0;
      if (purchases.length > 1 || proxy.transactionsSeen - sentBefore > 1 + voidsSent) {
        stats.doubleCharges += 1;
        problem(run, `recorded ${purchases.length} purchases, sent ${proxy.transactionsSeen - sentBefore} transactions`);
      }

      if (result) {
        stats.answered += 1;
        if (result.approved !== truthApproved) {
          if (truthApproved) stats.silentLosses += 1;
          stats.wrong += 1;
          problem(run, `client answered approved=${result.approved}, log says approved=${truthApproved}`);
        }
      } else if (failure instanceof TransactionOutcomeUnknown) {
        if (recovered) {
          const { outcome } = recovered;
          if (outcome === 'ambiguous') {
            stats.ambiguous += 1;
            problem(run, `ambiguous (${recovered.reason ?? ''})`);
          } else {
            const approvedSeq = purchases.find((r) => r.tstatus === 'approved')?.seq;
            const correct =
              outcome === 'approved' ? truthApproved && Number(recovered.receipt?.seq) === approvedSeq : !truthApproved;
            if (correct) {
              stats.resolvedCorrectly += 1;
              if (outcome === 'approved') stats.recoveredApproved += 1;
            } else {
              stats.wrong += 1;
              if (truthApproved) stats.silentLosses += 1;
              problem(run, `recovery said ${outcome}, log says approved=${truthApproved}`);
            }
            if (vending && outcome === 'approved') {
              const original = purchases.find((r) => r.seq === approvedSeq);
              if (original && original.reversedAmount === original.amount) stats.reversed += 1;
              else {
                stats.unreversed += 1;
                problem(run, `vending: not reversed (${recovered.reversal?.state ?? 'no reversal'} ${recovered.reversal?.reason ?? ''})`);
              }
            }
          }
        }
      } else {
        stats.notSent += 1;
        if (failure instanceof RecoveryPendingError) stats.blocked += 1;
        if (purchases.length > 0) {
          stats.wrong += 1;
          if (truthApproved) stats.silentLosses += 1;
          problem(run, `client said not sent (${(failure as Error)?.name}), log has ${purchases.length} purchase(s)`);
        }
      }
    }
  } finally {
    proxy.removeAllListeners('applied');
    if (restarting) await restarting.catch(() => undefined);
    watch.stop();
    sim.off('event', onRecord);
    await client.close();
    await recovery.close();
    await proxy.close();
    await sim.close();
    await rm(dir, { recursive: true, force: true });
  }
  stats.ms = Date.now() - started;
  return stats;
}

/**
 * The fault matrix, Node-RED path (issue 11 case 3): a full redeploy or a stop (Node-RED
 * stopped and started again) at each phase of a transaction, through the real runtime with
 * the built nodes, a jpay-terminal with recovery on (block) and the simulator behind the
 * fault proxy. Phases:
 *
 * - with the msg: the deploy or stop is issued in the same turn as the msg — the
 *   transaction is refused before it is sent, or cancelled at its first keep-alive;
 * - awaiting the card: the terminal waits for a card; the closing node cancels, the
 *   terminal obeys (nothing charged);
 * - awaiting the response: the terminal talks to its bank; the closing node cancels and the
 *   terminal does not hear it (the proxy turns "cancelled" into "ok"): it approves or
 *   declines anyway, and the answer comes while the node closes;
 * - answer in flight: the terminal recorded it, its answer is held in the proxy until the
 *   node starts closing;
 * - answered: the flow had its result on output 1; the deploy or stop follows.
 *
 * Per run the truth is the simulator's log; what the flow was told is every msg a live node
 * received (output 1, output 3) for that run's amount. Counted: double charges (two
 * purchases or two transaction commands for one msg), silent losses (the log has an
 * approved payment and no live node was told it was approved), wrong (a msg that
 * contradicts the log), double deliveries (told twice, not flagged as a possible repeat),
 * and unsaid (the terminal recorded something and nothing was said at all).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { NodeMessage } from 'node-red';
import type { RecoveryPayload } from '../../nodes/shared/recovery-payload';
import type { TransactionPayload } from '../../lib/results/transaction';
import { startSimulator, type SimulatorEvent, type SimulatorHandle } from '../../lib/simulator';
import { recordReceived } from '../../test/helpers/node-red-received';
import { TERMINAL_ID, builtNode, coreNode, helper, onTab, terminalApi, terminalConfig, type FlowNode } from '../../test/nodes/fixtures';
import { prng } from './cell';
import { FaultProxy } from './proxy';

export const NODE_RED_ACTIONS = ['deploy', 'stop'] as const;
export type NodeRedAction = (typeof NODE_RED_ACTIONS)[number];
export const NODE_RED_PHASES = ['with-the-msg', 'awaiting-card', 'awaiting-response', 'answer-in-flight', 'answered'] as const;
export type NodeRedPhase = (typeof NODE_RED_PHASES)[number];

export const NODE_RED_PHASE_LABEL: Readonly<Record<NodeRedPhase, string>> = {
  'with-the-msg': 'with the msg (before send)',
  'awaiting-card': 'awaiting the card',
  'awaiting-response': 'awaiting the response (cancel not heard)',
  'answer-in-flight': 'answer in flight',
  answered: 'after the answer',
};

export interface NodeRedCellStats {
  action: NodeRedAction;
  phase: NodeRedPhase;
  runs: number;
  /** Runs the terminal recorded a payment for; …approved. */
  recorded: number;
  approved: number;
  /** Runs told on output 1 (the answer) / on output 3 (kept, then delivered by the node that replaced it). */
  toldOnOutput1: number;
  toldOnOutput3: number;
  doubleCharges: number;
  silentLosses: number;
  wrong: number;
  doubleDeliveries: number;
  unsaid: number;
  problems: string[];
  ms: number;
}

const PASSWORD = '12345678';
const CREDENTIALS = { [TERMINAL_ID]: { password: PASSWORD } };
const SETTLE_TIMEOUT_MS = 10_000;

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

function nodes(): ReturnType<typeof builtNode>[] {
  return [builtNode('jpay-terminal'), builtNode('jpay-transaction'), coreNode('common/25-catch.js')];
}

function flowFor(port: number, journalFile: string): FlowNode[] {
  return onTab([
    terminalConfig({ host: '127.0.0.1', port }, { recovery: 'block', autoRecover: true, recoveryDelay: '0', journalFile, idleTimeout: 5000 }),
    { id: 'dut', type: 'jpay-transaction', terminal: TERMINAL_ID, txType: 'purchase', amount: '1000', sbp: 'auto', wires: [['out'], [], ['recovered']] },
    { id: 'out', type: 'helper' },
    { id: 'recovered', type: 'helper' },
    { id: 'catch', type: 'catch', scope: null, uncaught: false, wires: [['caught']] },
    { id: 'caught', type: 'helper' },
  ]);
}

function waitFor(sim: SimulatorHandle, match: (e: SimulatorEvent) => boolean): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      sim.off('event', listener);
      reject(new Error('the simulator never reached the phase'));
    }, SETTLE_TIMEOUT_MS);
    const listener = (e: SimulatorEvent): void => {
      if (!match(e)) return;
      clearTimeout(timer);
      sim.off('event', listener);
      resolve();
    };
    sim.on('event', listener);
  });
}

/** Resolves when the running jpay-transaction node starts closing. */
function whenClosing(): Promise<void> {
  return new Promise((resolve) => helper.getNode('dut').on('close', () => resolve()));
}

export async function runNodeRedCell(options: { action: NodeRedAction; phase: NodeRedPhase; runs: number; seed: number }): Promise<NodeRedCellStats> {
  const started = Date.now();
  const { action, phase } = options;
  const stats: NodeRedCellStats = {
    action,
    phase,
    runs: 0,
    recorded: 0,
    approved: 0,
    toldOnOutput1: 0,
    toldOnOutput3: 0,
    doubleCharges: 0,
    silentLosses: 0,
    wrong: 0,
    doubleDeliveries: 0,
    unsaid: 0,
    problems: [],
    ms: 0,
  };
  const problem = (run: number, text: string): void => {
    if (stats.problems.length < 10) stats.problems.push(`run ${run}: ${text}`);
  };
  const random = prng(options.seed);
  const dir = await mkdtemp(path.join(os.tmpdir(), 'jpay-fault-matrix-nr-'));
  const sim = await startSimulator({
    host: '127.0.0.1',
    port: 0,
    activatorPort: 0,
    autoPresent: phase !== 'awaiting-card',
    timing: { cardDelayMs: 1, hostDelayMs: phase === 'awaiting-response' ? 150 : 1, keepaliveIntervalMs: 20, cardTimeoutMs: 5000, answerTimeoutMs: 5000 },
  });
  const proxy = await FaultProxy.start(sim.port);
  proxy.deafToCancel = phase === 'awaiting-response';
  const flow = flowFor(proxy.port, path.join(dir, 'journal.jsonl'));
  const received = recordReceived();
  const restart = async (): Promise<void> => {
    if (action === 'deploy') {
      await helper.setFlows(flow, 'full', CREDENTIALS);
    } else {
      await helper.unload();
      await helper.load(nodes(), flow, CREDENTIALS);
    }
  };
  try {
    await helper.load(nodes(), flow, CREDENTIALS);
    for (let run = 1; run <= options.runs; run++) {
      stats.runs += 1;
      const amount = 10_000 + run * 10 + Math.floor(random() * 10);
      const approve = random() < 0.5;
      if (!approve) sim.queueOutcome({ declineReason: 'onlinedeclined' });
      const sentBefore = proxy.transactionsSeen;
      const seqsBefore = new Set(sim.log().map((r) => r.seq));
      const outBefore = received.all('out').length;
      if (phase === 'answer-in-flight') proxy.holdResponses = true;

      const msg: NodeMessage = { payload: { amount }, topic: `run-${run}` };
      if (phase === 'with-the-msg') {
        helper.getNode('dut').receive(msg);
        await restart();
      } else if (phase === 'answered') {
        helper.getNode('dut').receive(msg);
        await received.next('out', SETTLE_TIMEOUT_MS);
        await restart();
      } else {
        const reached =
          phase === 'awaiting-card'
            ? waitFor(sim, (e) => e.type === 'waiting-for-card')
            : phase === 'awaiting-response'
              ? waitFor(sim, (e) => e.type === 'message' && e.name === 'display' && e.code === 'D1')
              : waitFor(sim, (e) => e.type === 'record');
        helper.getNode('dut').receive(msg);
        await reached;
        if (phase === 'answer-in-flight') void whenClosing().then(() => proxy.release());
        await restart();
      }
      if (phase === 'answer-in-flight') proxy.release();
      sim.clearOutcomes();

      // Settled: the terminal is idle and the journal holds nothing open and nothing undelivered.
      const deadline = Date.now() + SETTLE_TIMEOUT_MS;
      for (;;) {
        const recovery = terminalApi().recovery;
        await recovery?.whenReady();
        const quiet = sim.state().busy === null && recovery !== undefined && recovery.journal.awaitingDelivery().length === 0 && recovery.journal.unresolved().length === 0;
        if (quiet) break;
        if (Date.now() > deadline) {
          problem(run, 'did not settle');
          break;
        }
        await sleep(10);
      }
      await sleep(20); // msgs are delivered on the next turns

      const mine = sim.log().filter((r) => r.kind === 'card' && !seqsBefore.has(r.seq) && r.operation === 'purchase');
      const truthApproved = mine.some((r) => r.tstatus === 'approved');
      if (mine.length > 0) stats.recorded += 1;
      if (truthApproved) stats.approved += 1;
      if (mine.length > 1 || proxy.transactionsSeen - sentBefore > 1) {
        stats.doubleCharges += 1;
        problem(run, `recorded ${mine.length} purchases, sent ${proxy.transactionsSeen - sentBefore} transactions`);
      }
      const on1 = received
        .all('out')
        .slice(outBefore)
        .filter((m) => (m.payload as TransactionPayload).request?.amount === amount);
      const on3 = received.all('recovered').filter((m) => (m.payload as RecoveryPayload).request?.amount === amount);
      if (on1.length > 0) stats.toldOnOutput1 += 1;
      if (on3.length > 0) stats.toldOnOutput3 += 1;
      const told = [...on1.map((m) => ({ approved: (m.payload as TransactionPayload).approved, repeated: false })), ...on3.map((m) => ({ approved: (m.payload as RecoveryPayload).approved, repeated: (m.payload as RecoveryPayload).repeated === true }))];
      if (told.filter((t) => !t.repeated).length > 1) {
        stats.doubleDeliveries += 1;
        problem(run, `told ${told.length} times`);
      }
      if (truthApproved && !told.some((t) => t.approved)) {
        stats.silentLosses += 1;
        problem(run, 'the terminal approved it and no live node was told');
      }
      if (told.some((t) => t.approved !== truthApproved)) {
        stats.wrong += 1;
        problem(run, `told approved=${told.map((t) => t.approved).join(',')}, the log says ${truthApproved}`);
      }
      if (mine.length > 0 && told.length === 0) {
        stats.unsaid += 1;
        problem(run, 'the terminal recorded it and nothing was said');
      }
    }
  } finally {
    received.stop();
    proxy.release();
    await helper.unload();
    await proxy.close();
    await sim.close();
    await rm(dir, { recursive: true, force: true });
  }
  stats.ms = Date.now() - started;
  return stats;
}

export async function runNodeRedMatrix(options: { runs: number; seed?: number; onCell?(stats: NodeRedCellStats): void }): Promise<NodeRedCellStats[]> {
  const out: NodeRedCellStats[] = [];
  let i = 0;
  // One Node-RED runtime per process: the cells run one after the other.
  for (const action of NODE_RED_ACTIONS) {
    for (const phase of NODE_RED_PHASES) {
      const stats = await runNodeRedCell({ action, phase, runs: options.runs, seed: (options.seed ?? 1) * 1000 + i++ });
      options.onCell?.(stats);
      out.push(stats);
    }
  }
  return out;
}

export function nodeRedViolations(cells: readonly NodeRedCellStats[]): string[] {
  const out: string[] = [];
  for (const c of cells) {
    const where = `node-red: ${c.action} ${NODE_RED_PHASE_LABEL[c.phase]}`;
    if (c.doubleCharges) out.push(`${where}: ${c.doubleCharges} double charge(s)`);
    if (c.silentLosses) out.push(`${where}: ${c.silentLosses} silent loss(es)`);
    if (c.wrong) out.push(`${where}: ${c.wrong} msg(s) contradict the log`);
    if (c.doubleDeliveries) out.push(`${where}: ${c.doubleDeliveries} double deliver(ies)`);
    if (c.unsaid) out.push(`${where}: ${c.unsaid} recorded payment(s) never told`);
    for (const p of c.problems) out.push(`${where}: ${p}`);
  }
  return [...new Set(out)];
}

export function formatNodeRedTable(cells: readonly NodeRedCellStats[]): string {
  const head = ['action', 'phase', 'runs', 'recorded', '…approved', 'told on output 1', 'told on output 3', 'double charges', 'silent losses', 'wrong', 'told twice', 'unsaid'];
  const sum = (k: keyof NodeRedCellStats): number => cells.reduce((n, c) => n + (c[k] as number), 0);
  const rows = cells.map((c) =>
    [c.action, NODE_RED_PHASE_LABEL[c.phase], c.runs, c.recorded, c.approved, c.toldOnOutput1, c.toldOnOutput3, c.doubleCharges, c.silentLosses, c.wrong, c.doubleDeliveries, c.unsaid].map(String),
  );
  rows.push(
    ['**total**', '', sum('runs'), sum('recorded'), sum('approved'), sum('toldOnOutput1'), sum('toldOnOutput3'), sum('doubleCharges'), sum('silentLosses'), sum('wrong'), sum('doubleDeliveries'), sum('unsaid')].map(String),
  );
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cols: string[]): string => `| ${cols.map((c, i) => c.padEnd(widths[i])).join(' | ')} |`;
  return [line(head), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...rows.map(line)].join('\n');
}

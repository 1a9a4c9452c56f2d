/**
 * Child process: ONE client process driving many simulated terminals (the fleet
 * benchmark). Each terminal runs purchases one after another with a random pause
 * between them, either through JpayClient or through the raw client doing the same
 * exchange (every message answered ok). Also measures the memory of idle clients.
 */
import { monitorEventLoopDelay, PerformanceObserver } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { serializePacket } from '../dist/lib/codec/xml';
import { JpayClient } from '../dist/lib/client';
import { buildRequest } from '../dist/lib/protocol/requests';
import { serve } from './child';
import { gc } from './gc';
import { frame, rawExchange, rootName } from './raw-client';
import { nowMs, percentile } from './stats';

export type FleetMode = 'client' | 'raw';

export interface FleetRoundParams {
  mode: FleetMode;
  durationMs: number;
  /** Mean pause between one terminal's purchases (uniform 0..2×mean), ms. */
  meanPauseMs: number;
}

export interface FleetRound {
  mode: FleetMode;
  purchases: number;
  errors: number;
  /** Completed purchases per second, all terminals together. */
  throughput: number;
  /** Purchase latency as the client sees it, ms. */
  p50: number;
  p99: number;
  /** CPU of this process per purchase, µs. */
  cpuPerPurchase: number;
  /** Event-loop delay p99 and max during the round, ms. */
  loopDelayP99: number;
  loopDelayMax: number;
  /** Longest garbage-collection pause in this process during the round, ms. */
  gcMaxPause: number;
  /** The simulator process's event-loop delay p99 and max, ms (filled in by the parent). */
  simLoopDelayP99?: number;
  simLoopDelayMax?: number;
}

export interface IdleMemory {
  terminals: number;
  /** RSS growth per idle client (created, one purchase done, connection closed), bytes. */
  rssPerTerminal: number;
  heapPerTerminal: number;
}

const AMOUNT = 10_000;
const OK = Buffer.from('<status>ok</status>');

let ports: number[] = [];
let clients: JpayClient[] = [];
const PURCHASE = frame(serializePacket(buildRequest('transaction', { type: 'purchase', amount: AMOUNT })));
const answers = new Map<string, Buffer>();

function answerFor(name: string): Buffer {
  let answer = answers.get(name);
  if (!answer) {
    answer = frame(`<${name}><status>ok</status></${name}>`);
    answers.set(name, answer);
  }
  return answer;
}

async function rawPurchase(port: number): Promise<void> {
  const response = await rawExchange(port, PURCHASE, (payload) => {
    const name = rootName(payload);
    return name === 'transaction' ? 'done' : answerFor(name);
  });
  if (response.indexOf(OK) < 0) throw new Error('raw purchase failed');
}

async function clientPurchase(client: JpayClient): Promise<void> {
  const result = await client.transaction({ type: 'purchase', amount: AMOUNT });
  if (result.status !== 'ok' || !result.approved) throw new Error(`purchase ${result.status}`);
}

function makeClients(): void {
  clients = ports.map((port) => new JpayClient({ host: '127.0.0.1', port }));
}

/** Runs `task` for every index with at most `limit` at a time. */
async function eachLimited(count: number, limit: number, task: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < count) await task(next++);
  };
  await Promise.all(Array.from({ length: Math.min(limit, count) }, worker));
}

/** Memory of idle clients: measured first, in a fresh process, before any load. */
async function idleMemory(params: { ports: number[] }): Promise<IdleMemory> {
  ports = params.ports;
  // Load and warm every code path with one client first, so module code is not counted.
  const warm = new JpayClient({ host: '127.0.0.1', port: ports[0] });
  for (let i = 0; i < 3; i++) await clientPurchase(warm);
  await warm.close();
  await sleep(50);
  gc();
  const before = process.memoryUsage();
  makeClients();
  await eachLimited(clients.length, 50, (i) => clientPurchase(clients[i]));
  await sleep(100);
  gc();
  const after = process.memoryUsage();
  return {
    terminals: clients.length,
    rssPerTerminal: (after.rss - before.rss) / clients.length,
    heapPerTerminal: (after.heapUsed - before.heapUsed) / clients.length,
  };
}

async function round(params: FleetRoundParams): Promise<FleetRound> {
  // Every round starts on terminals reset to their factory state (receipt numbers from 1
  // again): new clients, as a client that saw the old numbering takes a lower number in the
  // same second for a copy of an old answer (an unknown outcome, lib/client/answer-binding.ts).
  await closeAll();
  makeClients();
  const latencies: number[] = [];
  let errors = 0;
  const loop = monitorEventLoopDelay({ resolution: 1 });
  let gcMaxPause = 0;
  const gcObserver = new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) gcMaxPause = Math.max(gcMaxPause, entry.duration);
  });
  gcObserver.observe({ entryTypes: ['gc'] });
  const cpuBefore = process.cpuUsage();
  const start = nowMs();
  const end = start + params.durationMs;
  loop.enable();
  await Promise.all(
    ports.map(async (port, i) => {
      // Random phases from the start, so the terminals do not run in step.
      let pause = Math.random() * 2 * params.meanPauseMs;
      while (nowMs() + pause < end) {
        await sleep(pause);
        const t0 = nowMs();
        try {
          if (params.mode === 'client') await clientPurchase(clients[i]);
          else await rawPurchase(port);
          latencies.push(nowMs() - t0);
        } catch {
          errors++;
        }
        pause = Math.random() * 2 * params.meanPauseMs;
      }
    }),
  );
  loop.disable();
  gcObserver.disconnect();
  const elapsed = Math.max(params.durationMs, nowMs() - start);
  const cpu = process.cpuUsage(cpuBefore);
  return {
    mode: params.mode,
    purchases: latencies.length,
    errors,
    throughput: latencies.length / (elapsed / 1000),
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    cpuPerPurchase: (cpu.user + cpu.system) / Math.max(1, latencies.length + errors),
    loopDelayP99: loop.percentile(99) / 1e6,
    loopDelayMax: loop.max / 1e6,
    gcMaxPause,
  };
}

async function closeAll(): Promise<void> {
  await Promise.all(clients.splice(0).map((c) => c.close()));
}

if (require.main === module) {
  serve({
    idleMemory,
    setPorts: (params: { ports: number[] }) => {
      ports = params.ports;
    },
    round,
    closeAll,
  });
}

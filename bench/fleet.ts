/**
 * Measurement 3 — fleet: one client process (a child, so its memory is its own) drives N
 * simulated terminals (another child) concurrently; every terminal runs purchases (each
 * starts with the terminal's keepalive, then five display messages) with random pauses.
 * JpayClient rounds alternate with raw-client rounds doing the same exchange; the latency
 * the client adds is the difference of the two in the same pair of rounds.
 */
import { Child } from './child';
import type { FleetRound, FleetRoundParams, IdleMemory } from './fleet-client';
import { median } from './stats';

export interface FleetOptions {
  terminals: number;
  /** Pairs of rounds (client, raw); the order alternates. */
  pairs: number;
  roundMs: number;
  /** Mean pause between one terminal's purchases, ms (sets the offered load). */
  meanPauseMs: number;
  /** Measure idle memory per client first (in the fresh client process). */
  memory: boolean;
}

export interface FleetResult {
  terminals: number;
  offeredPerSecond: number;
  rounds: FleetRound[];
  client: { throughput: number; p50: number; p99: number; cpuPerPurchase: number; loopDelayP99: number };
  raw: { throughput: number; p50: number; p99: number; cpuPerPurchase: number; loopDelayP99: number };
  /** Median over pairs of (client − raw), ms. */
  addedP50: number;
  addedP99: number;
  errors: number;
  memory?: IdleMemory;
}

function summary(rounds: FleetRound[]): FleetResult['client'] {
  return {
    throughput: median(rounds.map((r) => r.throughput)),
    p50: median(rounds.map((r) => r.p50)),
    p99: median(rounds.map((r) => r.p99)),
    cpuPerPurchase: median(rounds.map((r) => r.cpuPerPurchase)),
    loopDelayP99: median(rounds.map((r) => r.loopDelayP99)),
  };
}

export async function benchFleet(options: FleetOptions): Promise<FleetResult> {
  const sims = Child.start('sim-host.ts');
  const driver = Child.start('fleet-client.ts');
  try {
    const ports = await sims.call<number[]>('start', { count: options.terminals });
    const memory = options.memory ? await driver.call<IdleMemory>('idleMemory', { ports }) : undefined;
    if (!memory) await driver.call('setPorts', { ports });
    const run = async (mode: FleetRoundParams['mode'], durationMs = options.roundMs): Promise<FleetRound> => {
      await sims.call('resetAll');
      await sims.call('loopStats');
      const round = await driver.call<FleetRound>('round', { mode, durationMs, meanPauseMs: options.meanPauseMs } satisfies FleetRoundParams);
      const sim = await sims.call<{ p99: number; max: number }>('loopStats');
      return { ...round, simLoopDelayP99: sim.p99, simLoopDelayMax: sim.max };
    };
    // A short warm-up of both paths, not counted.
    await run('client', options.roundMs / 3);
    await run('raw', options.roundMs / 3);
    const rounds: FleetRound[] = [];
    const added50: number[] = [];
    const added99: number[] = [];
    for (let pair = 0; pair < options.pairs; pair++) {
      const [first, second] = pair % 2 === 0 ? (['client', 'raw'] as const) : (['raw', 'client'] as const);
      const a = await run(first);
      const b = await run(second);
      rounds.push(a, b);
      const client = first === 'client' ? a : b;
      const raw = first === 'client' ? b : a;
      added50.push(client.p50 - raw.p50);
      added99.push(client.p99 - raw.p99);
    }
    await driver.call('closeAll');
    return {
      terminals: options.terminals,
      offeredPerSecond: options.terminals / (options.meanPauseMs / 1000),
      rounds,
      client: summary(rounds.filter((r) => r.mode === 'client')),
      raw: summary(rounds.filter((r) => r.mode === 'raw')),
      addedP50: median(added50),
      addedP99: median(added99),
      errors: rounds.reduce((n, r) => n + r.errors, 0),
      ...(memory ? { memory } : {}),
    };
  } finally {
    await driver.stop();
    await sims.stop();
  }
}

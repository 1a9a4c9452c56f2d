/**
 * Child process: hosts simulated terminals (lib/simulator) with no artificial delays and
 * tells the parent their ports. Started by the command-overhead and fleet benchmarks.
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { startSimulator, type SimulatorHandle } from '../dist/lib/simulator';
import { serve } from './child';

/** Every artificial delay off; generous deadlines so a loaded machine never times out. */
export const ZERO_DELAYS = {
  cardDelayMs: 0,
  hostDelayMs: 0,
  keepaliveIntervalMs: 1000,
  cardTimeoutMs: 60_000,
  answerTimeoutMs: 60_000,
  firstPacketTimeoutMs: 60_000,
  frameTimeoutMs: 60_000,
  faultDelayMs: 0,
  resetKeepAliveIntervalMs: 1000,
  activatorTimeoutMs: 60_000,
};

const running: SimulatorHandle[] = [];
const loop = monitorEventLoopDelay({ resolution: 1 });

/** Event-loop delay of the simulator process since the last call, ms: a stall here delays every terminal alike. */
function loopStats(): { p99: number; max: number } {
  const stats = { p99: loop.percentile(99) / 1e6, max: loop.max / 1e6 };
  loop.reset();
  return stats;
}

/** Every terminal back to a fresh start (empty log and event journal), so rounds start alike. */
async function resetAll(): Promise<void> {
  await Promise.all(running.map((sim) => sim.reset()));
}

async function start(params: { count: number }): Promise<number[]> {
  const ports: number[] = [];
  for (let i = 0; i < params.count; i++) {
    const sim = await startSimulator({ port: 0, activatorPort: 0, timing: ZERO_DELAYS, maxConnections: 8 });
    running.push(sim);
    ports.push(sim.port);
  }
  return ports;
}

async function stopAll(): Promise<void> {
  await Promise.all(running.splice(0).map((sim) => sim.close()));
}

if (require.main === module) {
  loop.enable();
  serve({
    start,
    stopAll,
    resetAll,
    loopStats,
    cpu: () => process.cpuUsage(),
    memory: () => process.memoryUsage(),
  });
}

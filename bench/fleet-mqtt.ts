/**
 * Measurement "fleet over MQTT": N simulated terminals (one child), each with its command
 * gateway (all in a second child, each its own client and MQTT connection) behind one real
 * Mosquitto; the back office runs ONE `jpay --mqtt … --all settlement --json` (a real CLI
 * process). Baseline: the same settlements straight from JpayClients, as many at a time
 * as the CLI sends (no broker, no gateway). Rounds alternate; success count, p50/p99 per
 * terminal, the whole command's wall time, and the memory of one idle gateway.
 */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { Child } from './child';
import type { DirectRound, GatewayMemory } from './gateway-host';
import { startBroker } from './mosquitto';
import { median, nowMs, percentile } from './stats';

const run = promisify(execFile);
const CLI = path.resolve(__dirname, '../dist/lib/cli/jpay.js');
/** The CLI's --all concurrency (lib/cli/jpay/mqtt.ts); the baseline uses the same. */
const CONCURRENCY = 50;

export interface FleetMqttOptions {
  terminals: number;
  /** Pairs of rounds (subject, baseline); the order alternates. */
  pairs: number;
}

export interface FleetMqttRound {
  mode: 'mqtt' | 'direct';
  ok: number;
  failed: number;
  p50: number;
  p99: number;
  wallMs: number;
}

export interface FleetMqttResult {
  terminals: number;
  rounds: FleetMqttRound[];
  mqtt: { ok: number; p50: number; p99: number; wallMs: number };
  direct: { ok: number; p50: number; p99: number; wallMs: number };
  memory: GatewayMemory;
}

interface CliFleetJson {
  exitCode: number;
  terminals: { terminalId: string; outcome: string; ms?: number }[];
}

async function cliRound(url: string, terminals: number): Promise<FleetMqttRound> {
  const t0 = nowMs();
  const { stdout } = await run(process.execPath, [CLI, '--mqtt', url, '--all', 'settlement', '--json', '--timeout', '120'], { maxBuffer: 64 * 1024 * 1024 }).catch(
    (error: { stdout?: string; stderr?: string }) => {
      if (error.stdout) return { stdout: error.stdout };
      throw new Error(`jpay --mqtt failed: ${error.stderr ?? String(error)}`);
    },
  );
  const wallMs = nowMs() - t0;
  const json = JSON.parse(stdout) as CliFleetJson;
  const ok = json.terminals.filter((t) => t.outcome === 'ok').length;
  const times = json.terminals.flatMap((t) => (t.ms === undefined ? [] : [t.ms]));
  return { mode: 'mqtt', ok, failed: terminals - ok, p50: percentile(times, 50), p99: percentile(times, 99), wallMs };
}

function summary(rounds: FleetMqttRound[]): FleetMqttResult['mqtt'] {
  return {
    ok: Math.min(...rounds.map((r) => r.ok)),
    p50: median(rounds.map((r) => r.p50)),
    p99: median(rounds.map((r) => r.p99)),
    wallMs: median(rounds.map((r) => r.wallMs)),
  };
}

export async function benchFleetMqtt(options: FleetMqttOptions): Promise<FleetMqttResult> {
  const broker = await startBroker();
  const sims = Child.start('sim-host.ts');
  const hosts = Child.start('gateway-host.ts');
  try {
    const ports = await sims.call<number[]>('start', { count: options.terminals });
    const memory = await hosts.call<GatewayMemory>('start', { ports, url: broker.url });
    const direct = async (): Promise<FleetMqttRound> => {
      const r = await hosts.call<DirectRound>('direct', { ports, concurrency: CONCURRENCY });
      return { mode: 'direct', ok: r.ok, failed: r.failed, p50: percentile(r.times, 50), p99: percentile(r.times, 99), wallMs: r.wallMs };
    };
    // Warm-up of both paths, not counted.
    await cliRound(broker.url, options.terminals);
    await direct();
    const rounds: FleetMqttRound[] = [];
    for (let pair = 0; pair < options.pairs; pair++) {
      if (pair % 2 === 0) rounds.push(await cliRound(broker.url, options.terminals), await direct());
      else rounds.push(await direct(), await cliRound(broker.url, options.terminals));
    }
    await hosts.call('closeAll');
    return {
      terminals: options.terminals,
      rounds,
      mqtt: summary(rounds.filter((r) => r.mode === 'mqtt')),
      direct: summary(rounds.filter((r) => r.mode === 'direct')),
      memory,
    };
  } finally {
    await hosts.stop();
    await sims.stop();
    await broker.stop();
  }
}

/**
 * `npm run bench` (`-- --quick` for a run under a minute, `-- --only=codec,fleet` for a
 * subset): every measurement against its baseline in one run, one table on stdout and
 * bench/results/latest.json with the machine it ran on. See docs/benchmarks.md.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { benchCodec, type CodecCase, type CodecOptions, type CodecResult } from './codec';
import { benchCommandOverhead, type CommandOverheadOptions, type CommandOverheadResult } from './command-overhead';
import { benchFleet, type FleetOptions, type FleetResult } from './fleet';
import { benchFleetMqtt, type FleetMqttOptions, type FleetMqttResult } from './fleet-mqtt';
import { benchHandshake, type HandshakeOptions, type HandshakeResult } from './handshake';
import { benchLoadTime, type LoadTimeOptions, type LoadTimeResult, type Ratio } from './load-time';
import { describeMachine } from './machine';
import { benchMqtt, type MqttOptions, type MqttResult } from './mqtt';
import { benchRecovery, type RecoveryOptions, type RecoveryResult } from './recovery';
import { added, bytes, formatTable, ms, times, us, type Row } from './table';

export const MEASUREMENTS = ['command', 'codec', 'fleet', 'handshake', 'mqtt', 'recovery', 'gateway', 'load'] as const;
export type Measurement = (typeof MEASUREMENTS)[number];

export interface Plan {
  command: Omit<CommandOverheadOptions, 'encrypted'>;
  codec: CodecOptions;
  fleet: Omit<FleetOptions, 'memory'>[];
  handshake: HandshakeOptions;
  mqtt: MqttOptions;
  recovery: RecoveryOptions;
  gateway: FleetMqttOptions;
  load: LoadTimeOptions;
}

export const FULL: Plan = {
  command: { iterations: 300, rounds: 8, warmup: 3000 },
  codec: { reportTransactions: 10_000, receiptIterations: 2000, reportIterations: 2, rounds: 6 },
  fleet: [
    { terminals: 100, pairs: 3, roundMs: 8000, meanPauseMs: 1000 },
    { terminals: 1000, pairs: 3, roundMs: 15_000, meanPauseMs: 5000 },
  ],
  handshake: { iterations: 100, rounds: 6 },
  mqtt: { receipts: 1000, sequential: 300, rounds: 6 },
  recovery: { sales: 100, rounds: 6, resolvedEntries: 10_000 },
  gateway: { terminals: 200, pairs: 3 },
  load: { requireRuns: 21, nodeRedRuns: 21 },
};

export const QUICK: Plan = {
  command: { iterations: 100, rounds: 4, warmup: 100 },
  codec: { reportTransactions: 1000, receiptIterations: 300, reportIterations: 3, rounds: 4 },
  fleet: [{ terminals: 100, pairs: 2, roundMs: 2500, meanPauseMs: 1000 }],
  handshake: { iterations: 30, rounds: 4 },
  mqtt: { receipts: 300, sequential: 100, rounds: 4 },
  recovery: { sales: 40, rounds: 4, resolvedEntries: 2000 },
  gateway: { terminals: 50, pairs: 1 },
  load: { requireRuns: 7, nodeRedRuns: 3 },
};

const TARGET = {
  command: 1.15,
  codec: 1.3,
  addedP99Ms: 5,
  rssPerTerminal: 100 * 1024,
  fleetTerminals: 1000,
  mqttBurst: 1.3,
  mqttOneAtATime: 2,
  saleWithJournal: 1.15,
  requireMain: 1.5,
  nodeRedStart: 1.05,
};

function commandRows(r: CommandOverheadResult): Row[] {
  const kind = r.encrypted ? 'encrypted' : 'plain';
  return [
    {
      measurement: `command round trip, ${kind}: vs a hand client (framing + fast-xml-parser)`,
      subject: us(r.latency.subject),
      baseline: us(r.latency.baseline),
      ratio: times(r.latency.ratio),
      target: `≤ ${TARGET.command}×`,
      pass: r.latency.ratio <= TARGET.command,
    },
    {
      measurement: `  round trip over the first ${r.warmup} commands of a fresh process`,
      subject: us(r.cold.subject),
      baseline: us(r.cold.baseline),
      ratio: times(r.cold.ratio),
      target: '—',
    },
    {
      measurement: `  client CPU per command, ${kind}`,
      subject: us(r.cpu.subject),
      baseline: us(r.cpu.baseline),
      ratio: times(r.cpu.ratio),
      target: '—',
    },
    {
      measurement: `  round trip vs the raw client (pre-built bytes, no parse)`,
      subject: us(r.raw.latency.subject),
      baseline: us(r.raw.latency.baseline),
      ratio: times(r.raw.latency.ratio),
      target: '—',
    },
    {
      measurement: `  client CPU per command vs the raw client`,
      subject: us(r.raw.cpu.subject),
      baseline: us(r.raw.cpu.baseline),
      ratio: times(r.raw.cpu.ratio),
      target: '—',
    },
  ];
}

function codecRows(c: CodecCase): Row[] {
  const label = `${c.name}, ${bytes(c.bytes)}`;
  return [
    {
      measurement: `codec parse: ${label}`,
      subject: us(c.parse.subject),
      baseline: us(c.parse.baseline),
      ratio: times(c.parse.ratio),
      target: `≤ ${TARGET.codec}×`,
      pass: c.parse.ratio <= TARGET.codec,
    },
    {
      measurement: `codec build: ${label}`,
      subject: us(c.build.subject),
      baseline: us(c.build.baseline),
      ratio: times(c.build.ratio),
      target: `≤ ${TARGET.codec}×`,
      pass: c.build.ratio <= TARGET.codec,
    },
  ];
}

function codecMemoryRows(r: CodecResult): Row[] {
  const { subject, baseline } = r.memory;
  return [
    {
      measurement: `  heap kept by a parsed ${r.report.name}`,
      subject: bytes(subject.retainedHeap),
      baseline: bytes(baseline.retainedHeap),
      ratio: times(subject.retainedHeap / baseline.retainedHeap),
      target: '—',
    },
    {
      measurement: '  peak RSS growth while parsing it',
      subject: bytes(subject.peakRssGrowth),
      baseline: bytes(baseline.peakRssGrowth),
      ratio: times(subject.peakRssGrowth / baseline.peakRssGrowth),
      target: '—',
    },
  ];
}

function fleetRows(r: FleetResult): Row[] {
  const n = r.terminals.toLocaleString('en-US');
  const gated = r.terminals >= TARGET.fleetTerminals;
  const rows: Row[] = [
    {
      measurement: `fleet ${n}: purchases/s (${r.offeredPerSecond.toFixed(0)}/s offered)`,
      subject: r.client.throughput.toFixed(0),
      baseline: r.raw.throughput.toFixed(0),
      ratio: times(r.raw.throughput / r.client.throughput),
      target: '—',
    },
    {
      measurement: `fleet ${n}: p50 latency (added)`,
      subject: ms(r.client.p50),
      baseline: ms(r.raw.p50),
      ratio: added(r.addedP50),
      target: '—',
    },
    {
      measurement: `fleet ${n}: p99 latency (added)`,
      subject: ms(r.client.p99),
      baseline: ms(r.raw.p99),
      ratio: added(r.addedP99),
      target: `≤ +${TARGET.addedP99Ms} ms`,
      ...(gated ? { pass: r.addedP99 <= TARGET.addedP99Ms } : {}),
    },
    {
      measurement: `  client CPU per purchase`,
      subject: us(r.client.cpuPerPurchase),
      baseline: us(r.raw.cpuPerPurchase),
      ratio: times(r.client.cpuPerPurchase / r.raw.cpuPerPurchase),
      target: '—',
    },
  ];
  if (r.memory) {
    rows.push({
      measurement: `fleet ${n}: RSS per idle terminal (heap)`,
      subject: `${bytes(r.memory.rssPerTerminal)} (${bytes(r.memory.heapPerTerminal)})`,
      baseline: '—',
      ratio: '—',
      target: `≤ ${bytes(TARGET.rssPerTerminal)}`,
      ...(gated ? { pass: r.memory.rssPerTerminal <= TARGET.rssPerTerminal } : {}),
    });
  }
  if (r.errors > 0) rows.push({ measurement: `fleet ${n}: failed purchases`, subject: String(r.errors), baseline: '', ratio: '', target: '0', pass: false });
  return rows;
}

function handshakeRow(r: HandshakeResult): Row {
  return {
    measurement: `handshake: @noble/curves vs node:crypto ECDH (library uses ${r.library})${r.agree ? '' : ' (KEYS DIFFER)'}`,
    subject: us(r.comparison.subject),
    baseline: us(r.comparison.baseline),
    ratio: times(r.comparison.ratio),
    target: 'report',
    ...(r.agree ? {} : { pass: false }),
  };
}

function mqttRows(r: MqttResult): Row[] {
  return [
    {
      measurement: `receipts to MQTT, a burst: outbox vs MQTT.js QoS 1`,
      subject: `${us(r.comparison.subject)} (${r.receiptsPerSecond.subject.toFixed(0)}/s)`,
      baseline: `${us(r.comparison.baseline)} (${r.receiptsPerSecond.baseline.toFixed(0)}/s)`,
      ratio: times(r.comparison.ratio),
      target: `≤ ${TARGET.mqttBurst}×`,
      pass: r.comparison.ratio <= TARGET.mqttBurst,
    },
    ...r.sequential.map(
      ({ medium, comparison }): Row => ({
        measurement: `receipts to MQTT, one at a time (one sync each, outbox on the ${medium}): vs MQTT.js publish-and-await`,
        subject: us(comparison.subject),
        baseline: us(comparison.baseline),
        ratio: times(comparison.ratio),
        target: `≤ ${TARGET.mqttOneAtATime}×`,
        pass: comparison.ratio <= TARGET.mqttOneAtATime,
      }),
    ),
  ];
}

function recoveryRows(r: RecoveryResult): Row[] {
  const sales = r.cases.map(
    (c): Row => ({
      measurement: `sale with the journal (block) on the ${c.medium}, ${c.resolvedEntries.toLocaleString('en-US')} resolved entries (${bytes(c.journalBytes)}) vs without`,
      subject: us(c.latency.subject),
      baseline: us(c.latency.baseline),
      ratio: times(c.latency.ratio),
      target: `≤ ${TARGET.saleWithJournal}×`,
      pass: c.latency.ratio <= TARGET.saleWithJournal,
    }),
  );
  const floor: Row = {
    measurement: '  one append + fdatasync on the disk (the floor of a synced write; a sale with the journal has 2, a receipt 1)',
    subject: us(r.syncFloor),
    baseline: '—',
    ratio: '—',
    target: '—',
  };
  return [...sales, floor];
}

function gatewayRows(r: FleetMqttResult): Row[] {
  const n = r.terminals;
  const label = `fleet over MQTT ${n}: one jpay --mqtt --all settlement`;
  return [
    {
      measurement: `${label}, terminals settled (vs directly)`,
      subject: `${r.mqtt.ok}/${n}`,
      baseline: `${r.direct.ok}/${n}`,
      ratio: '—',
      target: `${n}/${n}`,
      pass: r.mqtt.ok === n,
    },
    {
      measurement: '  settlement per terminal, p50 (gateway vs client straight to the terminal)',
      subject: ms(r.mqtt.p50),
      baseline: ms(r.direct.p50),
      ratio: times(r.mqtt.p50 / r.direct.p50),
      target: '—',
    },
    {
      measurement: '  settlement per terminal, p99',
      subject: ms(r.mqtt.p99),
      baseline: ms(r.direct.p99),
      ratio: times(r.mqtt.p99 / r.direct.p99),
      target: '—',
    },
    {
      measurement: '  the whole command (CLI start, discovery, every answer) vs all settlements directly',
      subject: ms(r.mqtt.wallMs),
      baseline: ms(r.direct.wallMs),
      ratio: times(r.mqtt.wallMs / r.direct.wallMs),
      target: '—',
    },
    {
      measurement: `fleet over MQTT ${n}: RSS per idle gateway, with its client and connection (heap)`,
      subject: `${bytes(r.memory.rssPerGateway)} (${bytes(r.memory.heapPerGateway)})`,
      baseline: '—',
      ratio: '—',
      target: '—',
    },
  ];
}

function loadRows(r: LoadTimeResult): Row[] {
  const row = (measurement: string, x: Ratio, target: number): Row => ({
    measurement: `load: ${measurement}`,
    subject: ms(x.subject),
    baseline: ms(x.baseline),
    ratio: times(x.ratio),
    target: `≤ ${target}×`,
    pass: x.ratio <= target,
  });
  return [
    row('require() of the package main vs node -e 0', r.require, TARGET.requireMain),
    row('Node-RED start with the package vs without', r.nodeRed, TARGET.nodeRedStart),
  ];
}

export interface RunOptions {
  plan: Plan;
  only: readonly Measurement[];
  log: (line: string) => void;
}

export interface RunOutput {
  rows: Row[];
  results: Partial<Record<Measurement, unknown>>;
}

export async function runAll({ plan, only, log }: RunOptions): Promise<RunOutput> {
  const rows: Row[] = [];
  const results: RunOutput['results'] = {};
  const step = async <T>(name: Measurement, work: () => Promise<T>, toRows: (r: T) => Row[]): Promise<void> => {
    if (!only.includes(name)) return;
    log(`… ${name}`);
    const result = await work();
    results[name] = result;
    rows.push(...toRows(result));
  };
  await step(
    'command',
    async () => [await benchCommandOverhead({ ...plan.command, encrypted: false }), await benchCommandOverhead({ ...plan.command, encrypted: true })],
    (r) => r.flatMap(commandRows),
  );
  await step('codec', () => benchCodec(plan.codec), (r) => [...codecRows(r.receipt), ...codecRows(r.report), ...codecMemoryRows(r)]);
  await step(
    'fleet',
    async () => {
      const out: FleetResult[] = [];
      for (const f of plan.fleet) out.push(await benchFleet({ ...f, memory: true }));
      return out;
    },
    (r) => r.flatMap(fleetRows),
  );
  await step('handshake', () => benchHandshake(plan.handshake), (r) => [handshakeRow(r)]);
  await step('mqtt', () => benchMqtt(plan.mqtt), mqttRows);
  await step('recovery', () => benchRecovery(plan.recovery), recoveryRows);
  await step('gateway', () => benchFleetMqtt(plan.gateway), gatewayRows);
  await step('load', () => benchLoadTime(plan.load), loadRows);
  return { rows, results };
}

function parseArgs(argv: readonly string[]): { quick: boolean; only: Measurement[] } {
  const quick = argv.includes('--quick');
  const onlyArg = argv.find((a) => a.startsWith('--only='));
  const only = onlyArg ? (onlyArg.slice('--only='.length).split(',') as Measurement[]) : [...MEASUREMENTS];
  for (const name of only) if (!MEASUREMENTS.includes(name)) throw new Error(`unknown measurement ${name} (${MEASUREMENTS.join(', ')})`);
  return { quick, only };
}

async function main(): Promise<void> {
  const { quick, only } = parseArgs(process.argv.slice(2));
  const machine = describeMachine();
  const started = Date.now();
  const log = (line: string): void => void process.stderr.write(`${line}\n`);
  log(`jpay bench (${quick ? 'quick' : 'full'}) on ${machine.cpu}, ${machine.cores} cores, node ${machine.node}, load ${machine.loadAverage.join(' ')}`);
  const { rows, results } = await runAll({ plan: quick ? QUICK : FULL, only, log });
  const seconds = Math.round((Date.now() - started) / 100) / 10;
  process.stdout.write(`\n${formatTable(rows)}\n\n`);
  const out = path.join(__dirname, 'results', 'latest.json');
  mkdirSync(path.dirname(out), { recursive: true });
  writeFileSync(out, `${JSON.stringify({ mode: quick ? 'quick' : 'full', seconds, machine, rows, results }, null, 2)}\n`);
  log(`${seconds} s; written ${path.relative(process.cwd(), out)}`);
  const failed = rows.filter((r) => r.pass === false).length;
  if (failed > 0) log(`${failed} target(s) missed`);
}

if (require.main === module) {
  main().catch((error: unknown) => {
    process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exitCode = 1;
  });
}

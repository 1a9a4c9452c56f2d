/**
 * The benchmarks still run and produce well-formed numbers (tiny iteration counts). No
 * timing is asserted: on a shared machine only ratios from one real run mean anything.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { benchCodec } from '../../bench/codec';
import { benchCommandOverhead } from '../../bench/command-overhead';
import { benchFleet } from '../../bench/fleet';
import { benchFleetMqtt } from '../../bench/fleet-mqtt';
import { benchHandshake } from '../../bench/handshake';
import { benchLoadTime } from '../../bench/load-time';
import { describeMachine } from '../../bench/machine';
import { benchMqtt } from '../../bench/mqtt';
import { benchRecovery } from '../../bench/recovery';
import { runAll, QUICK } from '../../bench/run';
import { allFinite, type Comparison } from '../../bench/stats';
import { formatTable } from '../../bench/table';

function assertComparison(c: Comparison, rounds: number): void {
  assert.equal(c.rounds.length, rounds);
  assert.ok(allFinite([c.subject, c.baseline, c.ratio, ...c.rounds.flatMap((r) => [r.subject, r.baseline])]), JSON.stringify(c));
  assert.ok(c.subject > 0 && c.baseline > 0 && c.ratio > 0, JSON.stringify(c));
}

const MOSQUITTO = process.env.MOSQUITTO ?? '/usr/sbin/mosquitto';

describe('bench (smoke: well-formed numbers, no timing assertions)', function () {
  this.timeout(120_000);

  it('command overhead: JpayClient vs the hand client (framing + parse) and the raw client, plain and encrypted', async () => {
    for (const encrypted of [false, true]) {
      const r = await benchCommandOverhead({ encrypted, iterations: 3, rounds: 2, warmup: 1 });
      assert.equal(r.encrypted, encrypted);
      for (const c of [r.latency, r.cpu, r.raw.latency, r.raw.cpu]) assertComparison(c, 2);
    }
  });

  it('codec: parse and build of a receipt and a small X-report, with memory figures', async () => {
    const r = await benchCodec({ reportTransactions: 20, receiptIterations: 3, reportIterations: 1, rounds: 2 });
    for (const c of [r.receipt, r.report]) {
      assert.ok(Number.isInteger(c.bytes) && c.bytes > 0);
      assertComparison(c.parse, 2);
      assertComparison(c.build, 2);
    }
    assert.match(r.report.name, /20 transactions/);
    for (const m of [r.memory.subject, r.memory.baseline]) assert.ok(allFinite([m.retainedHeap, m.peakRssGrowth]), JSON.stringify(m));
  });

  it('fleet: a few terminals, client and raw rounds, idle memory', async () => {
    const r = await benchFleet({ terminals: 3, pairs: 1, roundMs: 300, meanPauseMs: 30, memory: true });
    assert.equal(r.terminals, 3);
    assert.equal(r.errors, 0, 'every purchase succeeded');
    assert.deepEqual(r.rounds.map((x) => x.mode).sort(), ['client', 'raw']);
    for (const round of r.rounds) {
      assert.ok(round.purchases > 0, `${round.mode} completed purchases`);
      assert.ok(allFinite([round.throughput, round.p50, round.p99, round.cpuPerPurchase, round.loopDelayP99]), JSON.stringify(round));
      assert.ok(round.p99 >= round.p50);
    }
    assert.ok(allFinite([r.addedP50, r.addedP99, r.offeredPerSecond]));
    assert.ok(r.memory && r.memory.terminals === 3 && allFinite([r.memory.rssPerTerminal, r.memory.heapPerTerminal]));
  });

  it('fleet over MQTT: gateways behind a local mosquitto, one jpay --mqtt --all settlement, memory per gateway', async function () {
    if (!existsSync(MOSQUITTO)) this.skip();
    const r = await benchFleetMqtt({ terminals: 3, pairs: 1 });
    assert.equal(r.terminals, 3);
    assert.deepEqual(r.rounds.map((x) => [x.mode, x.ok, x.failed]).sort(), [['direct', 3, 0], ['mqtt', 3, 0]]);
    for (const round of r.rounds) assert.ok(allFinite([round.p50, round.p99, round.wallMs]) && round.p99 >= round.p50, JSON.stringify(round));
    assert.ok(r.memory.gateways === 3 && allFinite([r.memory.rssPerGateway, r.memory.heapPerGateway]), JSON.stringify(r.memory));
  });

  it('handshake: both ECDH implementations agree on the key', async () => {
    const r = await benchHandshake({ iterations: 2, rounds: 2 });
    assert.equal(r.agree, true);
    assertComparison(r.comparison, 2);
  });

  it('receipts to MQTT: outbox vs plain MQTT.js against a local mosquitto', async function () {
    if (!existsSync(MOSQUITTO)) this.skip();
    const r = await benchMqtt({ receipts: 5, sequential: 3, rounds: 2 });
    assertComparison(r.comparison, 2);
    assert.equal(r.sequential[0].medium, 'disk');
    for (const s of r.sequential) assertComparison(s.comparison, 2);
    assert.ok(allFinite([r.receiptsPerSecond.subject, r.receiptsPerSecond.baseline]));
  });

  it('a sale with the journal vs without, with an empty and a preloaded journal', async () => {
    const r = await benchRecovery({ sales: 3, rounds: 2, resolvedEntries: 20 });
    assert.deepEqual(r.cases.slice(0, 2).map((c) => [c.medium, c.resolvedEntries]), [['disk', 0], ['disk', 20]]);
    for (const c of r.cases) {
      assertComparison(c.latency, 2);
      assert.ok(c.journalBytes > 0);
    }
  });

  it('load time: require() of the main and Node-RED with the package, as positive times and ratios', async () => {
    const r = await benchLoadTime({ requireRuns: 1, nodeRedRuns: 1 });
    for (const side of [r.require, r.nodeRed]) {
      assert.ok(allFinite([side.subject, side.baseline, side.ratio]) && side.subject > 0 && side.baseline > 0);
    }
  });

  it('runner: rows with a target carry a verdict, and the table has one line per row', async () => {
    const { rows, results } = await runAll({ plan: { ...QUICK, handshake: { iterations: 2, rounds: 2 } }, only: ['handshake'], log: () => undefined });
    assert.ok(results.handshake);
    assert.equal(rows.length, 1);
    const table = formatTable(rows).split('\n');
    assert.equal(table.length, 2 + rows.length);
    assert.match(table[2], /^handshake/);
    const machine = describeMachine();
    assert.ok(machine.cores > 0 && machine.node.startsWith('v') && !Number.isNaN(Date.parse(machine.date)));
  });
});

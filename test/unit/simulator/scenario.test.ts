import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { JpayValidationError } from '../../../lib/errors';
import { loadScenarioFile, validateScenario } from '../../../lib/simulator/scenario';
import { resolveConfig } from '../../../lib/simulator/options';
import { FaultQueue, CommandFaults } from '../../../lib/simulator/faults';

const FIXTURES = join(__dirname, '..', '..', 'fixtures', 'simulator');

describe('simulator scenario files', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'jpay-sim-scenario-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('accepts every fixture scenario', () => {
    const files = readdirSync(FIXTURES).filter((f) => f.endsWith('.scenario.json'));
    assert.ok(files.length >= 2);
    for (const file of files) assert.doesNotThrow(() => loadScenarioFile(join(FIXTURES, file)), file);
  });

  it('names the offending field', () => {
    const cases: [unknown, string, RegExp][] = [
      [{ timing: { cardDelayMs: -1 } }, 'scenario.timing.cardDelayMs', />= 0/],
      [{ outcomes: [{ status: 'nope' }] }, 'scenario.outcomes.0.status', /must be one of ok, failed/],
      [{ terminal: { password: '1234' } }, 'scenario.terminal.password', /8-digit/],
      [{ faults: [{ times: 2 }] }, 'scenario.faults.0.kind', /required/],
      [{ sbp: { colour: 'red' } }, 'scenario.sbp.colour', /not a known field/],
      [{ cards: [{ id: 'x', pan: 'abc' }] }, 'scenario.cards.0.pan', /pattern/],
    ];
    for (const [value, field, rule] of cases) {
      assert.throws(
        () => validateScenario(value),
        (error: unknown) => error instanceof JpayValidationError && error.field === field && rule.test(error.rule),
        field,
      );
    }
  });

  it('reports unreadable and non-JSON files clearly', async () => {
    assert.throws(() => loadScenarioFile(join(dir, 'missing.json')), /cannot be read: ENOENT/);
    const bad = join(dir, 'bad.json');
    await writeFile(bad, '{ nope');
    assert.throws(() => loadScenarioFile(bad), /is not valid JSON/);
  });

  it('explicit options override the scenario field by field', () => {
    const scenario = JSON.parse(readFileSync(join(FIXTURES, 'demo.scenario.json'), 'utf8')) as object;
    const config = resolveConfig({ timing: { hostDelayMs: 7 }, terminal: { tid: 'T1' } }, validateScenario(scenario));
    assert.equal(config.timing.hostDelayMs, 7);
    assert.equal(config.terminal.tid, 'T1');
    assert.equal(config.terminal.mid, '000000000000777', 'the scenario mid stays');
    assert.equal(config.sbp.enabled, true);
    assert.equal(config.terminal.parameters.tid, 'T1', 'getparameters follows the tid');
  });
});

describe('simulator fault queue', () => {
  it('hits the named command the given number of times, local faults first', () => {
    const queue = new FaultQueue();
    queue.add({ kind: 'stall', times: 2 });
    queue.add({ kind: 'garbage-frame', command: '*' });
    const report = new CommandFaults(queue, 'report');
    assert.equal(report.take('stall'), undefined, 'stall is for transactions');
    assert.equal(report.take('garbage-frame')?.kind, 'garbage-frame');
    const tx = new CommandFaults(queue, 'transaction');
    tx.addLocal('half-frame');
    assert.equal(tx.take('half-frame')?.kind, 'half-frame');
    assert.equal(tx.take('half-frame'), undefined);
    assert.ok(tx.take('stall'));
    assert.ok(tx.take('stall'));
    assert.equal(tx.take('stall'), undefined);
    assert.deepEqual(queue.list(), []);
  });
});

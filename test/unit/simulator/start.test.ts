import assert from 'node:assert/strict';
import { join } from 'node:path';
import { childElement, childText, packet } from '../../../lib/codec/packet';
import { JpayValidationError } from '../../../lib/errors';
import { startSimulator, type SimulatorHandle } from '../../../lib/simulator';
import { startTestSimulator } from '../../helpers/sim-fixtures';
import { amountWire, plainLogin, rawCommand, status } from '../../helpers/sim-raw-client';

const FIXTURES = join(__dirname, '..', '..', 'fixtures', 'simulator');

describe('startSimulator', () => {
  let sim: SimulatorHandle | undefined;
  afterEach(async () => {
    await sim?.close();
    sim = undefined;
  });

  it('refuses bad options naming the field, before listening', async () => {
    await assert.rejects(
      startSimulator({ port: 0, activatorPort: 0, timing: { cardDelayMs: -5 } }),
      (e: unknown) => e instanceof JpayValidationError && e.field === 'options.timing.cardDelayMs',
    );
    await assert.rejects(startSimulator({ port: 0, activatorPort: 0, scenario: join(FIXTURES, 'missing.json') }), /cannot be read/);
  });

  it('reports a port in use and leaves nothing open', async () => {
    sim = await startTestSimulator();
    await assert.rejects(startSimulator({ port: sim.port, activatorPort: 0 }), /EADDRINUSE/);
  });

  it('runs a scenario file: queued outcomes, faults and extra cards', async () => {
    sim = await startTestSimulator({ scenario: join(FIXTURES, 'faults.scenario.json') });
    const purchase = packet('transaction', { type: 'purchase', amount: amountWire(100) });
    await assert.rejects(rawCommand(sim.port, purchase), /closed/);
    assert.equal(sim.log()[0].tstatus, 'approved', 'dropped after the record: known truth');
    const declined = await rawCommand(sim.port, purchase);
    assert.equal(childText(childElement(declined.response.body, 'receipt'), 'tstatus'), 'declined');
    const token = await plainLogin(sim.port);
    const started = Date.now();
    assert.equal(status(await rawCommand(sim.port, packet('getparameters', { token }))), 'ok');
    assert.ok(Date.now() - started >= 45, 'getparameters delayed by the scenario fault');
    sim.presentCard('corporate');
    const corporate = await rawCommand(sim.port, purchase);
    assert.equal(childText(childElement(corporate.response.body, 'receipt'), 'pin-entered'), 'online');
    await sim.reset();
    assert.equal(sim.outcomes().length, 2, 'reset restores the scenario queue');
    assert.equal(sim.log().length, 0);
  });

  it('close() is idempotent and waitForEvent times out', async () => {
    sim = await startTestSimulator();
    await assert.rejects(sim.waitForEvent(() => false, 10), /no matching simulator event/);
    await Promise.all([sim.close(), sim.close()]);
  });
});

/** Fuzz (short, CI): garbage to the simulator over TCP; it keeps serving. The long run is scripts/fuzz.ts. */
import assert from 'node:assert/strict';
import { runSimulatorGarbage } from './sim-garbage';

describe('fuzz: simulator over TCP', function () {
  this.timeout(60_000);

  it('answers or closes every garbage connection, then serves a login; a purchase every 25 inputs and at the end', async () => {
    const stats = await runSimulatorGarbage(120);
    assert.equal(stats.inputs, 120);
    assert.equal(stats.hung, 0);
    assert.equal(stats.answered + stats.closed, 120);
    assert.equal(stats.loginsOk, 120);
    assert.equal(stats.purchasesOk, Math.floor(120 / 25) + 1);
    assert.ok(stats.badInput.size > 0, 'the garbage did reach the simulator');
  });
});

import assert from 'node:assert/strict';
import type { SReport } from '../../lib/protocol/types';
import { assertNoSecrets, errorOf, helper, loadNode, nodeTestbed, PASSWORD, statuses, terminalApi } from './fixtures';

describe('nodes/jpay-settlement (built, real runtime, simulator over TCP)', function () {
  this.timeout(15000);
  const bed = nodeTestbed({ terminal: { password: PASSWORD } });

  it('settles the day: S-report in msg.payload, the log emptied', async () => {
    const flow = await loadNode(bed.sim, { type: 'jpay-settlement', operation: 'settlement' });
    await terminalApi().client.transaction({ type: 'purchase', amount: 5000 });
    await terminalApi().client.transaction({ type: 'purchase', amount: 2500 });
    flow.send({ payload: 'end of day' });
    const msg = await flow.out.next();
    const report = msg.payload as SReport;
    assert.equal(msg.operation, 'settlement');
    assert.equal(report.passed, true);
    assert.equal(report.transactionCount, 2);
    assert.equal(report.terminalTotal, 7500);
    assert.equal(bed.sim.log().length, 0);
    assert.deepEqual(statuses(helper.getNode('dut')).at(-1), { fill: 'green', shape: 'dot', text: 'jpay-settlement.status.passed' });
    assertNoSecrets(flow.all, [PASSWORD]);
  });

  it('refuses to clear without the confirmation, and sends nothing', async () => {
    const flow = await loadNode(bed.sim, { type: 'jpay-settlement', operation: 'clear', confirmClear: false });
    await terminalApi().client.transaction({ type: 'purchase', amount: 5000 });
    flow.send({ payload: 'go' });
    const err = errorOf(await flow.caught.next());
    assert.match(err.message, /confirmClear/);
    assert.equal(err.code, 'JPAY_VALIDATION');
    assert.equal(bed.sim.log().length, 1, 'the log is untouched');
    assert.equal(statuses(helper.getNode('dut')).at(-1)?.text, 'jpay-settlement.status.badConfig');
  });

  it('clears the log when the node is set to clear and confirmed', async () => {
    const flow = await loadNode(bed.sim, { type: 'jpay-settlement', operation: 'clear', confirmClear: true });
    await terminalApi().client.transaction({ type: 'purchase', amount: 5000 });
    flow.send({ payload: 'go', operation: 'settlement' });
    const msg = await flow.out.next();
    assert.equal(msg.operation, 'clear');
    assert.equal(bed.sim.log().length, 0);
  });
});

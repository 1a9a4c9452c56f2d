import assert from 'node:assert/strict';
import type { XReport } from '../../lib/protocol/types';
import { assertNoSecrets, errorOf, helper, loadNode, nodeTestbed, PASSWORD, statuses, terminalApi } from './fixtures';

describe('nodes/jpay-report (built, real runtime, simulator over TCP)', function () {
  this.timeout(15000);
  const bed = nodeTestbed({ terminal: { password: PASSWORD } });

  it('reads the brief report, or the full one when msg.reportType asks', async () => {
    const flow = await loadNode(bed.sim, { type: 'jpay-report', reportType: 'brief' });
    await terminalApi().client.transaction({ type: 'purchase', amount: 12345 });
    flow.send({ payload: 'go' });
    const brief = await flow.out.next();
    assert.equal(brief.reportType, 'brief');
    const report = brief.payload as XReport;
    assert.equal(report.transactions.length, 0);
    assert.equal(report.grandTotals?.purchase.count, 1);
    assert.equal(report.grandTotals?.purchase.sum, 12345);

    flow.send({ reportType: 'full' });
    const full = (await flow.out.next()).payload as XReport;
    assert.equal(full.transactions.length, 1);
    assert.equal(full.transactions[0].amount, 12345);
    assert.deepEqual(statuses(helper.getNode('dut')).at(-1), { fill: 'green', shape: 'dot', text: 'jpay-report.status.done' });
    assertNoSecrets(flow.all, [PASSWORD]);
  });

  it('sends a wrong password error to the Catch node as JPAY_STATUS', async () => {
    await helper.unload();
    await bed.start({ terminal: { password: '11112222' } });
    const flow = await loadNode(bed.sim, { type: 'jpay-report', reportType: 'brief' });
    flow.send({ payload: 'go' });
    const caught = await flow.caught.next();
    assert.equal(errorOf(caught).code, 'JPAY_STATUS');
    assert.match(errorOf(caught).message, /notauthorized/);
    assert.ok(!JSON.stringify(caught).includes(PASSWORD));
  });

  it('refuses an unknown msg.reportType', async () => {
    const flow = await loadNode(bed.sim, { type: 'jpay-report', reportType: 'brief' });
    flow.send({ reportType: 'weekly' });
    const err = errorOf(await flow.caught.next());
    assert.equal(err.code, 'JPAY_VALIDATION');
    assert.match(err.message, /msg\.reportType/);
  });
});

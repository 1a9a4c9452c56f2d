/**
 * The client against the simulator where the vendor document leaves room (issue 13): a
 * full report of a large log, and a MIFARE `close` without a receipt under both readings.
 */
import assert from 'node:assert/strict';
import { JpayClient } from '../../lib/client';
import { JpayProtocolError } from '../../lib/errors';
import type { CardRequest } from '../../lib/protocol/types';
import type { SimulatorHandle } from '../../lib/simulator';
import { startTestSimulator } from '../helpers/sim-fixtures';

const PASSWORD = '12345678';

describe('JpayClient against the simulator: large reports, MIFARE close both ways (issue 13)', function () {
  this.timeout(60_000);
  let sim: SimulatorHandle | undefined;
  let client: JpayClient | undefined;

  afterEach(async () => {
    await client?.close();
    await sim?.close();
    client = undefined;
    sim = undefined;
  });

  for (const encrypt of [false, true]) {
    // 1.56 MB plain, 2.07 MB encrypted: above the 1 MiB of every other command.
    it(`a full report of 5,000 transactions with the default limits (${encrypt ? 'encrypted' : 'plain'})`, async () => {
      sim = await startTestSimulator();
      assert.equal(await sim.seedLog(5000), 5000);
      client = new JpayClient({ host: '127.0.0.1', port: sim.port, password: PASSWORD, encrypt });
      const report = await client.report('full');
      assert.equal(report.transactions?.length, 5000);
      assert.equal(report.grandTotals?.totalCount, 5000);
    });
  }

  it('a report above the limit set is still refused, naming the option', async () => {
    sim = await startTestSimulator();
    await sim.seedLog(5000);
    client = new JpayClient({ host: '127.0.0.1', port: sim.port, password: PASSWORD, maxReportFrameSize: 1024 * 1024 });
    await assert.rejects(client.report('full'), (e: unknown) => {
      assert.ok(e instanceof JpayProtocolError && e.code === 'frame-too-large', String(e));
      assert.match(e.message, /exceeds the limit of 1048576 \(maxReportFrameSize\)$/);
      return true;
    });
    // The client goes on: a brief report is small.
    assert.equal((await client.report('brief')).grandTotals?.totalCount, 5000);
  });

  for (const mode of ['continue', 'end'] as const) {
    it(`a card handler that closes without a receipt: the terminal ${mode === 'end' ? 'ends the transaction, cancelled, nothing charged' : 'goes on to a bank card'}`, async () => {
      sim = await startTestSimulator({ mifare: { enabled: true, card: {}, closeWithoutReceipt: mode } });
      client = new JpayClient({ host: '127.0.0.1', port: sim.port });
      const seen: string[] = [];
      const card = (m: { code: string }): CardRequest => {
        seen.push(m.code);
        return { code: 'close' };
      };
      const result = await client.transaction({ type: 'purchase', amount: 4200 }, { handlers: { card } });
      assert.deepEqual(seen, ['open']);
      if (mode === 'end') {
        assert.deepEqual([result.status, result.ok, result.approved, result.receipt], ['cancelled', false, false, undefined]);
        assert.deepEqual(sim.log(), []);
      } else {
        assert.deepEqual([result.status, result.approved, result.receipt?.amountAuthorized], ['ok', true, 4200]);
        assert.notEqual(result.receipt?.iface, 'mifare');
        assert.equal(sim.log().length, 1);
      }
    });
  }
});

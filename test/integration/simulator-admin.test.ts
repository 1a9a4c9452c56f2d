/** Every admin, report and settlement command through JpayClient against jpay-sim over real TCP, plain and encrypted. */
import assert from 'node:assert/strict';
import { JpayClient } from '../../lib/client';
import { JpayStatusError } from '../../lib/errors';
import type { SimulatorHandle } from '../../lib/simulator';
import { startTestSimulator } from '../helpers/sim-fixtures';
import { runActivator } from '../helpers/sim-activator';

for (const encrypt of [false, true]) {
  describe(`simulator through JpayClient: admin commands (${encrypt ? 'encrypted' : 'plain'})`, () => {
    let sim: SimulatorHandle;
    let client: JpayClient;
    beforeEach(async () => {
      sim = await startTestSimulator();
      client = new JpayClient({ host: '127.0.0.1', port: sim.port, password: '12345678', encrypt, timeouts: { commandMs: 5000 } });
    });
    afterEach(async () => {
      await client.close();
      await sim.close();
    });

    it('login, token commands, logout', async () => {
      await client.login();
      assert.equal(client.loggedIn, true);
      assert.equal(client.encrypted, encrypt);
      const params = await client.getParameters();
      assert.equal(params.tid, '10000001');
      assert.equal(params.app, '1.0.67.6');
      const work = await client.loadWorkKeys();
      assert.match(work.macChangeRrn ?? '', /^\d{12}$/);
      const master = await client.loadMasterKeys();
      assert.match(master.pinKcv ?? '', /^[0-9A-F]{6}$/);
      await client.updateConfiguration();
      await client.testConnection();
      await client.setHostKey('hkey1', Buffer.alloc(16, 3).toString('base64'));
      await client.logout();
      assert.equal(client.loggedIn, false);
      const commands = sim.events().filter((e) => e.type === 'command');
      assert.ok(commands.every((e) => e.type === 'command' && e.encrypted === encrypt));
    });

    it('a wrong password is a JpayStatusError notauthorized', async () => {
      const wrong = new JpayClient({ host: '127.0.0.1', port: sim.port, password: '00000000', encrypt });
      try {
        await assert.rejects(wrong.login(), (e: unknown) => e instanceof JpayStatusError && e.status === 'notauthorized');
        await assert.rejects(wrong.report('brief'), (e: unknown) => e instanceof JpayStatusError && e.status === 'notauthorized');
      } finally {
        await wrong.close();
      }
    });

    it('changePassword and resetPassword', async () => {
      await client.changePassword('55556666');
      const report = await client.report('brief');
      assert.equal(report.header.tid, '10000001');
      await client.resetPassword();
      await client.login();
      assert.equal(client.loggedIn, true);
    });

    it('testConnection with the host down carries the decoded error stack', async () => {
      sim.setHostReachable(false);
      await assert.rejects(
        client.testConnection(),
        (e: unknown) => e instanceof JpayStatusError && e.status === 'communicationerror' && e.errors[0] === 'Host name is not found.',
      );
    });

    it('report, settlement and clear', async () => {
      await client.transaction({ type: 'purchase', amount: 10000 });
      await client.transaction({ type: 'refund', amount: 2500 });
      const report = await client.report('full');
      assert.equal(report.transactions.length, 2);
      assert.equal(report.grandTotals?.totalSum, 7500);
      assert.equal(report.totals[0].name, 'VISA');
      const settled = await client.settlement();
      assert.equal(settled.passed, true);
      assert.equal(settled.terminalTotal, 7500);
      assert.equal(settled.transactionCount, 2);
      assert.equal(sim.log().length, 0);
      await client.transaction({ type: 'purchase', amount: 300 });
      const cleared = await client.clear();
      assert.equal(cleared.terminalTotal, 300);
      assert.equal(sim.log().length, 0);
    });

    it('settlement with a failed batch upload is batchuploadfailed and keeps the log', async () => {
      sim.setSettlement({ hostDifference: 500, batchUpload: 'failed' });
      await client.transaction({ type: 'purchase', amount: 1000 });
      await assert.rejects(client.settlement(), (e: unknown) => e instanceof JpayStatusError && e.status === 'batchuploadfailed');
      assert.equal(sim.log().length, 1);
    });

    it('runReset answers keep-alives until the activator finished', async () => {
      const indicators: boolean[] = [];
      const reset = client.runReset({
        handlers: {
          resetKeepAlive: (m) => {
            indicators.push(m.activatorConnected);
            return true;
          },
        },
      });
      await sim.waitForEvent((e) => e.type === 'message' && e.name === 'keep-alive');
      const activator = await runActivator(sim.activatorPort);
      await reset;
      assert.equal(indicators[0], false);
      assert.equal(indicators.at(-1), true);
      assert.equal(activator.requests.length, 4);
      assert.equal(sim.activatorKeys.size, 3);
    });

    it('runReset aborted by the handler', async () => {
      await assert.rejects(
        client.runReset({ handlers: { resetKeepAlive: () => false } }),
        (e: unknown) => e instanceof JpayStatusError && e.status === 'cancelled',
      );
    });
  });
}

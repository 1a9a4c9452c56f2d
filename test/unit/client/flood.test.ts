/**
 * Issue 11, case 4 (client side): a terminal that floods messages while it does not read
 * the client's answers. Before the bound the client held every message (4.3 GB RSS, an OOM
 * abort of Node-RED with a 512 MB heap); now the connection is cut once it holds more than
 * its queue allows: a protocol error, for a transaction an unknown outcome. The process and
 * the client live on.
 */
import assert from 'node:assert/strict';
import { JpayClient } from '../../../lib/client';
import { encodeFrame } from '../../../lib/codec/frame';
import { JpayProtocolError, TransactionOutcomeUnknown } from '../../../lib/errors';
import { approvedReceipt, reply } from '../../helpers/scripted-terminal';
import { scriptedClient } from '../../helpers/client-fixture';

const KEEPALIVE = encodeFrame('<keepalive/>');

describe('JpayClient: bounded memory per connection', () => {
  const fx = scriptedClient();

  it('a keepalive flood the terminal never waits the answers of: unknown (queue-overflow), then the next command works', async () => {
    const terminal = await fx.start([
      async (conn) => {
        await conn.expect('transaction');
        // 200,000 messages in a row, none of the client's answers read.
        const burst = Buffer.concat(Array.from({ length: 10_000 }, () => KEEPALIVE));
        for (let i = 0; i < 20 && !conn.socket.isClosed; i++) await conn.raw(burst).catch(() => undefined);
        await conn.closed;
      },
      reply('transaction', 'ok', approvedReceipt(100)),
    ]);
    // A long deadline: without the bound the client would be stuck on answers nobody reads.
    const client = fx.client({ timeouts: { transactionMs: 60_000, idleMs: 60_000 } });
    await assert.rejects(client.transaction({ type: 'purchase', amount: 100 }), (e: unknown) => {
      assert.ok(e instanceof TransactionOutcomeUnknown);
      assert.equal(e.reason, 'queue-overflow');
      assert.ok(e.cause instanceof JpayProtocolError && e.cause.code === 'queue-overflow');
      return true;
    });
    assert.equal((await client.transaction({ type: 'purchase', amount: 100 })).approved, true);
    await terminal.done();
  });

  it('the limits are options (validated)', () => {
    assert.throws(() => new JpayClient({ host: 'h', maxQueuedPackets: 0 }), /maxQueuedPackets/);
    assert.throws(() => new JpayClient({ host: 'h', maxQueuedBytes: -1 }), /maxQueuedBytes/);
    assert.throws(() => new JpayClient({ host: 'h', maxSessionPackets: 1.5 }), /maxSessionPackets/);
    assert.throws(() => new JpayClient({ host: 'h', receiptClockToleranceMs: -1 }), /receiptClockToleranceMs/);
  });
});

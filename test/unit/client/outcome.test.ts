import assert from 'node:assert/strict';
import net from 'node:net';
import { once } from 'node:events';
import { JpayAbortError } from '../../../lib/client';
import { childText, packet } from '../../../lib/codec/packet';
import { encodeFrame } from '../../../lib/codec/frame';
import {
  JpayConnectionError,
  JpayProtocolError,
  JpayTimeoutError,
  TransactionOutcomeUnknown,
} from '../../../lib/errors';
import { approvedReceipt, reply } from '../../helpers/scripted-terminal';
import { scriptedClient } from '../../helpers/client-fixture';

const PASSWORD = '24681357';

function gate(): { promise: Promise<void>; open(): void } {
  let open!: () => void;
  const promise = new Promise<void>((resolve) => (open = resolve));
  return { promise, open };
}

describe('JpayClient cancellation and unknown outcomes', () => {
  const fx = scriptedClient({ password: PASSWORD });
  const { setup } = fx;

  describe('cancellation', () => {
    it('after the signal aborts, the next keepalive is answered cancelled and the final response is returned', async () => {
      const controller = new AbortController();
      const answers: string[] = [];
      const c = await setup([
        async (conn) => {
          await conn.expect('transaction');
          answers.push(childText((await conn.message(packet('keepalive'))).body, 'status') ?? '');
          controller.abort();
          // The abort is seen by the client before the next keepalive is read.
          await new Promise((resolve) => setImmediate(resolve));
          answers.push(childText((await conn.message(packet('keepalive'))).body, 'status') ?? '');
          await conn.respond('cancelled');
        },
      ]);
      const ticks: boolean[] = [];
      c.on('keepalive', (info) => ticks.push(info.cancelling));
      const result = await c.transaction({ type: 'purchase', amount: 100 }, { signal: controller.signal });
      assert.equal(result.status, 'cancelled');
      assert.equal(result.ok, false);
      assert.equal(result.approved, false);
      await fx.terminal.done();
      assert.deepEqual(answers, ['ok', 'cancelled']);
      assert.deepEqual(ticks, [false, true]);
    });

    it('reports what the terminal says when the cancellation race is lost', async () => {
      const controller = new AbortController();
      const c = await setup([
        async (conn) => {
          await conn.expect('transaction');
          controller.abort();
          await new Promise((resolve) => setImmediate(resolve));
          await conn.respond('ok', approvedReceipt(100));
        },
      ]);
      const result = await c.transaction({ type: 'purchase', amount: 100 }, { signal: controller.signal });
      assert.equal(result.approved, true);
      await fx.terminal.done();
    });

    it('a signal aborted before the call rejects with AbortError and sends nothing', async () => {
      const c = await setup([]);
      const controller = new AbortController();
      controller.abort();
      await assert.rejects(
        c.transaction({ type: 'purchase', amount: 100 }, { signal: controller.signal }),
        (e: unknown) => e instanceof JpayAbortError && e.name === 'AbortError' && e.code === 'ABORT_ERR',
      );
      assert.equal(fx.terminal.connections, 0);
    });
  });

  describe('transaction outcome unknown', () => {
    it('connection dropped after sending: TransactionOutcomeUnknown, sent once, the next command still runs', async () => {
      const c = await setup([
        async (conn) => {
          await conn.expect('transaction');
          conn.drop();
        },
        reply('settlement', 'ok', { sreport: { 'settlement-result': 'passed' } }),
      ]);
      const tx = c.transaction({ type: 'purchase', amount: 12300, currency: '643', sbp: false });
      const next = c.settlement();
      await assert.rejects(tx, (e: unknown) => {
        assert.ok(e instanceof TransactionOutcomeUnknown);
        assert.equal(e.phase, 'awaiting-response');
        assert.equal(e.transaction.type, 'purchase');
        assert.equal(e.transaction.amount, 12300);
        assert.equal(e.transaction.currency, '643');
        assert.equal(e.transaction.sbp, false);
        assert.equal(e.transaction.host, '127.0.0.1');
        assert.equal(e.transaction.port, fx.terminal.port);
        assert.ok(!Number.isNaN(Date.parse(e.transaction.sentAt)));
        return true;
      });
      assert.equal((await next).passed, true);
      await fx.terminal.done();
      assert.equal(fx.terminal.commands.filter((p) => p.name === 'transaction').length, 1);
    });

    it('dropped in the dialogue: phase in-dialogue with the last display code; no PAN or password in the error', async () => {
      const c = await setup([
        async (conn) => {
          await conn.expect('transaction');
          await conn.message(packet('display', { code: 'D1' }));
          await conn.message(packet('display', { code: 'D4' }));
          conn.drop();
        },
      ]);
      await assert.rejects(c.transaction({ type: 'purchase', amount: 100, manual: { pan: '4000000010000001', expiry: '2812' } }), (e: unknown) => {
        assert.ok(e instanceof TransactionOutcomeUnknown);
        assert.equal(e.phase, 'in-dialogue');
        assert.equal(e.transaction.lastDisplayCode, 'D4');
        const dump = JSON.stringify({ ...e, message: e.message });
        assert.ok(!dump.includes('4000000010000001'));
        assert.ok(!dump.includes(PASSWORD));
        return true;
      });
      await fx.terminal.done();
    });

    it('idle timeout: silence between packets longer than idleMs', async () => {
      const c = await setup(
        [
          async (conn) => {
            await conn.expect('transaction');
            await conn.stall();
          },
        ],
        { timeouts: { idleMs: 50 } },
      );
      await assert.rejects(c.transaction({ type: 'purchase', amount: 100 }), (e: unknown) => {
        assert.ok(e instanceof TransactionOutcomeUnknown);
        assert.ok(e.cause instanceof JpayTimeoutError);
        assert.equal(e.cause.timeoutMs, 50);
        return true;
      });
      await fx.terminal.done();
    });

    it('transaction timeout: the whole transaction, even with keepalives coming', async () => {
      const c = await setup(
        [
          async (conn) => {
            await conn.expect('transaction');
            try {
              for (;;) {
                await conn.message(packet('keepalive'));
                await new Promise((resolve) => setTimeout(resolve, 10));
              }
            } catch {
              // the client hung up
            }
          },
        ],
        { timeouts: { transactionMs: 120, idleMs: 100 } },
      );
      await assert.rejects(c.transaction({ type: 'purchase', amount: 100 }), (e: unknown) => {
        assert.ok(e instanceof TransactionOutcomeUnknown);
        assert.ok(e.cause instanceof JpayTimeoutError);
        assert.equal(e.cause.timeoutMs, 120);
        return true;
      });
      await fx.terminal.done();
    });

    it('bad XML after sending: TransactionOutcomeUnknown wrapping the protocol error', async () => {
      const c = await setup([
        async (conn) => {
          await conn.expect('transaction');
          await conn.raw(encodeFrame('<transaction><status>ok</transaction'));
          await conn.stall();
        },
      ]);
      await assert.rejects(c.transaction({ type: 'purchase', amount: 100 }), (e: unknown) => {
        assert.ok(e instanceof TransactionOutcomeUnknown);
        assert.ok(e.cause instanceof JpayProtocolError);
        assert.equal(e.cause.code, 'bad-xml');
        return true;
      });
      await fx.terminal.done();
    });
  });

  describe('other commands', () => {
    it('a command timeout is a JpayTimeoutError', async () => {
      const c = await setup(
        [
          async (conn) => {
            await conn.expect('settlement');
            await conn.stall();
          },
        ],
        { timeouts: { commandMs: 60 } },
      );
      await assert.rejects(c.settlement(), (e: unknown) => e instanceof JpayTimeoutError && e.phase === 'command' && e.timeoutMs === 60);
      await fx.terminal.done();
    });

    it('a drop before the response is a JpayConnectionError', async () => {
      const c = await setup([
        async (conn) => {
          await conn.expect('settlement');
          conn.drop();
        },
      ]);
      await assert.rejects(c.settlement(), JpayConnectionError);
      await fx.terminal.done();
    });

    it('protocol errors: bad XML, an oversized frame, a truncated frame', async () => {
      const c = await setup(
        [
          async (conn) => {
            await conn.expect('settlement');
            await conn.raw(encodeFrame('<<<'));
            await conn.stall();
          },
          async (conn) => {
            await conn.expect('settlement');
            await conn.raw(encodeFrame('<settlement>' + 'x'.repeat(500) + '</settlement>'));
            await conn.stall();
          },
          async (conn) => {
            await conn.expect('settlement');
            await conn.raw(encodeFrame('<settlement><status>ok</status></settlement>').subarray(0, 10));
            conn.socket.socket.end();
            await conn.stall();
          },
        ],
        // A settlement's frames are under the report limit (its answer may grow with the log).
        { maxReportFrameSize: 200 },
      );
      await assert.rejects(c.settlement(), (e: unknown) => e instanceof JpayProtocolError && e.code === 'bad-xml');
      await assert.rejects(c.settlement(), (e: unknown) => e instanceof JpayProtocolError && e.code === 'frame-too-large');
      await assert.rejects(c.settlement(), (e: unknown) => e instanceof JpayProtocolError && e.code === 'frame-truncated');
      await fx.terminal.done();
    });
  });

  describe('connect failures', () => {
    it('nothing listening: JpayConnectionError for a transaction too (nothing was sent)', async () => {
      const server = net.createServer();
      server.listen(0, '127.0.0.1');
      await once(server, 'listening');
      const { port } = server.address() as net.AddressInfo;
      await new Promise<void>((resolve) => server.close(() => resolve()));
      const client = fx.client({ port });
      await assert.rejects(client.transaction({ type: 'purchase', amount: 100 }), (e: unknown) => {
        assert.ok(e instanceof JpayConnectionError);
        assert.equal(e.port, port);
        return true;
      });
      await assert.rejects(client.send('resetpassword'), JpayConnectionError);
    });

    it('close() during a pending connect leaves nothing behind', async () => {
      const arrived = gate();
      const c = await setup([
        async (conn) => {
          await conn.expect('settlement');
          arrived.open();
          await conn.stall();
        },
      ]);
      const pending = c.settlement();
      const failure = assert.rejects(pending, /client closed/);
      await arrived.promise;
      await c.close();
      await failure;
      await fx.terminal.done();
    });
  });
});

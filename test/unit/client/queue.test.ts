import assert from 'node:assert/strict';
import { JpayAbortError } from '../../../lib/client';
import { packet } from '../../../lib/codec/packet';
import { JpayError, TransactionOutcomeUnknown } from '../../../lib/errors';
import { approvedReceipt, reply, ScriptedConnection } from '../../helpers/scripted-terminal';
import { scriptedClient } from '../../helpers/client-fixture';

const PASSWORD = '24681357';

/** A promise and its resolver, to let a test release a script step. */
function gate(): { promise: Promise<void>; open(): void } {
  let open!: () => void;
  const promise = new Promise<void>((resolve) => (open = resolve));
  return { promise, open };
}

describe('JpayClient command queue', () => {
  const fx = scriptedClient();

  it('runs concurrent calls one at a time, in call order; the terminal never sees two connections at once', async () => {
    const firstArrived = gate();
    const release = gate();
    const terminal = await fx.start([
      async (conn: ScriptedConnection) => {
        await conn.expect('transaction');
        firstArrived.open();
        await release.promise;
        await conn.message(packet('keepalive'));
        await conn.respond('ok', approvedReceipt(100));
      },
      reply('settlement', 'ok', { sreport: { 'settlement-result': 'passed' } }),
    ]);
    const client = fx.client({ password: PASSWORD });
    const order: string[] = [];
    const tx = client.transaction({ type: 'purchase', amount: 100 }).then((r) => {
      order.push('transaction');
      return r;
    });
    const settle = client.settlement().then((r) => {
      order.push('settlement');
      return r;
    });
    await firstArrived.promise;
    // The settlement is queued, not connected: still one connection.
    assert.equal(terminal.connections, 1);
    release.open();
    const [t, s] = await Promise.all([tx, settle]);
    assert.equal(t.approved, true);
    assert.equal(s.passed, true);
    assert.deepEqual(order, ['transaction', 'settlement']);
    await terminal.done();
    assert.equal(terminal.maxConcurrent, 1);
    assert.deepEqual(
      terminal.commands.map((p) => p.name),
      ['transaction', 'settlement'],
    );
  });

  it('close() rejects queued commands with a JpayError, abandons the running one and leaves nothing behind', async () => {
    const arrived = gate();
    const terminal = await fx.start([
      async (conn) => {
        await conn.expect('transaction');
        arrived.open();
        await conn.stall();
      },
    ]);
    const client = fx.client({ password: PASSWORD });
    const tx = client.transaction({ type: 'purchase', amount: 100 });
    const queued = client.settlement();
    const txFailure = assert.rejects(tx, TransactionOutcomeUnknown);
    const queuedFailure = assert.rejects(queued, (e: unknown) => e instanceof JpayError && /closed/.test(e.message));
    await arrived.promise;
    await client.close();
    await txFailure;
    await queuedFailure;
    await terminal.done();
    assert.equal(terminal.connections, 1, 'the queued settlement never connected');
    await assert.rejects(client.testConnection(), /client closed/);
    await client.close(); // idempotent
  });

  it('a signal that aborts while the call waits in the queue removes it without sending', async () => {
    const arrived = gate();
    const release = gate();
    const terminal = await fx.start([
      async (conn) => {
        await conn.expect('settlement');
        arrived.open();
        await release.promise;
        await conn.respond('ok', { sreport: { 'settlement-result': 'passed' } });
      },
    ]);
    const client = fx.client({ password: PASSWORD });
    const settle = client.settlement();
    const controller = new AbortController();
    const tx = client.transaction({ type: 'purchase', amount: 100 }, { signal: controller.signal });
    await arrived.promise;
    controller.abort();
    await assert.rejects(tx, (e: unknown) => e instanceof JpayAbortError && e.name === 'AbortError');
    release.open();
    assert.equal((await settle).passed, true);
    await terminal.done();
    assert.equal(terminal.connections, 1);
  });

  it('after close() no socket or timer of the client is left', async () => {
    const count = (): Record<string, number> => {
      const counts: Record<string, number> = {};
      for (const r of process.getActiveResourcesInfo()) counts[r] = (counts[r] ?? 0) + 1;
      return counts;
    };
    const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));
    await tick(); // mocha arms its own test timer after the synchronous start
    const before = count();
    const arrived = gate();
    const terminal = await fx.start([
      reply('settlement', 'ok', { sreport: {} }),
      async (conn) => {
        await conn.expect('transaction');
        await conn.send(packet('display', { code: '15' }));
        arrived.open();
        await conn.stall();
      },
    ]);
    const client = fx.client({ password: PASSWORD, timeouts: { handlerMs: 60_000 } });
    await client.settlement();
    const never = new Promise<never>(() => undefined);
    const displayed = gate();
    // A display handler that never returns, a transaction in its messages, a queued command.
    const tx = client.transaction(
      { type: 'purchase', amount: 100 },
      {
        handlers: {
          display: () => {
            displayed.open();
            return never;
          },
        },
      },
    );
    const queued = client.report();
    const settled = Promise.allSettled([tx, queued]);
    await arrived.promise;
    await displayed.promise;
    await client.close();
    const [txResult, queuedResult] = await settled;
    assert.equal(txResult.status, 'rejected');
    assert.equal(queuedResult.status, 'rejected');
    await terminal.close();
    // A closed handle leaves the list on the next turn of the loop.
    for (let i = 0; i < 5 && JSON.stringify(count()) !== JSON.stringify(before); i++) await tick();
    const after = count();
    for (const kind of ['TCPSocketWrap', 'TCPServerWrap', 'Timeout']) {
      assert.equal(after[kind] ?? 0, before[kind] ?? 0, `${kind}: ${JSON.stringify({ before, after })}`);
    }
  });
});

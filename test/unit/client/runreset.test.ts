import assert from 'node:assert/strict';
import { childText, packet, Packet } from '../../../lib/codec/packet';
import { JpayStatusError, JpayTimeoutError } from '../../../lib/errors';
import type { ResetKeepAliveMessage } from '../../../lib/protocol/types';
import { acceptLogin, ScriptedConnection, TEST_TOKEN } from '../../helpers/scripted-terminal';
import { scriptedClient } from '../../helpers/client-fixture';

const PASSWORD = '24681357';
const resetKeepAlive = (connected: boolean, root = 'keep-alive'): Packet =>
  packet(root, { 'reset-connected-indicator': connected ? '1' : '0' });

describe('JpayClient runReset', () => {
  const fx = scriptedClient({ password: PASSWORD });
  const { setup } = fx;

  it('answers keep-alive with the same root name until the final response; the handler sees the indicator', async () => {
    const answers: Packet[] = [];
    const c = await setup([
      acceptLogin(),
      async (conn: ScriptedConnection) => {
        const cmd = await conn.expect('runreset');
        assert.equal(childText(cmd.body, 'token'), TEST_TOKEN);
        answers.push(await conn.message(resetKeepAlive(false)));
        answers.push(await conn.message(resetKeepAlive(true, 'keepalive')));
        answers.push(await conn.message(resetKeepAlive(true)));
        await conn.respond('ok');
      },
    ]);
    const seen: ResetKeepAliveMessage[] = [];
    const ticks: (boolean | undefined)[] = [];
    c.on('keepalive', (info) => ticks.push(info.activatorConnected));
    await c.runReset({ handlers: { resetKeepAlive: (m) => (seen.push(m), true) } });
    await fx.terminal.done();
    assert.deepEqual(answers.map((a) => [a.name, childText(a.body, 'status')]), [
      ['keep-alive', 'ok'],
      ['keepalive', 'ok'],
      ['keep-alive', 'ok'],
    ]);
    assert.deepEqual(seen, [{ activatorConnected: false }, { activatorConnected: true }, { activatorConnected: true }]);
    assert.deepEqual(ticks, [false, true, true]);
  });

  it('a handler returning false aborts: the keep-alive is answered cancelled', async () => {
    let answer: Packet | undefined;
    const c = await setup([
      acceptLogin(),
      async (conn) => {
        await conn.expect('runreset');
        answer = await conn.message(resetKeepAlive(false));
        await conn.respond(childText(answer.body, 'status') === 'ok' ? 'ok' : 'cancelled');
      },
    ]);
    await assert.rejects(
      c.runReset({ handlers: { resetKeepAlive: () => false } }),
      (e: unknown) => e instanceof JpayStatusError && e.command === 'runreset' && e.status === 'cancelled',
    );
    await fx.terminal.done();
    assert.equal(childText(answer!.body, 'status'), 'cancelled');
  });

  it('a throwing handler gets ok (initialisation goes on); an aborted signal answers cancelled', async () => {
    const answers: string[] = [];
    const controller = new AbortController();
    const c = await setup([
      acceptLogin(),
      async (conn) => {
        await conn.expect('runreset');
        answers.push(childText((await conn.message(resetKeepAlive(false))).body, 'status') ?? '');
        controller.abort();
        await new Promise((resolve) => setImmediate(resolve));
        answers.push(childText((await conn.message(resetKeepAlive(false))).body, 'status') ?? '');
        await conn.respond('ok');
      },
    ]);
    await c.runReset({
      signal: controller.signal,
      handlers: {
        resetKeepAlive: () => {
          throw new Error('ui gone');
        },
      },
    });
    await fx.terminal.done();
    assert.deepEqual(answers, ['ok', 'cancelled']);
  });

  it('runs under transactionMs, not commandMs, with idleMs between keep-alives', async () => {
    const keepAlives = async (conn: ScriptedConnection, count: number): Promise<void> => {
      for (let i = 0; i < count; i++) {
        await conn.message(resetKeepAlive(false));
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    };
    const c = await setup(
      [
        acceptLogin(),
        async (conn) => {
          await conn.expect('runreset');
          await keepAlives(conn, 6); // ~120 ms, longer than commandMs
          await conn.respond('ok');
        },
        async (conn) => {
          await conn.expect('runreset');
          try {
            await keepAlives(conn, 200); // ~4 s, past transactionMs
          } catch {
            // the client gave up
          }
        },
      ],
      // Wide margins: a loaded machine may stretch the first runreset well past its ~120 ms.
      { timeouts: { commandMs: 50, transactionMs: 1500, idleMs: 500 } },
    );
    await c.runReset();
    await assert.rejects(c.runReset(), (e: unknown) => e instanceof JpayTimeoutError && e.timeoutMs === 1500);
    await fx.terminal.done();
  });
});

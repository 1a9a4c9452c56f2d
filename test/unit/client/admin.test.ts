import assert from 'node:assert/strict';
import { inspect } from 'node:util';
import { childText, packet } from '../../../lib/codec/packet';
import { encodeFrame } from '../../../lib/codec/frame';
import { JpayProtocolError, JpayStatusError, JpayValidationError } from '../../../lib/errors';
import { acceptLogin, recordingLogger, reply, TEST_TOKEN } from '../../helpers/scripted-terminal';
import { scriptedClient } from '../../helpers/client-fixture';

const PASSWORD = '97531864';
const NEW_PASSWORD = '11223344';
const OTHER_TOKEN = 'DEADBEEFDEADBEEFDEADBEEFDEADBEEF';

describe('JpayClient admin session', () => {
  const fx = scriptedClient({ password: PASSWORD });
  const { setup } = fx;

  it('a token command without a password is refused before any byte is sent', async () => {
    const terminal = await fx.start([]);
    const client = fx.client();
    for (const call of [() => client.getParameters(), () => client.login(), () => client.runReset(), () => client.settlement()]) {
      await assert.rejects(call(), (e: unknown) => e instanceof JpayValidationError && e.field === 'password');
    }
    assert.equal(terminal.connections, 0);
  });

  it("keeps and sends back the token login returned, as in §8.1's example (18 digits, not 32 hex)", async () => {
    const token = '392480923040932923';
    const log = recordingLogger();
    const c = await setup(
      [acceptLogin(token), reply('getparameters', 'ok', { parameters: { tid: '10000001' } }), reply('testconnection'), reply('changepassword')],
      { logger: log.logger },
    );
    assert.equal((await c.getParameters()).tid, '10000001');
    await c.testConnection();
    await c.changePassword(NEW_PASSWORD);
    await fx.terminal.done();
    assert.deepEqual(fx.terminal.commands.map((p) => p.name), ['login', 'getparameters', 'testconnection', 'changepassword']);
    for (const command of fx.terminal.commands.slice(1)) assert.equal(childText(command.body, 'token'), token);
    assert.ok(!log.text().includes(token), 'the token never reaches a log line');
  });

  it('a login response whose token is not safe to echo is a protocol error; no token command goes out with it', async () => {
    for (const token of ['abc<def&ghi', '1234', 'x'.repeat(129)]) {
      const c = await setup([acceptLogin(token)]);
      await assert.rejects(c.getParameters(), (e: unknown) => {
        assert.ok(e instanceof JpayProtocolError && e.code === 'bad-packet', String(e));
        assert.match(e.message, /^login response token: must be the token login returned/);
        assert.ok(!e.message.includes(token));
        return true;
      });
      assert.equal(c.loggedIn, false);
      await fx.terminal.done();
      assert.deepEqual(fx.terminal.commands.map((p) => p.name), ['login']);
      await fx.reset();
    }
  });

  it('on notauthorized logs in again once and repeats the command', async () => {
    const c = await setup([
      acceptLogin(),
      reply('testconnection', 'notauthorized'),
      acceptLogin(OTHER_TOKEN),
      reply('testconnection'),
    ]);
    await c.testConnection();
    await fx.terminal.done();
    const names = fx.terminal.commands.map((p) => p.name);
    assert.deepEqual(names, ['login', 'testconnection', 'login', 'testconnection']);
    assert.equal(childText(fx.terminal.commands[1].body, 'token'), TEST_TOKEN);
    assert.equal(childText(fx.terminal.commands[3].body, 'token'), OTHER_TOKEN);
  });

  it('repeats only once: a second notauthorized is a JpayStatusError', async () => {
    const c = await setup([acceptLogin(), reply('getparameters', 'notauthorized'), acceptLogin(), reply('getparameters', 'notauthorized')]);
    await assert.rejects(c.getParameters(), (e: unknown) => e instanceof JpayStatusError && e.status === 'notauthorized');
    await fx.terminal.done();
    assert.equal(fx.terminal.connections, 4);
  });

  it('never repeats a transaction on notauthorized', async () => {
    const c = await setup([reply('transaction', 'notauthorized')]);
    const r = await c.transaction({ type: 'purchase', amount: 100, manual: { pan: '4000000010000001', expiry: '2812' } });
    assert.equal(r.status, 'notauthorized');
    await fx.terminal.done();
    assert.equal(fx.terminal.connections, 1);
  });

  it('a refused login is a JpayStatusError and caches no token', async () => {
    const c = await setup([reply('login', 'notauthorized'), reply('login', 'notauthorized')]);
    await assert.rejects(c.login(), (e: unknown) => e instanceof JpayStatusError && e.command === 'login' && e.status === 'notauthorized');
    await assert.rejects(c.getParameters(), (e: unknown) => e instanceof JpayStatusError && e.command === 'login');
    assert.equal(c.loggedIn, false);
    await fx.terminal.done();
  });

  it('logout clears the token: the next token command logs in again; without a token logout sends nothing', async () => {
    const c = await setup([acceptLogin(), reply('logout'), acceptLogin(), reply('testconnection')]);
    await c.login();
    assert.equal(c.loggedIn, true);
    await c.logout();
    assert.equal(c.loggedIn, false);
    await c.logout();
    await c.testConnection();
    await fx.terminal.done();
    assert.deepEqual(
      fx.terminal.commands.map((p) => p.name),
      ['login', 'logout', 'login', 'testconnection'],
    );
    assert.equal(childText(fx.terminal.commands[1].body, 'token'), TEST_TOKEN);
  });

  it('changePassword carries token, password and newpassword; the client then uses the new password', async () => {
    const c = await setup([acceptLogin(), reply('changepassword'), reply('report', 'ok', { xreport: { header: {} } })]);
    await c.changePassword(NEW_PASSWORD);
    await c.report();
    await fx.terminal.done();
    const change = fx.terminal.commands[1];
    assert.equal(childText(change.body, 'token'), TEST_TOKEN);
    assert.equal(childText(change.body, 'password'), PASSWORD);
    assert.equal(childText(change.body, 'newpassword'), NEW_PASSWORD);
    assert.equal(childText(fx.terminal.commands[2].body, 'password'), NEW_PASSWORD);
  });

  it('a failed changePassword keeps the old password', async () => {
    const c = await setup([acceptLogin(), reply('changepassword', 'invalidarguments'), reply('settlement', 'ok', { sreport: {} })]);
    await assert.rejects(c.changePassword(NEW_PASSWORD), JpayStatusError);
    await c.settlement();
    await fx.terminal.done();
    assert.equal(childText(fx.terminal.commands[2].body, 'password'), PASSWORD);
  });

  it('the password and the token never appear in an error, a log line or an event', async () => {
    const log = recordingLogger();
    const c = await setup(
      [
        // login refused, with the terminal echoing the password in its error stack
        reply('login', 'notauthorized', {}, { errors: [`wrong password ${PASSWORD}`] }),
        // status error echoing the token
        acceptLogin(OTHER_TOKEN),
        reply('getparameters', 'failed', {}, { errors: [`token ${OTHER_TOKEN} expired`] }),
        // notauthorized → login → drop
        reply('testconnection', 'notauthorized'),
        async (conn) => {
          await conn.expect('login');
          conn.drop();
        },
        // transaction: handler failures, then a drop (outcome unknown)
        async (conn) => {
          await conn.expect('transaction');
          await conn.message(packet('display', { code: '15' }));
          await conn.message(packet('card', { code: 'open', 'block-id': '1' }));
          conn.drop();
        },
        // timeout
        async (conn) => {
          await conn.expect('settlement');
          await conn.stall();
        },
        // protocol error
        async (conn) => {
          await conn.expect('report');
          await conn.raw(encodeFrame(`<report>${PASSWORD}`));
          await conn.stall();
        },
        // the new password echoed back
        acceptLogin(),
        reply('changepassword', 'failed', {}, { errors: [`new ${NEW_PASSWORD}`] }),
      ],
      { logger: log.logger, timeouts: { commandMs: 80, handlerMs: 20 } },
    );
    const texts: string[] = [];
    c.on('command-end', (e) => texts.push(JSON.stringify(e)));
    c.on('display', (e) => texts.push(JSON.stringify(e)));
    const collect = async (p: Promise<unknown>): Promise<void> => {
      try {
        await p;
        assert.fail('expected a rejection');
      } catch (e) {
        const err = e as Error;
        texts.push(err.message, inspect(err, { depth: 5 }), JSON.stringify(err), String(err.cause));
      }
    };
    await collect(c.login());
    await collect(c.getParameters());
    await collect(c.testConnection());
    await collect(
      c.transaction(
        { type: 'purchase', amount: 100, manual: { pan: '4000000010000001', expiry: '2812' } },
        {
          handlers: {
            display: () => {
              throw new Error(`handler saw ${PASSWORD}`);
            },
            card: () => new Promise(() => undefined),
          },
        },
      ),
    );
    await collect(c.settlement());
    await collect(c.report());
    await collect(c.changePassword(NEW_PASSWORD));
    await fx.terminal.done();
    texts.push(log.text());
    const all = texts.join('\n');
    assert.ok(all.length > 200);
    assert.ok(!all.includes(PASSWORD), all);
    assert.ok(!all.includes(NEW_PASSWORD), all);
    assert.ok(!all.includes(OTHER_TOKEN), all);
    assert.ok(!all.includes(TEST_TOKEN), all);
    assert.ok(all.includes('[redacted]'), 'the echoed secrets were redacted');
  });
});

import assert from 'node:assert/strict';
import { inspect } from 'node:util';
import { childText, packet } from '../../../lib/codec/packet';
import { decodeClientHandshake, encryptPacket } from '../../../lib/codec/crypto';
import { JpayProtocolError, TransactionOutcomeUnknown } from '../../../lib/errors';
import { Secret } from '../../../lib/protocol/secret';
import { acceptLogin, approvedReceipt, recordingLogger, reply, TEST_TOKEN } from '../../helpers/scripted-terminal';
import { scriptedClient } from '../../helpers/client-fixture';

const PASSWORD = '24681357';
const FULL_PAN = '4000000010000001';

describe('JpayClient secure session (encrypt: true)', () => {
  const fx = scriptedClient({ password: PASSWORD, encrypt: true });
  const { setup } = fx;

  it('handshakes at login and sends every later command, message answer and response encrypted', async () => {
    let displayAnswerEncrypted: boolean | undefined;
    const c = await setup([
      acceptLogin(),
      reply('getparameters', 'ok', { parameters: { sn: 'SN9' } }),
      async (conn) => {
        await conn.expect('transaction');
        const answer = await conn.message(packet('display', { code: '15' }));
        displayAnswerEncrypted = fx.terminal.received.at(-1)?.encrypted;
        assert.deepEqual(answer.body, { status: 'ok' });
        await conn.message(packet('dex', { 'kernel-tags': '' }));
        await conn.respond('ok', approvedReceipt(100));
      },
    ]);
    const displays: string[] = [];
    c.on('display', (m) => displays.push(m.code));
    await c.login();
    assert.equal(c.encrypted, true);
    assert.deepEqual(await c.getParameters(), { sn: 'SN9' });
    const r = await c.transaction({ type: 'purchase', amount: 100 });
    assert.equal(r.approved, true);
    await fx.terminal.done();
    const [login, ...rest] = fx.terminal.received;
    assert.equal(login.encrypted, false);
    assert.equal(decodeClientHandshake(login.packet.attrs['client-handshake']).length, 65);
    assert.ok(rest.length >= 4);
    assert.ok(rest.every((r) => r.encrypted), 'every packet after login travelled encrypted');
    assert.equal(childText(rest[0].packet.body, 'token'), TEST_TOKEN);
    assert.equal(displayAnswerEncrypted, true);
    assert.deepEqual(displays, ['15']);
  });

  it('logs in first to get a key, even for a command without a token', async () => {
    const c = await setup([acceptLogin(), reply('transaction', 'ok', approvedReceipt(100))]);
    await c.transaction({ type: 'purchase', amount: 100 });
    await fx.terminal.done();
    assert.deepEqual(fx.terminal.received.map((r) => [r.packet.name, r.encrypted]), [
      ['login', false],
      ['transaction', true],
    ]);
  });

  it('each handshake uses a fresh ephemeral key', async () => {
    const c = await setup([acceptLogin(), acceptLogin()]);
    await c.login();
    await c.login();
    await fx.terminal.done();
    const [a, b] = fx.terminal.commands.map((p) => p.attrs['client-handshake']);
    assert.notEqual(a, b);
  });

  it('terminal lost the key: a plain failed answer → handshake again once and repeat (non-transaction)', async () => {
    const c = await setup([
      acceptLogin(),
      async (conn) => {
        await conn.expect('getparameters');
        fx.terminal.forgetKey();
        await conn.respond('failed', {}, { plain: true, errors: ['no secure session'] });
      },
      acceptLogin(),
      reply('getparameters', 'ok', { parameters: { sn: 'AGAIN' } }),
    ]);
    await c.login();
    assert.deepEqual(await c.getParameters(), { sn: 'AGAIN' });
    await fx.terminal.done();
    assert.deepEqual(fx.terminal.commands.map((p) => p.name), ['login', 'getparameters', 'login', 'getparameters']);
  });

  it('a plain-text failed answer to an encrypted transaction is an unknown outcome (plain-text), never failed; the next command handshakes first', async () => {
    // A terminal that lost its key answers like this — and so does anyone on the line who
    // wants a charged payment reported as failed (issue 11, case 2).
    const c = await setup([
      acceptLogin(),
      async (conn) => {
        await conn.expect('transaction');
        fx.terminal.forgetKey();
        await conn.respond('failed', {}, { plain: true });
      },
      acceptLogin(),
      reply('settlement', 'ok', { sreport: {} }),
    ]);
    await assert.rejects(c.transaction({ type: 'purchase', amount: 100 }), (e: unknown) => {
      assert.ok(e instanceof TransactionOutcomeUnknown);
      assert.equal(e.reason, 'plain-text');
      return true;
    });
    assert.equal(c.encrypted, false);
    await c.settlement();
    await fx.terminal.done();
    assert.deepEqual(fx.terminal.commands.map((p) => p.name), ['login', 'transaction', 'login', 'settlement']);
    assert.equal(fx.terminal.commands.filter((p) => p.name === 'transaction').length, 1);
  });

  it('plain-text-pan lands only in result.plainTextPan, as a Secret', async () => {
    const log = recordingLogger();
    const c = await setup([acceptLogin(), reply('transaction', 'ok', approvedReceipt(100, { 'plain-text-pan': FULL_PAN }))], {
      logger: log.logger,
    });
    const events: string[] = [];
    c.on('command-end', (e) => events.push(JSON.stringify(e)));
    const r = await c.transaction({ type: 'purchase', amount: 100 });
    await fx.terminal.done();
    assert.ok(r.plainTextPan instanceof Secret);
    assert.equal(r.plainTextPan.reveal(), FULL_PAN);
    assert.ok(!JSON.stringify(r).includes(FULL_PAN));
    assert.ok(!inspect(r, { depth: 10 }).includes(FULL_PAN));
    assert.ok(!log.text().includes(FULL_PAN));
    assert.ok(!events.join().includes(FULL_PAN));
  });

  it('a response that fails authentication is a bad-crypto protocol error', async () => {
    const c = await setup([
      acceptLogin(),
      async (conn) => {
        await conn.expect('getparameters');
        await conn.send(encryptPacket(packet('getparameters', { status: 'ok' }), Buffer.alloc(32, 7)), { plain: true });
        await conn.stall();
      },
    ]);
    await assert.rejects(c.getParameters(), (e: unknown) => e instanceof JpayProtocolError && e.code === 'bad-crypto');
    await fx.terminal.done();
  });

  it('an encrypted transaction answered with bad crypto, a plain message or a plain ok is TransactionOutcomeUnknown', async () => {
    const c = await setup([
      acceptLogin(),
      async (conn) => {
        await conn.expect('transaction');
        await conn.send(encryptPacket(packet('transaction', { status: 'ok' }), Buffer.alloc(32, 7)), { plain: true });
        await conn.stall();
      },
      async (conn) => {
        await conn.expect('transaction');
        await conn.send(packet('keepalive'), { plain: true });
        await conn.stall();
      },
      async (conn) => {
        await conn.expect('transaction');
        await conn.respond('ok', approvedReceipt(100), { plain: true });
      },
    ]);
    const expected = [
      ['bad-crypto', 'protocol-error'],
      ['plain-text', 'plain-text'],
      ['plain-text', 'plain-text'],
    ];
    for (const [code, reason] of expected) {
      await assert.rejects(c.transaction({ type: 'purchase', amount: 100 }), (e: unknown) => {
        assert.ok(e instanceof TransactionOutcomeUnknown);
        assert.ok(e.cause instanceof JpayProtocolError);
        assert.equal(e.cause.code, code);
        assert.equal(e.reason, reason);
        return true;
      });
    }
    await fx.terminal.done();
  });

  it('a login answered without server-handshake is a bad-handshake error', async () => {
    const c = await setup([reply('login', 'ok', { token: TEST_TOKEN })]);
    await assert.rejects(c.login(), (e: unknown) => e instanceof JpayProtocolError && e.code === 'bad-handshake');
    assert.equal(c.encrypted, false);
    await fx.terminal.done();
  });
});

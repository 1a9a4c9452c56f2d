import assert from 'node:assert/strict';
import { childText } from '../../../lib/codec/packet';
import { JpayProtocolError, JpayStatusError } from '../../../lib/errors';
import { encodeErrorText } from '../../../lib/protocol/status';
import { acceptLogin, approvedReceipt, reply, TEST_TOKEN } from '../../helpers/scripted-terminal';
import { scriptedClient } from '../../helpers/client-fixture';

const PASSWORD = '24681357';

describe('JpayClient commands', () => {
  const fx = scriptedClient({ password: PASSWORD });
  const { setup } = fx;

  it('connects per command: login, then the token command on its own connection, then closes', async () => {
    const c = await setup([
      acceptLogin(),
      reply('getparameters', 'ok', { parameters: { sn: 'SN1', tid: '1000000001', app: '1.2.3' } }),
    ]);
    const params = await c.getParameters();
    assert.deepEqual(params, { sn: 'SN1', tid: '1000000001', app: '1.2.3' });
    await fx.terminal.done();
    assert.equal(fx.terminal.connections, 2);
    const [login, cmd] = fx.terminal.commands;
    assert.equal(childText(login.body, 'password'), PASSWORD);
    assert.equal(childText(cmd.body, 'token'), TEST_TOKEN);
    assert.equal(c.loggedIn, true);
  });

  it('reuses the cached token for the next token command', async () => {
    const c = await setup([acceptLogin(), reply('testconnection'), reply('updateconfiguration')]);
    await c.testConnection();
    await c.updateConfiguration();
    await fx.terminal.done();
    assert.deepEqual(
      fx.terminal.commands.map((p) => p.name),
      ['login', 'testconnection', 'updateconfiguration'],
    );
  });

  it('loadWorkKeys and loadMasterKeys return their receipts', async () => {
    const c = await setup([
      acceptLogin(),
      reply('loadworkkeys', 'ok', { 'mac-change-receipt': { rrn: '123456789123' }, 'net-change-receipt': { rrn: '023456789120' } }),
      reply('loadmasterkeys', 'ok', { receipt: { pkcv: '123456', mkcv: '789ABC' } }),
    ]);
    assert.deepEqual(await c.loadWorkKeys(), { macChangeRrn: '123456789123', netChangeRrn: '023456789120' });
    assert.deepEqual(await c.loadMasterKeys(), { pinKcv: '123456', macKcv: '789ABC' });
    await fx.terminal.done();
  });

  it('a non-ok status on a non-transaction command throws JpayStatusError with the decoded error stack', async () => {
    const c = await setup([
      acceptLogin(),
      reply('loadmasterkeys', 'communicationerror', {}, { errors: ['Host name is not found.'] }),
    ]);
    await assert.rejects(c.loadMasterKeys(), (e: unknown) => {
      assert.ok(e instanceof JpayStatusError);
      assert.equal(e.command, 'loadmasterkeys');
      assert.equal(e.status, 'communicationerror');
      assert.deepEqual(e.errors, ['Host name is not found.']);
      return true;
    });
    await fx.terminal.done();
  });

  it('transaction resolves for every status: approved, declined, and a non-ok status', async () => {
    const c = await setup([
      reply('transaction', 'ok', approvedReceipt(12300)),
      reply('transaction', 'ok', approvedReceipt(500, { seq: '000010', tstatus: 'declined', 'decline-reason': 'onlinedeclined' })),
      reply('transaction', 'notapproved', {}, { errors: ['declined by issuer'] }),
    ]);
    const approved = await c.transaction({ type: 'purchase', amount: 12300 });
    assert.equal(approved.approved, true);
    assert.equal(approved.receipt?.amountAuthorized, 12300);
    const declined = await c.transaction({ type: 'purchase', amount: 500 });
    assert.equal(declined.ok, true);
    assert.equal(declined.approved, false);
    assert.equal(declined.receipt?.declineReason, 'onlinedeclined');
    const failed = await c.transaction({ type: 'purchase', amount: 700 });
    assert.equal(failed.ok, false);
    assert.equal(failed.status, 'notapproved');
    assert.deepEqual(failed.errors, ['declined by issuer']);
    await fx.terminal.done();
    const sent = fx.terminal.commands[0];
    assert.equal(childText(sent.body, 'amount'), '000000012300');
    assert.equal(childText(sent.body, 'password'), undefined, 'a card-present transaction carries no password');
  });

  it('a manual-entry transaction carries the admin password', async () => {
    const c = await setup([reply('transaction', 'ok', approvedReceipt(100))]);
    await c.transaction({ type: 'purchase', amount: 100, manual: { pan: '4000000010000001', expiry: '2812' } });
    await fx.terminal.done();
    assert.equal(childText(fx.terminal.commands[0].body, 'password'), PASSWORD);
    assert.equal(childText(fx.terminal.commands[0].body, 'pan'), '4000000010000001');
  });

  it('report, settlement and clear carry the password and return their reports', async () => {
    const sreport = {
      sreport: { 'resp-code': '00', rrn: '000000000001', 'orig-amount': 'D000000012300', amount: 'D000000012300', 'settlement-result': 'passed' },
    };
    const c = await setup([
      reply('report', 'ok', { xreport: { header: { mid: 'M1', tid: 'T1' } } }),
      reply('settlement', 'ok', sreport),
      reply('clear', 'ok', { sreport: { 'resp-code': '00' } }),
    ]);
    const x = await c.report('full');
    assert.equal(x.header.mid, 'M1');
    const s = await c.settlement();
    assert.equal(s.passed, true);
    assert.equal(s.terminalTotal, 12300);
    const cl = await c.clear();
    assert.equal(cl.passed, true);
    await fx.terminal.done();
    const [rep, set, clr] = fx.terminal.commands;
    assert.equal(childText(rep.body, 'report-type'), 'full');
    for (const p of [rep, set, clr]) assert.equal(childText(p.body, 'password'), PASSWORD);
    assert.ok(!fx.terminal.commands.some((p) => p.name === 'login'), 'password commands need no login');
  });

  it('report without <xreport> is a protocol error', async () => {
    const c = await setup([reply('report', 'ok')]);
    await assert.rejects(c.report(), (e: unknown) => e instanceof JpayProtocolError && e.code === 'bad-packet');
    await fx.terminal.done();
  });

  it('resetPassword sends an empty command; the client then uses the factory password', async () => {
    const c = await setup([reply('resetpassword'), acceptLogin(), reply('testconnection')]);
    await c.resetPassword();
    await c.testConnection();
    await fx.terminal.done();
    const [reset, login] = fx.terminal.commands;
    assert.deepEqual(reset.body, {});
    assert.equal(childText(login.body, 'password'), '12345678');
  });

  it('setHostKey sends name and material with the token', async () => {
    const c = await setup([acceptLogin(), reply('sethostkey')]);
    await c.setHostKey('hkey1', 'AbcdEFGH');
    await fx.terminal.done();
    const p = fx.terminal.commands[1];
    assert.equal(childText(p.body, 'name'), 'hkey1');
    assert.equal(childText(p.body, 'material'), 'AbcdEFGH');
    assert.equal(childText(p.body, 'token'), TEST_TOKEN);
  });

  it('send() returns the raw typed response without throwing on status', async () => {
    const c = await setup([reply('settlement', 'failed', {}, { errors: ['host down'] })]);
    const r = await c.send('settlement');
    assert.equal(r.ok, false);
    assert.equal(r.status, 'failed');
    assert.deepEqual(r.errors, ['host down']);
    await fx.terminal.done();
  });

  it('a response with an unknown status keeps its raw value', async () => {
    const c = await setup([acceptLogin(), reply('testconnection', 'weirdstatus')]);
    await assert.rejects(c.testConnection(), (e: unknown) => e instanceof JpayStatusError && e.status === 'weirdstatus');
    await fx.terminal.done();
  });

  it('the error stack survives hex encoding of non-ASCII text', async () => {
    const c = await setup([acceptLogin(), reply('testconnection', 'failed', {}, { errors: ['Нет связи'] })]);
    await assert.rejects(c.testConnection(), (e: unknown) => e instanceof JpayStatusError && e.errors[0] === 'Нет связи');
    await fx.terminal.done();
    assert.equal(encodeErrorText('A'), '41');
  });
});

import assert from 'node:assert/strict';
import { childElement, childText, packet } from '../../../lib/codec/packet';
import type { SimulatorHandle } from '../../../lib/simulator';
import { startTestSimulator } from '../../helpers/sim-fixtures';
import { errorTexts, plainLogin, rawCommand, status } from '../../helpers/sim-raw-client';

describe('simulator admin commands', () => {
  let sim: SimulatorHandle;
  beforeEach(async () => {
    sim = await startTestSimulator();
  });
  afterEach(async () => {
    await sim.close();
  });

  it('login returns a 32-hex token; a wrong password gets notauthorized without a token', async () => {
    const ok = await rawCommand(sim.port, packet('login', { password: '12345678' }));
    assert.equal(status(ok), 'ok');
    assert.match(childText(ok.response.body, 'token') ?? '', /^[0-9A-F]{32}$/);
    const bad = await rawCommand(sim.port, packet('login', { password: '87654321' }));
    assert.equal(status(bad), 'notauthorized');
    assert.equal(childText(bad.response.body, 'token'), undefined);
  });

  it('token commands need the current token; logout ends it; a new login replaces it', async () => {
    const first = await plainLogin(sim.port);
    assert.equal(status(await rawCommand(sim.port, packet('getparameters', { token: first }))), 'ok');
    assert.equal(status(await rawCommand(sim.port, packet('getparameters', { token: '00'.repeat(16) }))), 'notauthorized');
    const second = await plainLogin(sim.port);
    assert.equal(status(await rawCommand(sim.port, packet('testconnection', { token: first }))), 'notauthorized');
    assert.equal(status(await rawCommand(sim.port, packet('logout', { token: second }))), 'ok');
    assert.equal(status(await rawCommand(sim.port, packet('testconnection', { token: second }))), 'notauthorized');
  });

  it('changepassword needs token and current password; resetpassword restores 12345678', async () => {
    const token = await plainLogin(sim.port);
    const wrong = await rawCommand(sim.port, packet('changepassword', { token, password: '11111111', newpassword: '22222222' }));
    assert.equal(status(wrong), 'notauthorized');
    const changed = await rawCommand(sim.port, packet('changepassword', { token, password: '12345678', newpassword: '22222222' }));
    assert.equal(status(changed), 'ok');
    assert.equal(status(await rawCommand(sim.port, packet('login', { password: '12345678' }))), 'notauthorized');
    assert.equal(status(await rawCommand(sim.port, packet('report', { password: '22222222', 'report-type': 'brief' }))), 'ok');
    assert.equal(status(await rawCommand(sim.port, packet('resetpassword'))), 'ok');
    assert.equal(status(await rawCommand(sim.port, packet('login', { password: '12345678' }))), 'ok');
  });

  it('a new password that is not 8 digits, or an unknown report type, is refused by the request rules and changes nothing', async () => {
    const token = await plainLogin(sim.port);
    const short = await rawCommand(sim.port, packet('changepassword', { token, password: '12345678', newpassword: '1234' }));
    assert.equal(status(short), 'formaterror');
    assert.match(errorTexts(short.response).join('\n'), /8 digits/);
    assert.equal(status(await rawCommand(sim.port, packet('login', { password: '12345678' }))), 'ok');
    const long = await rawCommand(sim.port, packet('report', { password: '12345678', 'report-type': 'long' }));
    assert.equal(status(long), 'invalidarguments');
    assert.match(errorTexts(long.response).join('\n'), /brief or full/);
  });

  it('getparameters answers believable values; work and master keys come with rrns and KCVs', async () => {
    const token = await plainLogin(sim.port);
    const params = childElement((await rawCommand(sim.port, packet('getparameters', { token }))).response.body, 'parameters');
    assert.equal(childText(params, 'tid'), '10000001');
    assert.equal(childText(params, 'app'), '1.0.67.6');
    assert.ok(childText(params, 'devid'));
    const work = await rawCommand(sim.port, packet('loadworkkeys', { token }));
    assert.match(childText(childElement(work.response.body, 'mac-change-receipt'), 'rrn') ?? '', /^\d{12}$/);
    assert.match(childText(childElement(work.response.body, 'net-change-receipt'), 'rrn') ?? '', /^\d{12}$/);
    const master = await rawCommand(sim.port, packet('loadmasterkeys', { token }));
    const receipt = childElement(master.response.body, 'receipt');
    assert.match(childText(receipt, 'pkcv') ?? '', /^[0-9A-F]{6}$/);
    assert.match(childText(receipt, 'mkcv') ?? '', /^[0-9A-F]{6}$/);
    assert.equal(status(await rawCommand(sim.port, packet('updateconfiguration', { token }))), 'ok');
  });

  it('testconnection reports an unreachable host with an error stack', async () => {
    const token = await plainLogin(sim.port);
    assert.equal(status(await rawCommand(sim.port, packet('testconnection', { token }))), 'ok');
    sim.setHostReachable(false);
    const down = await rawCommand(sim.port, packet('testconnection', { token }));
    assert.equal(status(down), 'communicationerror');
    assert.equal(errorTexts(down.response)[0], 'Host name is not found.');
  });

  it('answers an unknown command notimplemented and a missing field invalidarguments naming it', async () => {
    const unknown = await rawCommand(sim.port, packet('directpayment', { amount: '000000000100' }));
    assert.equal(unknown.response.name, 'directpayment');
    assert.equal(status(unknown), 'notimplemented');
    const missing = await rawCommand(sim.port, packet('report', { password: '12345678' }));
    assert.equal(status(missing), 'invalidarguments');
    assert.match(errorTexts(missing.response)[0], /^report-type/);
    const badAmount = await rawCommand(sim.port, packet('transaction', { type: 'purchase', amount: '12.30' }));
    assert.equal(status(badAmount), 'formaterror');
    assert.match(errorTexts(badAmount.response)[0], /^amount/);
  });

  it('report and settlement check the password', async () => {
    assert.equal(status(await rawCommand(sim.port, packet('report', { password: '00000000', 'report-type': 'full' }))), 'notauthorized');
    assert.equal(status(await rawCommand(sim.port, packet('settlement', { password: '00000000' }))), 'notauthorized');
    assert.equal(status(await rawCommand(sim.port, packet('clear', { password: '00000000' }))), 'notauthorized');
  });
});

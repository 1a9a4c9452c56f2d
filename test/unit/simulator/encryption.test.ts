import assert from 'node:assert/strict';
import { childElement, childText, packet } from '../../../lib/codec/packet';
import type { SimulatorHandle } from '../../../lib/simulator';
import { startTestSimulator } from '../../helpers/sim-fixtures';
import { amountWire, errorTexts, rawCommand, secureLogin, status } from '../../helpers/sim-raw-client';

describe('simulator encryption (§9)', () => {
  let sim: SimulatorHandle;
  beforeEach(async () => {
    sim = await startTestSimulator();
  });
  afterEach(async () => {
    await sim.close();
  });

  it('login with a client-handshake answers a server-handshake and an encrypted token', async () => {
    const { token, response } = await secureLogin(sim.port);
    assert.equal(childText(response.body, 'status'), 'ok');
    assert.match(token, /^[0-9A-F]{32}$/);
  });

  it('an encrypted transaction gets encrypted messages and response, with plain-text-pan', async () => {
    const { key } = await secureLogin(sim.port);
    const x = await rawCommand(sim.port, packet('transaction', { type: 'purchase', amount: amountWire(4200) }), { key });
    assert.equal(x.encrypted, true);
    assert.equal(status(x), 'ok');
    assert.ok(x.messages.length >= 5);
    const receipt = childElement(x.response.body, 'receipt');
    assert.equal(childText(receipt, 'plain-text-pan'), '4111111111111111');
    const plain = await rawCommand(sim.port, packet('transaction', { type: 'purchase', amount: amountWire(4200) }));
    assert.equal(plain.encrypted, false, 'a plain command gets a plain answer even after a handshake');
    assert.equal(childText(childElement(plain.response.body, 'receipt'), 'plain-text-pan'), undefined);
  });

  it('encrypted admin commands work with the key; logout ends the token but not the key', async () => {
    const { key, token } = await secureLogin(sim.port);
    const params = await rawCommand(sim.port, packet('getparameters', { token }), { key });
    assert.equal(status(params), 'ok');
    assert.equal(status(await rawCommand(sim.port, packet('logout', { token }), { key })), 'ok');
    const after = await rawCommand(sim.port, packet('report', { password: '12345678', 'report-type': 'brief' }), { key });
    assert.equal(after.encrypted, true);
    assert.equal(status(after), 'ok');
  });

  it('an encrypted command without a handshake gets a plain failed with an error stack', async () => {
    const bogusKey = Buffer.alloc(32, 7);
    const x = await rawCommand(sim.port, packet('report', { password: '12345678', 'report-type': 'brief' }), { key: bogusKey });
    assert.equal(x.encrypted, false);
    assert.equal(status(x), 'failed');
    assert.match(errorTexts(x.response)[0], /no secure session/);
  });

  it('a command sealed with a stale key gets a plain failed; a new handshake replaces the key', async () => {
    const first = await secureLogin(sim.port);
    const second = await secureLogin(sim.port);
    const stale = await rawCommand(sim.port, packet('report', { password: '12345678', 'report-type': 'brief' }), { key: first.key });
    assert.equal(status(stale), 'failed');
    assert.match(errorTexts(stale.response)[0], /could not be decrypted/);
    const fresh = await rawCommand(sim.port, packet('report', { password: '12345678', 'report-type': 'brief' }), { key: second.key });
    assert.equal(status(fresh), 'ok');
  });

  it('a plain answer inside an encrypted exchange ends the command with failed', async () => {
    const { key } = await secureLogin(sim.port);
    const x = await rawCommand(sim.port, packet('transaction', { type: 'purchase', amount: amountWire(100) }), { key, plainAnswers: true });
    assert.equal(status(x), 'failed');
    assert.match(errorTexts(x.response)[0], /not encrypted/);
    assert.equal(sim.log().length, 0);
  });

  it('a wrong password with a handshake leaves the key alone; a bad handshake is a formaterror', async () => {
    const { key } = await secureLogin(sim.port);
    const wrong = await rawCommand(sim.port, packet('login', { password: '00000000' }, { 'client-handshake': 'AwAXQQ==' }));
    assert.equal(status(wrong), 'notauthorized');
    assert.equal(status(await rawCommand(sim.port, packet('report', { password: '12345678', 'report-type': 'brief' }), { key })), 'ok');
    const bad = await rawCommand(sim.port, packet('login', { password: '12345678' }, { 'client-handshake': 'AwAXQQ==' }));
    assert.equal(status(bad), 'formaterror');
    assert.equal(bad.response.attrs['server-handshake'], undefined);
  });
});

import assert from 'node:assert/strict';
import { createPublicKey } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { childElement, childText, packet, type Packet, type XmlElement } from '../../../lib/codec/packet';
import type { SimulatorHandle } from '../../../lib/simulator';
import { startTestSimulator } from '../../helpers/sim-fixtures';
import { keyOf, runActivator } from '../../helpers/sim-activator';
import { errorTexts, plainLogin, rawCommand, status } from '../../helpers/sim-raw-client';

describe('simulator runreset and the activator port', () => {
  let sim: SimulatorHandle;
  beforeEach(async () => {
    sim = await startTestSimulator();
  });
  afterEach(async () => {
    await sim.close();
  });

  async function startRunreset(answer?: (m: Packet) => Record<string, string> | undefined) {
    const token = await plainLogin(sim.port);
    const waiting = sim.waitForEvent((e) => e.type === 'message' && e.name === 'keep-alive');
    const running = rawCommand(sim.port, packet('runreset', { token }), { answer });
    await waiting;
    // Wrapped: an async function returning the promise would wait for it.
    return { running };
  }

  it('keep-alive 0 until the activator connects, three certificate requests with real RSA keys, confdata, ok', async () => {
    const { running } = await startRunreset();
    const activator = await runActivator(sim.activatorPort);
    const x = await running;
    assert.equal(status(x), 'ok', errorTexts(x.response).join('; '));
    const indicators = x.messages.map((m) => childText(m.body, 'reset-connected-indicator'));
    assert.equal(indicators[0], '0');
    assert.equal(indicators.at(-1), '1');
    assert.ok(x.messages.every((m) => m.name === 'keep-alive'));
    assert.deepEqual(
      activator.requests.map((r) => r.name),
      ['signconfigclientcertificate', 'signkeyloaderclientcertificate', 'signacquirerclientcertificate', 'queryconfigcredentials'],
    );
    const keys = activator.requests.slice(0, 3).map(keyOf);
    assert.equal(new Set(keys).size, 3, 'a fresh key per certificate');
    for (const key of keys) {
      const parsed = createPublicKey({ key: Buffer.from(key, 'hex'), format: 'der', type: 'spki' });
      assert.equal(parsed.asymmetricKeyType, 'rsa');
    }
    assert.equal(childText(activator.requests[0].body, 'device-identifier'), 'SIM-0000000009');
    const token = await plainLogin(sim.port);
    const params = childElement((await rawCommand(sim.port, packet('getparameters', { token }))).response.body, 'parameters');
    assert.equal(childText(params, 'cshost'), 'config.example.test:8443');
  });

  it('any keep-alive answer but ok aborts', async () => {
    const token = await plainLogin(sim.port);
    const x = await rawCommand(sim.port, packet('runreset', { token }), {
      answer: (m) => (m.name === 'keep-alive' ? { status: 'failed' } : undefined),
    });
    assert.equal(status(x), 'failed');
    assert.match(errorTexts(x.response)[0], /aborted/);
  });

  it('a certificate that does not carry the terminal key fails verification', async () => {
    const foreign = readFileSync(join(__dirname, '..', '..', 'fixtures', 'simulator', 'foreign-cert.pem'));
    const { running } = await startRunreset();
    await runActivator(sim.activatorPort, (r): XmlElement =>
      r.name === 'queryconfigcredentials'
        ? { confdata: { cert: 'AB', sign: 'CD', url: 'https://x.test' } }
        : { 'signed-cert': { cert: foreign.toString('hex'), ca: foreign.toString('hex') } },
    );
    const x = await running;
    assert.equal(status(x), 'verificationfailed');
  });

  it('a failing status from the activator fails the reset: signed-cert → verificationfailed, confdata → missingdata', async () => {
    let started = await startRunreset();
    await runActivator(sim.activatorPort, (): XmlElement => ({ status: 'failed', 'signed-cert': { cert: 'AB', ca: 'CD' } }));
    assert.equal(status(await started.running), 'verificationfailed');
    started = await startRunreset();
    await runActivator(sim.activatorPort, (r): XmlElement =>
      r.name === 'queryconfigcredentials'
        ? { status: 'failed', confdata: { cert: 'AB', sign: 'CD', url: 'https://x.test' } }
        : { 'signed-cert': { cert: 'AB', ca: 'CD' } },
    );
    assert.equal(status(await started.running), 'missingdata');
  });

  it('reset is served only on the activator port and only while a runreset waits', async () => {
    const main = await rawCommand(sim.port, packet('reset'));
    assert.equal(status(main), 'notimplemented');
    const idle = await runActivator(sim.activatorPort);
    assert.equal(childText(idle.resetAnswer?.body, 'status'), 'failed');
    const other = await rawCommand(sim.activatorPort, packet('login', { password: '12345678' }));
    assert.equal(status(other), 'notimplemented');
  });

  it('runreset needs the token', async () => {
    assert.equal(status(await rawCommand(sim.port, packet('runreset', { token: 'AB'.repeat(16) }))), 'notauthorized');
  });
});

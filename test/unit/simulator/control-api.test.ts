import assert from 'node:assert/strict';
import { childElement, childText, packet } from '../../../lib/codec/packet';
import type { SimulatorHandle } from '../../../lib/simulator';
import { controlCall } from '../../helpers/sim-control';
import { startTestSimulator } from '../../helpers/sim-fixtures';
import { amountWire, rawCommand, status } from '../../helpers/sim-raw-client';

const call = controlCall;

describe('simulator control HTTP API', () => {
  let sim: SimulatorHandle;
  beforeEach(async () => {
    sim = await startTestSimulator({ controlPort: 0 });
  });
  afterEach(async () => {
    await sim.close();
  });

  it('listens on loopback and reports health and state', async () => {
    assert.match(sim.controlUrl ?? '', /^http:\/\/127\.0\.0\.1:\d+$/);
    const health = await call(sim, 'GET', '/health');
    assert.equal(health.json.ok, true);
    assert.equal(health.json.port, sim.port);
    const state = await call(sim, 'GET', '/state');
    assert.equal(state.json.busy, null);
  });

  it('presents a chosen card to a waiting transaction', async () => {
    await call(sim, 'PUT', '/auto-present', { enabled: false });
    const waiting = sim.waitForEvent((e) => e.type === 'waiting-for-card');
    const running = rawCommand(sim.port, packet('transaction', { type: 'purchase', amount: amountWire(100) }));
    await waiting;
    const presented = await call(sim, 'POST', '/present', { card: 'mastercard' });
    assert.deepEqual(presented.json, { presented: 'now', card: 'mastercard' });
    const x = await running;
    assert.equal(childText(childElement(x.response.body, 'receipt'), 'pan'), '************4444');
  });

  it('queues outcomes and faults, validates them naming the field, and lists the log', async () => {
    const queued = await call(sim, 'POST', '/outcomes', [{ status: 'readererror' }, { declineReason: 'offlinedeclined' }]);
    assert.equal(queued.json.queued, 2);
    const bad = await call(sim, 'POST', '/outcomes', { status: 'broken' });
    assert.equal(bad.code, 400);
    assert.equal(bad.json.field, 'outcome.status');
    const badFault = await call(sim, 'POST', '/faults', { kind: 'meteor' });
    assert.equal(badFault.code, 400);
    assert.equal(badFault.json.field, 'fault.kind');
    assert.equal(status(await rawCommand(sim.port, packet('transaction', { type: 'purchase', amount: amountWire(100) }))), 'readererror');
    assert.equal(status(await rawCommand(sim.port, packet('transaction', { type: 'purchase', amount: amountWire(100) }))), 'ok');
    const log = await call(sim, 'GET', '/log');
    assert.equal(log.json.length, 1);
    assert.equal((log.json[0] as { tstatus: string }).tstatus, 'declined');
    assert.doesNotMatch(JSON.stringify(log.json), /4111111111111111/);
    await call(sim, 'POST', '/faults', { kind: 'host-unreachable' });
    assert.equal((await call(sim, 'GET', '/faults')).json.length, 1);
    await call(sim, 'DELETE', '/faults');
    assert.equal((await call(sim, 'GET', '/faults')).json.length, 0);
  });

  it('inserts a MIFARE image, reads it back, removes it from the field', async () => {
    const image = Buffer.alloc(1024);
    image.set([0x11, 0x22, 0x33, 0x44, 0x11 ^ 0x22 ^ 0x33 ^ 0x44], 0);
    const put = await call(sim, 'PUT', '/mifare', { image: image.toString('base64'), authBlock: 8 });
    assert.equal(put.json.uid, '11223344');
    assert.equal((put.json.image as string).length, 2048);
    assert.equal((await call(sim, 'POST', '/mifare/remove')).json.inField, false);
    assert.equal((await call(sim, 'POST', '/mifare/return')).json.inField, true);
    await call(sim, 'DELETE', '/mifare');
    assert.equal((await call(sim, 'GET', '/mifare')).json.present, false);
    assert.equal((await call(sim, 'POST', '/mifare/remove')).code, 409);
    assert.equal((await call(sim, 'PUT', '/mifare', { image: 'abcd' })).code, 400);
  });

  it('host switch, reset, errors for unknown routes and bad JSON', async () => {
    await call(sim, 'PUT', '/host', { reachable: false });
    assert.equal(status(await rawCommand(sim.port, packet('transaction', { type: 'purchase', amount: amountWire(100) }))), 'communicationerror');
    await call(sim, 'POST', '/reset');
    assert.equal(status(await rawCommand(sim.port, packet('transaction', { type: 'purchase', amount: amountWire(100) }))), 'ok');
    assert.equal((await call(sim, 'GET', '/nope')).code, 404);
    assert.equal((await call(sim, 'DELETE', '/health')).code, 405);
    const res = await fetch(`${sim.controlUrl}/outcomes`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{oops' });
    assert.equal(res.status, 400);
    await res.body?.cancel();
    assert.equal((await call(sim, 'PUT', '/host', { reachable: 'yes' })).json.field, 'reachable');
    const events = await call(sim, 'GET', '/events');
    assert.ok((events.json as { type: string }[]).some((e) => e.type === 'command'));
  });

  it('magic amounts and cards are listed', async () => {
    const magic = await call(sim, 'GET', '/magic-amounts');
    assert.ok(magic.json.length >= 50);
    const cards = await call(sim, 'GET', '/cards');
    assert.ok((cards.json as { id: string }[]).some((c) => c.id === 'visa'));
  });
});

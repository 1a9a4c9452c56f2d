import assert from 'node:assert/strict';
import { childElement, childText, packet } from '../../../lib/codec/packet';
import { JPAY_STATUS_CODES } from '../../../lib/protocol/status';
import { MAGIC_AMOUNTS, MAGIC_BASE, type SimulatorHandle } from '../../../lib/simulator';
import { startTestSimulator } from '../../helpers/sim-fixtures';
import { amountWire, displayCodes, errorTexts, rawCommand, status } from '../../helpers/sim-raw-client';

const purchase = (amount: number) => packet('transaction', { type: 'purchase', amount: amountWire(amount) });

describe('simulator magic amounts (raw TCP)', () => {
  let sim: SimulatorHandle;
  before(async () => {
    sim = await startTestSimulator();
  });
  after(async () => {
    await sim.close();
  });

  JPAY_STATUS_CODES.forEach((code, index) => {
    it(`777.${String(index).padStart(2, '0')} → ${code}`, async () => {
      const x = await rawCommand(sim.port, purchase(MAGIC_BASE + index));
      assert.equal(status(x), code);
      if (code === 'ok') {
        assert.equal(childText(childElement(x.response.body, 'receipt'), 'tstatus'), 'approved');
      } else {
        assert.equal(childElement(x.response.body, 'receipt'), undefined);
        if (code !== 'cancelled') assert.ok(errorTexts(x.response).length > 0, 'an error stack explains it');
      }
    });
  });

  for (const m of MAGIC_AMOUNTS.filter((e) => e.outcome.declineReason)) {
    it(`${(m.amount / 100).toFixed(2)} → declined ${m.outcome.declineReason}`, async () => {
      const x = await rawCommand(sim.port, purchase(m.amount));
      const r = childElement(x.response.body, 'receipt');
      assert.equal(status(x), 'ok');
      assert.equal(childText(r, 'tstatus'), 'declined');
      assert.equal(childText(r, 'decline-reason'), m.outcome.declineReason);
      if (m.outcome.respCode) assert.equal(childText(r, 'resp-code'), m.outcome.respCode);
      assert.equal(displayCodes(x).at(-1), '07');
      if (m.outcome.display) assert.ok(displayCodes(x).includes(m.outcome.display));
    });
  }

  it('777.43 (unable to go online) shows D1 D2 D3 and no D4', async () => {
    const x = await rawCommand(sim.port, purchase(77743));
    assert.deepEqual(displayCodes(x).filter((c) => c.startsWith('D')), ['D1', 'D2', 'D3']);
  });

  it('CVM amounts: 777.60 online PIN, 777.61 offline PIN, 777.62 CDCVM, 777.63 signature', async () => {
    const fields = async (amount: number) => childElement((await rawCommand(sim.port, purchase(amount))).response.body, 'receipt');
    assert.equal(childText(await fields(77760), 'pin-entered'), 'online');
    assert.equal(childText(await fields(77761), 'pin-entered'), 'offline');
    assert.equal(childText(await fields(77762), 'cdcvm'), 'yes');
    assert.equal(childText(await fields(77763), 'signature'), 'yes');
  });

  it('status displays: 777.02 D1 D2 D3, 777.27 18, 777.16 0F', async () => {
    assert.deepEqual(displayCodes(await rawCommand(sim.port, purchase(77702))).slice(-3), ['D1', 'D2', 'D3']);
    assert.equal(displayCodes(await rawCommand(sim.port, purchase(77727))).at(-1), '18');
    assert.equal(displayCodes(await rawCommand(sim.port, purchase(77716))).at(-1), '0F');
  });

  it('start-phase statuses come before "present card"', async () => {
    const x = await rawCommand(sim.port, purchase(77723));
    assert.equal(status(x), 'readerdisabled');
    assert.deepEqual(displayCodes(x), []);
  });
});

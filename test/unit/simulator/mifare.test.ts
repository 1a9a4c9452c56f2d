import assert from 'node:assert/strict';
import { childElement, childText, packet, type Packet, type XmlElement } from '../../../lib/codec/packet';
import type { SimulatorHandle } from '../../../lib/simulator';
import { startTestSimulator } from '../../helpers/sim-fixtures';
import { amountWire, displayCodes, rawCommand, status } from '../../helpers/sim-raw-client';

const purchase = () => packet('transaction', { type: 'purchase', amount: amountWire(100) });
const block = (byte: number) => Buffer.alloc(16, byte).toString('base64');

/** A scripted card handler: each step answers the next `card` message. */
function script(steps: XmlElement[], seen: Packet[]): (m: Packet) => XmlElement | undefined {
  return (m) => {
    if (m.name !== 'card') return undefined;
    seen.push(m);
    return steps.shift() ?? { code: 'close' };
  };
}

describe('simulator MIFARE card session', () => {
  let sim: SimulatorHandle;
  beforeEach(async () => {
    sim = await startTestSimulator();
  });
  afterEach(async () => {
    await sim.close();
  });

  it('open → read → write → close with an approved receipt completes the transaction (iface mifare)', async () => {
    const card = await sim.insertMifareCard({ authBlock: 4 });
    const seen: Packet[] = [];
    const x = await rawCommand(sim.port, purchase(), {
      answer: script(
        [
          { code: 'read', 'block-id': '5' },
          { code: 'write', 'block-id': '5', payload: block(0xab) },
          { code: 'close', receipt: { status: 'approved', amount: '1000', balance: '500' } },
        ],
        seen,
      ),
    });
    assert.equal(childText(seen[0].body, 'code'), 'open');
    assert.equal(childText(seen[0].body, 'block-id'), '4');
    assert.equal(Buffer.from(childText(seen[0].body, 'payload') ?? '', 'base64').length, 16);
    assert.equal(childText(seen[1].body, 'code'), 'read');
    assert.equal(childText(seen[1].body, 'status'), 'ok');
    assert.equal(childText(seen[2].body, 'code'), 'write');
    assert.equal(childText(seen[2].body, 'status'), 'ok');
    assert.equal(status(x), 'ok');
    const receipt = childElement(x.response.body, 'receipt');
    assert.equal(childText(receipt, 'status'), 'approved');
    assert.equal(childText(receipt, 'balance'), '500');
    assert.equal(childText(receipt, 'iface'), 'mifare');
    assert.deepEqual(card.read(5), { ok: true, data: Buffer.alloc(16, 0xab) });
    assert.equal(sim.log().length, 0, 'a MIFARE payment is not a bank transaction');
  });

  it('refuses sector trailer writes unless allowed, and reads out of range fail', async () => {
    await sim.insertMifareCard({});
    const seen: Packet[] = [];
    await rawCommand(sim.port, purchase(), {
      answer: script(
        [
          { code: 'write', 'block-id': '7', payload: block(0xff) },
          { code: 'read', 'block-id': '64' },
          { code: 'close', receipt: { status: 'approved' } },
        ],
        seen,
      ),
    });
    assert.equal(childText(seen[1].body, 'status'), 'failed');
    assert.equal(childText(seen[2].body, 'status'), 'failed');
  });

  it('a notimplemented answer or a close without a receipt goes back to waiting for a bank card', async () => {
    await sim.insertMifareCard({});
    const x = await rawCommand(sim.port, purchase());
    assert.equal(status(x), 'ok');
    assert.equal(childText(childElement(x.response.body, 'receipt'), 'tstatus'), 'approved');
    assert.equal(childText(childElement(x.response.body, 'receipt'), 'iface'), undefined);
    assert.ok(displayCodes(x).includes('D4'));
    const seen: Packet[] = [];
    const closed = await rawCommand(sim.port, purchase(), { answer: script([{ code: 'close' }], seen) });
    assert.equal(seen.length, 1);
    assert.equal(childText(childElement(closed.response.body, 'receipt'), 'pan'), '************1111');
  });

  it('tearing: the card leaves the field in the middle of a write', async () => {
    const card = await sim.insertMifareCard({ tearAfterWrites: 1, tearMode: 'partial' });
    const seen: Packet[] = [];
    await rawCommand(sim.port, purchase(), {
      answer: script(
        [
          { code: 'write', 'block-id': '1', payload: block(1) },
          { code: 'write', 'block-id': '2', payload: block(2) },
          { code: 'read', 'block-id': '2' },
          { code: 'close', receipt: { status: 'declined' } },
        ],
        seen,
      ),
    });
    assert.deepEqual(seen.slice(1).map((m) => childText(m.body, 'status')), ['ok', 'failed', 'failed']);
    assert.equal(card.inField, false);
    card.returnToField();
    const torn = card.read(2);
    assert.ok(torn.ok);
    assert.deepEqual(torn.data, Buffer.concat([Buffer.alloc(8, 2), Buffer.alloc(8, 0)]));
  });

  it('the card-removed fault takes the card out of the field after open', async () => {
    await sim.insertMifareCard({});
    sim.injectFault({ kind: 'card-removed' });
    const seen: Packet[] = [];
    await rawCommand(sim.port, purchase(), { answer: script([{ code: 'read', 'block-id': '4' }, { code: 'close', receipt: { status: 'declined' } }], seen) });
    assert.equal(childText(seen[1].body, 'status'), 'failed');
  });
});

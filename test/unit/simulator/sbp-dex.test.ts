import assert from 'node:assert/strict';
import { childElement, childList, childText, packet, type XmlElement } from '../../../lib/codec/packet';
import type { SimulatorHandle } from '../../../lib/simulator';
import { startTestSimulator } from '../../helpers/sim-fixtures';
import { amountWire, displayCodes, errorTexts, messageNames, rawCommand, status } from '../../helpers/sim-raw-client';

const receiptOf = (x: { response: { body: XmlElement } }) => childElement(x.response.body, 'receipt');
const qrStatuses = (x: { messages: { name: string; body: XmlElement }[] }) =>
  x.messages.filter((m) => m.name === 'displayqrcode').map((m) => childText(m.body, 'status'));

describe('simulator SBP', () => {
  let sim: SimulatorHandle;
  afterEach(async () => {
    await sim.close();
  });

  it('force-sbp purchase: show → payment → hide, an SBP receipt with its own numbering and CFT block', async () => {
    sim = await startTestSimulator({ sbp: { enabled: true, payDelayMs: 5, cft: true } });
    await rawCommand(sim.port, packet('transaction', { type: 'purchase', amount: amountWire(100) }, { 'force-sbp': 'false' }));
    const x = await rawCommand(sim.port, packet('transaction', { type: 'purchase', amount: amountWire(110) }, { 'force-sbp': 'true' }));
    assert.deepEqual(qrStatuses(x), ['show', 'hide']);
    assert.match(childText(x.messages.find((m) => m.name === 'displayqrcode')?.body, 'url') ?? '', /^https:\/\/qr\.nspk\.ru\/AD/);
    assert.ok(!displayCodes(x).includes('15'), 'no card detection');
    const r = receiptOf(x);
    assert.equal(childText(r, 'iface'), 'sbp');
    assert.equal(childText(r, 'status'), 'approved');
    assert.equal(childText(r, 'seq'), '000001', 'SBP numbering is separate');
    assert.equal(childText(r, 'tid'), '90000001');
    const cft = childElement(r, 'cft');
    assert.equal(childText(cft, 'localQrcId'), childText(r, 'rrn'));
    assert.equal(childText(cft, 'mpiOperationStatusDescriptionEng'), 'Payment accepted');
  });

  it('SBP refund needs force-sbp and the payment rrn; without force-sbp it is a card refund', async () => {
    sim = await startTestSimulator({ sbp: { enabled: true, payDelayMs: 5 } });
    const paid = await rawCommand(sim.port, packet('transaction', { type: 'purchase', amount: amountWire(1000) }, { 'force-sbp': 'true' }));
    const rrn = childText(receiptOf(paid), 'rrn') ?? '';
    const refund = await rawCommand(sim.port, packet('transaction', { type: 'refund', amount: amountWire(400), rrn }, { 'force-sbp': 'true' }));
    assert.equal(status(refund), 'ok');
    assert.equal(childText(receiptOf(refund), 'iface'), 'sbp');
    assert.equal(childText(receiptOf(refund), 'type'), 'refund');
    const over = await rawCommand(sim.port, packet('transaction', { type: 'refund', amount: amountWire(700), rrn }, { 'force-sbp': 'true' }));
    assert.equal(status(over), 'invalidarguments');
    const unknown = await rawCommand(sim.port, packet('transaction', { type: 'refund', amount: amountWire(1), rrn: '000000' }, { 'force-sbp': 'true' }));
    assert.equal(status(unknown), 'transactionnotfound');
    const card = await rawCommand(sim.port, packet('transaction', { type: 'refund', amount: amountWire(400) }));
    assert.equal(childText(receiptOf(card), 'iface'), undefined);
    assert.ok(displayCodes(card).includes('15'));
  });

  it('without force-sbp the QR is shown beside card detection and hidden when the card wins; false offers no QR', async () => {
    sim = await startTestSimulator({ sbp: { enabled: true, payDelayMs: 2000 } });
    const x = await rawCommand(sim.port, packet('transaction', { type: 'purchase', amount: amountWire(100) }));
    assert.deepEqual(qrStatuses(x), ['show', 'hide']);
    assert.equal(childText(receiptOf(x), 'iface'), undefined);
    const none = await rawCommand(sim.port, packet('transaction', { type: 'purchase', amount: amountWire(100) }, { 'force-sbp': 'false' }));
    assert.deepEqual(qrStatuses(none), []);
  });

  it('the SBP agent can decline, fail (QR hidden, card goes on) or never pay (timeout)', async () => {
    sim = await startTestSimulator({ sbp: { enabled: true, payDelayMs: 5 }, autoPresent: false, timing: { cardTimeoutMs: 100 } });
    sim.sbpResult('declined');
    const declined = await rawCommand(sim.port, packet('transaction', { type: 'purchase', amount: amountWire(100) }, { 'force-sbp': 'true' }));
    assert.equal(childText(receiptOf(declined), 'status'), 'declined');
    sim.sbpResult('error');
    sim.setAutoPresent(true);
    const errored = await rawCommand(sim.port, packet('transaction', { type: 'purchase', amount: amountWire(100) }));
    assert.deepEqual(qrStatuses(errored), ['show', 'hide']);
    assert.equal(childText(receiptOf(errored), 'tstatus'), 'approved', 'paid by card after the SBP error');
    sim.sbpResult('none');
    const timeout = await rawCommand(sim.port, packet('transaction', { type: 'purchase', amount: amountWire(100) }, { 'force-sbp': 'true' }));
    assert.equal(status(timeout), 'timeout');
    assert.deepEqual(qrStatuses(timeout), ['show', 'hide']);
  });

  it('force-sbp with SBP disabled is notallowedinterface', async () => {
    sim = await startTestSimulator();
    const x = await rawCommand(sim.port, packet('transaction', { type: 'purchase', amount: amountWire(100) }, { 'force-sbp': 'true' }));
    assert.equal(status(x), 'notallowedinterface');
  });
});

describe('simulator dex', () => {
  let sim: SimulatorHandle;
  afterEach(async () => {
    await sim.close();
  });

  it('sends the kernel tags and applies the returned ones (aid, amount) with a TLV record', async () => {
    sim = await startTestSimulator({ dex: { enabled: true } });
    let kernel: XmlElement | undefined;
    const x = await rawCommand(sim.port, packet('transaction', { type: 'purchase', amount: amountWire(12300) }), {
      answer: (m) => {
        if (m.name !== 'dex') return undefined;
        kernel = childElement(m.body, 'kernel-tags');
        return { status: 'ok', 'terminal-tags': { tag: [{ '@name': '9F06', '@value': 'A0000000032010' }, { '@name': '9F02', '@value': '000000012000' }] } };
      },
    });
    const tags = childList(kernel, 'tag') as XmlElement[];
    assert.deepEqual(tags.map((t) => t['@name']), ['9F06', '9F02', '5F2A', '9C']);
    assert.equal(tags[1]['@value'], '000000012300');
    assert.ok(messageNames(x).indexOf('dex') > 0);
    const r = receiptOf(x);
    assert.equal(childText(r, 'aid'), 'A0000000032010');
    assert.equal(childText(r, 'amount-authorized'), '000000012000');
    assert.equal(childText(r, 'record'), '9F0607A00000000320109F0206000000012000');
  });

  it('an invalid tag value ends the transaction with emverror; notimplemented changes nothing', async () => {
    sim = await startTestSimulator({ dex: { enabled: true } });
    const bad = await rawCommand(sim.port, packet('transaction', { type: 'purchase', amount: amountWire(100) }), {
      answer: (m) => (m.name === 'dex' ? { status: 'ok', 'terminal-tags': { tag: [{ '@name': '9F02', '@value': '12' }] } } : undefined),
    });
    assert.equal(status(bad), 'emverror');
    assert.match(errorTexts(bad.response)[0], /9F02/);
    const skipped = await rawCommand(sim.port, packet('transaction', { type: 'purchase', amount: amountWire(100) }), {
      answer: (m) => (m.name === 'dex' ? { status: 'notimplemented' } : undefined),
    });
    assert.equal(status(skipped), 'ok');
    assert.equal(childText(receiptOf(skipped), 'record'), undefined);
  });
});

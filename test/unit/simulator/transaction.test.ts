import assert from 'node:assert/strict';
import { childElement, childText, packet, type XmlElement } from '../../../lib/codec/packet';
import type { SimulatorHandle } from '../../../lib/simulator';
import { startTestSimulator } from '../../helpers/sim-fixtures';
import { amountWire, displayCodes, errorTexts, messageNames, rawCommand, status } from '../../helpers/sim-raw-client';

const tx = (body: XmlElement, attrs: Record<string, string> = {}) => packet('transaction', body, attrs);
const receiptOf = (x: { response: { body: XmlElement } }) => childElement(x.response.body, 'receipt');

describe('simulator transactions', () => {
  let sim: SimulatorHandle;
  beforeEach(async () => {
    sim = await startTestSimulator();
  });
  afterEach(async () => {
    await sim.close();
  });

  it('a purchase out of the box: keepalive, 15 with the amount, 16, D1, D4, 03 with the amount, approved receipt', async () => {
    const x = await rawCommand(sim.port, tx({ type: 'purchase', amount: amountWire(12300) }));
    assert.equal(status(x), 'ok');
    assert.equal(messageNames(x)[0], 'keepalive');
    assert.deepEqual(displayCodes(x), ['15', '16', 'D1', 'D4', '03']);
    const first = x.messages.find((m) => m.name === 'display');
    assert.equal(childText(first?.body, 'value-qualifier'), '10');
    assert.equal(childText(first?.body, 'value'), '000000012300');
    const last = x.messages[x.messages.length - 1];
    assert.equal(childText(last.body, 'code'), '03');
    assert.equal(childText(last.body, 'value'), '000000012300');
    const r = receiptOf(x);
    assert.equal(childText(r, 'tstatus'), 'approved');
    assert.equal(childText(r, 'type'), 'purchase');
    assert.equal(childText(r, 'seq'), '000001');
    assert.equal(childText(r, 'amount-authorized'), '000000012300');
    assert.equal(childText(r, 'currency'), '643');
    assert.equal(childText(r, 'pan'), '************1111');
    assert.equal(childText(r, 'aid'), 'A0000000031010');
    assert.match(childText(r, 'rrn') ?? '', /^\d{12}$/);
    assert.match(childText(r, 'datetime') ?? '', /^\d{12}$/);
    assert.equal(childText(r, 'plain-text-pan'), undefined, 'never in a plain session');
    assert.equal(sim.log().length, 1);
  });

  it('keepalives are periodic while the terminal waits, and a cancelled answer aborts', async () => {
    await sim.close();
    sim = await startTestSimulator({ timing: { keepaliveIntervalMs: 10, cardDelayMs: 60 } });
    const waited = await rawCommand(sim.port, tx({ type: 'purchase', amount: amountWire(100) }));
    assert.ok(messageNames(waited).filter((n) => n === 'keepalive').length >= 3);
    sim.setAutoPresent(false);
    let seen = 0;
    const cancelled = await rawCommand(sim.port, tx({ type: 'purchase', amount: amountWire(100) }), {
      answer: (m) => (m.name === 'keepalive' && ++seen === 2 ? { status: 'cancelled' } : undefined),
    });
    assert.equal(status(cancelled), 'cancelled');
    assert.equal(childElement(cancelled.response.body, 'receipt'), undefined);
    assert.equal(sim.log().length, 1, 'nothing recorded for the cancelled one');
  });

  it('a card presented through the control API is used; the currency override reaches the receipt', async () => {
    sim.setAutoPresent(false);
    const waiting = sim.waitForEvent((e) => e.type === 'waiting-for-card');
    const running = rawCommand(sim.port, tx({ type: 'purchase', amount: amountWire(5000), currency: '978' }));
    await waiting;
    assert.equal(sim.presentCard('visa-pin').presented, 'now');
    const x = await running;
    assert.deepEqual(displayCodes(x), ['15', '16', '09', 'D1', 'D4', '03']);
    const r = receiptOf(x);
    assert.equal(childText(r, 'currency'), '978');
    assert.equal(childText(r, 'pin-entered'), 'online');
    assert.equal(childText(r, 'pan'), '************0119');
  });

  it('test cards decline, sign and refuse as documented', async () => {
    sim.setNextCard('visa-declined');
    const declined = await rawCommand(sim.port, tx({ type: 'purchase', amount: amountWire(100) }));
    assert.equal(status(declined), 'ok');
    assert.equal(childText(receiptOf(declined), 'tstatus'), 'declined');
    assert.equal(childText(receiptOf(declined), 'decline-reason'), 'onlinedeclined');
    assert.equal(childText(receiptOf(declined), 'resp-code'), '051');
    assert.equal(displayCodes(declined).at(-1), '07');
    sim.setNextCard('mir-signature');
    const signed = await rawCommand(sim.port, tx({ type: 'purchase', amount: amountWire(100) }));
    assert.equal(childText(receiptOf(signed), 'signature'), 'yes');
    assert.equal(childText(receiptOf(signed), 'apname'), 'BCB8C0');
    assert.equal(childText(receiptOf(signed), 'ict-id'), '05');
    assert.equal(displayCodes(signed).at(-1), '1A');
    sim.setNextCard('mir-usechip');
    const chip = await rawCommand(sim.port, tx({ type: 'purchase', amount: amountWire(100) }));
    assert.equal(status(chip), 'usechip');
    assert.equal(displayCodes(chip).at(-1), '11');
    sim.setNextCard('visa-offline-declined');
    const offline = await rawCommand(sim.port, tx({ type: 'purchase', amount: amountWire(100) }));
    assert.equal(childText(receiptOf(offline), 'decline-reason'), 'offlinedeclined');
    assert.ok(!displayCodes(offline).includes('D1'), 'no host for an offline decline');
  });

  it('purchase-with-cashback, refund with rrn and forced refund', async () => {
    const cashback = await rawCommand(sim.port, tx({ type: 'purchase-with-cashback', amount: amountWire(12300), 'amount-other': amountWire(100) }));
    assert.equal(childText(receiptOf(cashback), 'amount-other'), '000000000100');
    const rrn = childText(receiptOf(cashback), 'rrn') ?? '';
    const refund = await rawCommand(sim.port, tx({ type: 'refund', amount: amountWire(500), rrn }));
    assert.equal(childText(receiptOf(refund), 'type'), 'refund');
    assert.ok(displayCodes(refund).includes('15'), 'a card refund presents the card');
    const forced = await rawCommand(sim.port, tx({ type: 'refund', amount: amountWire(700), rrn, forced: 'true' }));
    assert.equal(status(forced), 'ok');
    assert.ok(!displayCodes(forced).includes('15'), 'no card for a forced refund');
    assert.equal(childText(receiptOf(forced), 'pan'), '************1111', 'card data from the original');
  });

  it('void: by number (card again), partial, last, and the status rules', async () => {
    const p = await rawCommand(sim.port, tx({ type: 'purchase', amount: amountWire(1000) }));
    const seq = String(Number(childText(receiptOf(p), 'seq')));
    const partial = await rawCommand(sim.port, tx({ type: 'void', number: seq, amount: amountWire(300) }));
    assert.equal(childText(receiptOf(partial), 'type'), 'purchasereversal');
    assert.equal(childText(receiptOf(partial), 'amount-authorized'), '000000000300');
    assert.ok(displayCodes(partial).includes('15'));
    const tooMuch = await rawCommand(sim.port, tx({ type: 'void', number: seq, amount: amountWire(800) }));
    assert.equal(status(tooMuch), 'invalidarguments');
    const rest = await rawCommand(sim.port, tx({ type: 'void', number: seq }));
    assert.equal(childText(receiptOf(rest), 'amount-authorized'), '000000000700');
    assert.equal(status(await rawCommand(sim.port, tx({ type: 'void', number: seq }))), 'alreadyreversed');
    assert.equal(status(await rawCommand(sim.port, tx({ type: 'void', number: '999' }))), 'transactionnotfound');
    assert.equal(status(await rawCommand(sim.port, tx({ type: 'void', number: 'last' }))), 'notreversible');
    sim.setNextCard('visa-declined');
    await rawCommand(sim.port, tx({ type: 'purchase', amount: amountWire(100) }));
    const notApproved = await rawCommand(sim.port, tx({ type: 'void', number: 'last' }));
    assert.equal(status(notApproved), 'notapproved');
    await rawCommand(sim.port, tx({ type: 'purchase', amount: amountWire(200) }));
    const last = await rawCommand(sim.port, tx({ type: 'void', number: 'last' }));
    assert.equal(status(last), 'ok');
    assert.ok(!displayCodes(last).includes('15'), 'void last needs no card');
  });

  it('void by number with a different card presented fails', async () => {
    await rawCommand(sim.port, tx({ type: 'purchase', amount: amountWire(1000) }));
    sim.presentCard('mastercard');
    const x = await rawCommand(sim.port, tx({ type: 'void', number: '1' }));
    assert.equal(status(x), 'failed');
    assert.match(errorTexts(x.response)[0], /does not match/);
  });

  it('manual entry needs the admin password and a valid PAN; an expired card is declined', async () => {
    const base = { type: 'purchase', amount: amountWire(100), pan: '5555555555554444', expired: '3012' };
    assert.equal(status(await rawCommand(sim.port, tx({ ...base, password: '00000000' }))), 'notauthorized');
    const ok = await rawCommand(sim.port, tx({ ...base, password: '12345678', cardholder: 'JOHN SMITH' }));
    assert.equal(status(ok), 'ok');
    assert.equal(childText(receiptOf(ok), 'pan'), '************4444');
    assert.ok(!displayCodes(ok).includes('15'));
    const luhn = await rawCommand(sim.port, tx({ ...base, pan: '5555555555554445', password: '12345678' }));
    assert.equal(status(luhn), 'invalidarguments');
    const expired = await rawCommand(sim.port, tx({ ...base, expired: '2001', password: '12345678' }));
    assert.equal(childText(receiptOf(expired), 'resp-code'), '054');
  });

  it('a second transaction while one runs gets failed (busy); other commands are served; nothing is lost', async () => {
    sim.setAutoPresent(false);
    const waiting = sim.waitForEvent((e) => e.type === 'waiting-for-card');
    const first = rawCommand(sim.port, tx({ type: 'purchase', amount: amountWire(100) }));
    await waiting;
    const second = await rawCommand(sim.port, tx({ type: 'purchase', amount: amountWire(200) }));
    assert.equal(status(second), 'failed');
    assert.match(errorTexts(second.response)[0], /busy/);
    const report = await rawCommand(sim.port, packet('report', { password: '12345678', 'report-type': 'brief' }));
    assert.equal(status(report), 'ok');
    sim.presentCard();
    assert.equal(status(await first), 'ok');
    assert.equal(sim.log().length, 1);
  });

  it('times out when no card comes', async () => {
    await sim.close();
    sim = await startTestSimulator({ autoPresent: false, timing: { cardTimeoutMs: 30 } });
    const x = await rawCommand(sim.port, tx({ type: 'purchase', amount: amountWire(100) }));
    assert.equal(status(x), 'timeout');
  });

  it('queued outcomes win over magic amounts and cards', async () => {
    sim.queueOutcome({ declineReason: 'systemerror' });
    sim.setNextCard('visa-declined');
    const x = await rawCommand(sim.port, tx({ type: 'purchase', amount: amountWire(77705) }));
    assert.equal(childText(receiptOf(x), 'decline-reason'), 'systemerror');
    assert.equal(childText(receiptOf(x), 'resp-code'), '096');
  });
});

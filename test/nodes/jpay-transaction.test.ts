import assert from 'node:assert/strict';
import type { NodeMessage, NodeStatus } from 'node-red';
import type { OutcomeUnknownPayload } from '../../lib/results/outcome-unknown';
import type { ProgressPayload } from '../../nodes/jpay-transaction/progress';
import type { TransactionPayload } from '../../lib/results/transaction';
import { TEST_CARDS } from '../../lib/simulator';
import { activeResources, assertNoSecrets, errorOf, helper, loadNode, nodeTestbed, PASSWORD, settledResources, statuses, type Loaded } from './fixtures';

const TX = { type: 'jpay-transaction', txType: 'purchase', amount: '15000', currency: '', sbp: 'auto' };

function result(msg: NodeMessage): TransactionPayload {
  return msg.payload as TransactionPayload;
}

function progressOf(msg: NodeMessage): ProgressPayload {
  return msg.payload as ProgressPayload;
}

async function nextProgress(flow: Loaded, match: (p: ProgressPayload) => boolean): Promise<ProgressPayload> {
  for (;;) {
    const p = progressOf(await flow.progress.next());
    if (match(p)) return p;
  }
}

describe('nodes/jpay-transaction (built, real runtime, simulator over TCP)', function () {
  this.timeout(15000);
  const bed = nodeTestbed();

  it('runs a purchase with the editor defaults: result, progress and status', async () => {
    const sim = await bed.start({ terminal: { password: PASSWORD, language: 'ruen' } });
    const flow = await loadNode(sim, TX);
    flow.send({ payload: 1712345678901, topic: 'order-1' });
    const msg = await flow.out.next();
    const r = result(msg);
    assert.equal(r.status, 'ok');
    assert.equal(r.approved, true);
    assert.equal(r.receipt?.amountAuthorized, 15000);
    assert.equal(r.receipt?.tstatus, 'approved');
    assert.deepEqual(r.request, { type: 'purchase', amount: 15000 });
    assert.equal(msg.topic, 'order-1', 'the input msg goes on');

    const kinds = flow.progress.msgs.map((m) => m.topic);
    assert.ok(kinds.includes('display') && kinds.includes('keepalive'), kinds.join());
    const texts = flow.progress.msgs.map(progressOf).flatMap((p) => (p.event === 'display' ? [p.text] : []));
    assert.ok(texts.includes('Приложите карту'), `terminal language (ruen): ${texts.join(' | ')}`);
    assert.equal(flow.progress.msgs[0].topic !== undefined, true);

    const shown = statuses(helper.getNode('dut'));
    assert.ok(shown.some((s: NodeStatus) => s.fill === 'yellow' && s.text === 'Приложите карту'), 'display text while running');
    assert.deepEqual(shown.at(-1), { fill: 'green', shape: 'dot', text: 'jpay-transaction.status.approved' });
    assertNoSecrets(flow.all, [PASSWORD]);
  });

  it('runs refund, void last and purchase with cashback; msg fields override the defaults', async () => {
    const sim = await bed.start({ terminal: { password: PASSWORD } });
    const flow = await loadNode(sim, TX);
    flow.send({ payload: { amount: 2500 } });
    const purchase = result(await flow.out.next());
    assert.equal(purchase.approved, true);
    assert.equal(purchase.receipt?.amountAuthorized, 2500);

    flow.send({ payload: { type: 'refund', amount: 1000, rrn: purchase.receipt?.rrn } });
    const refund = result(await flow.out.next());
    assert.equal(refund.approved, true, JSON.stringify(refund));
    assert.equal(refund.receipt?.type, 'refund');

    flow.send({ payload: { type: 'void', number: 'last' } });
    const voided = result(await flow.out.next());
    assert.equal(voided.status, 'ok', JSON.stringify(voided));
    assert.deepEqual(voided.request, { type: 'void', number: 'last' }, 'no default amount leaks into a void');

    flow.send({ payload: { type: 'purchase-with-cashback', amount: 3000, amountOther: 1000 } });
    const cashback = result(await flow.out.next());
    assert.equal(cashback.approved, true);
    assert.equal(cashback.receipt?.amountOther, 1000);
    assert.equal(flow.caught.msgs.length, 0);
  });

  it('gives a declined card on output 1 with approved false', async () => {
    const sim = await bed.start();
    const flow = await loadNode(sim, TX);
    flow.send({ payload: { amount: 77741 } });
    const r = result(await flow.out.next());
    assert.equal(r.status, 'ok');
    assert.equal(r.approved, false);
    assert.equal(r.receipt?.tstatus, 'declined');
    assert.equal(statuses(helper.getNode('dut')).at(-1)?.fill, 'red');
  });

  it('refuses a float amount before anything is sent; the Catch node gets JPAY_VALIDATION', async () => {
    const sim = await bed.start();
    const flow = await loadNode(sim, TX);
    flow.send({ payload: { amount: 150.5 } });
    flow.send({ payload: { amount: '150' } });
    const first = errorOf(await flow.caught.next());
    const second = errorOf(await flow.caught.next());
    assert.equal(first.code, 'JPAY_VALIDATION');
    assert.match(first.message, /msg\.payload\.amount: must be an integer/);
    assert.match(second.message, /msg\.payload\.amount/);
    assert.equal(first.source.id, 'dut');
    assert.equal(flow.out.msgs.length, 0);
    assert.equal(sim.events().filter((e) => e.type === 'command').length, 0, 'nothing reached the terminal');
  });

  it('cancels a running transaction with msg.cancel', async () => {
    const sim = await bed.start({ autoPresent: false, timing: { keepaliveIntervalMs: 20, cardTimeoutMs: 10000 } });
    const flow = await loadNode(sim, TX);
    flow.send({ payload: { amount: 1000 } });
    await nextProgress(flow, (p) => p.event === 'keepalive');
    flow.send({ payload: { amount: 1000 } });
    const busy = errorOf(await flow.caught.next());
    assert.equal(busy.code, 'JPAY_BUSY');
    flow.send({ cancel: true });
    const r = result(await flow.out.next());
    assert.equal(r.status, 'cancelled');
    assert.equal(r.approved, false);
    assert.equal(statuses(helper.getNode('dut')).at(-1)?.text, 'jpay-transaction.status.cancelled');
  });

  it('reports an unknown outcome as a distinct error carrying what is known', async () => {
    const sim = await bed.start();
    const flow = await loadNode(sim, TX);
    flow.send({ payload: { amount: 77781 } }); // drop-after-record: charged, no response
    const caught = await flow.caught.next();
    assert.equal(errorOf(caught).code, 'JPAY_OUTCOME_UNKNOWN');
    const known = caught.payload as OutcomeUnknownPayload;
    assert.equal(known.status, 'unknown');
    assert.equal(known.outcomeUnknown, true);
    assert.equal(known.approved, false);
    assert.equal(known.transaction.type, 'purchase');
    assert.equal(known.transaction.amount, 77781);
    assert.equal(flow.out.msgs.length, 0);
    assert.deepEqual(statuses(helper.getNode('dut')).at(-1), { fill: 'red', shape: 'ring', text: 'jpay-transaction.status.outcomeUnknown' });
    assert.equal(sim.log().length, 1, 'sent once, never again');
  });

  it('shows the SBP QR code as a ready image, then hides it', async () => {
    const sim = await bed.start({ sbp: { enabled: true, payDelayMs: 50 } });
    const flow = await loadNode(sim, { ...TX, sbp: 'only' });
    flow.send({ payload: { amount: 4200 } });
    const r = result(await flow.out.next());
    assert.equal(r.approved, true, JSON.stringify(r));
    assert.equal(r.receipt?.iface, 'sbp');
    const qr = flow.progress.msgs.map(progressOf).filter((p) => p.event === 'qrcode');
    const shown = qr.find((p) => p.event === 'qrcode' && p.show);
    assert.ok(shown && shown.event === 'qrcode' && shown.show);
    assert.match(shown.url, /^https:\/\/qr\.nspk\.ru\//);
    assert.match(shown.image ?? '', /^data:image\/svg\+xml;base64,/);
    assert.match(Buffer.from((shown.image ?? '').split(',')[1], 'base64').toString('utf8'), /^<svg /);
    assert.ok(qr.some((p) => p.event === 'qrcode' && !p.show), 'hidden at the end');
  });

  it('keeps the full PAN out of msg unless the node opts in (encrypted terminal)', async () => {
    const sim = await bed.start({ terminal: { password: PASSWORD } });
    const pan = TEST_CARDS.find((c) => c.id === 'visa')?.pan ?? '';
    assert.match(pan, /^\d{16}$/);
    let flow = await loadNode(sim, TX, { encrypt: true });
    flow.send({ payload: { amount: 700 } });
    const plain = result(await flow.out.next());
    assert.equal(plain.approved, true);
    assert.equal(plain.plainTextPan, undefined);
    assertNoSecrets(flow.all, [pan, PASSWORD]);
    await helper.unload();

    flow = await loadNode(sim, { ...TX, includePan: true }, { encrypt: true });
    flow.send({ payload: { amount: 700 } });
    assert.equal(result(await flow.out.next()).plainTextPan, pan);
  });

  it('fails with JPAY_CONNECTION when the terminal is unreachable, and shows it', async () => {
    const sim = await bed.start();
    const port = sim.port;
    await sim.close();
    const flow = await loadNode(sim, TX, { port, connectTimeout: 500 });
    flow.send({ payload: { amount: 100 } });
    const err = errorOf(await flow.caught.next());
    assert.equal(err.code, 'JPAY_CONNECTION');
    assert.deepEqual(statuses(helper.getNode('dut')).at(-1), { fill: 'red', shape: 'ring', text: 'jpay-transaction.status.error' });
  });

  it('closes cleanly on redeploy while a transaction waits for a card', async () => {
    const sim = await bed.start({ autoPresent: false, timing: { keepaliveIntervalMs: 20, cardTimeoutMs: 10000 } });
    const before = activeResources();
    const flow = await loadNode(sim, TX);
    flow.send({ payload: { amount: 1000 } });
    await nextProgress(flow, (p) => p.event === 'keepalive');
    const ended = sim.waitForEvent((e) => e.type === 'command' && e.command === 'transaction', 5000);
    await helper.unload();
    // The node cancelled its transaction before the client closed: the terminal ended it cleanly.
    const event = await ended;
    assert.ok(event.type === 'command' && event.status === 'cancelled', JSON.stringify(event));
    const after = await settledResources(before);
    assert.ok((after.TCPSocketWrap ?? 0) <= (before.TCPSocketWrap ?? 0), `sockets ${JSON.stringify(before)} → ${JSON.stringify(after)}`);
    assert.ok((after.Timeout ?? 0) <= (before.Timeout ?? 0) + 1, `timers ${JSON.stringify(before)} → ${JSON.stringify(after)}`);
  });

  it('fails every input without a terminal', async () => {
    const sim = await bed.start();
    const flow = await loadNode(sim, { ...TX, terminal: 'missing' });
    flow.send({ payload: { amount: 100 } });
    assert.equal(errorOf(await flow.caught.next()).code, 'JPAY_NO_TERMINAL');
  });
});

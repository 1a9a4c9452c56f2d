/** Answers and the live state carry no secret and no full PAN; the state's totals and day; the publisher's rate. */
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { makeAnswer } from '../../../lib/gateway/answer';
import { StatePublisher, homeAssistantConfigs } from '../../../lib/gateway/state-publisher';
import { TerminalStateModel } from '../../../lib/gateway/terminal-state';
import { gatewayTopics } from '../../../lib/gateway/topics';
import type { GatewayTransport, OutboundMessage } from '../../../lib/gateway/transport';
import type { CommandEndEvent } from '../../../lib/client';
import type { Receipt } from '../../../lib/protocol/types';

const FULL_PAN = '4000000000000002';

const receipt = (extra: Partial<Receipt> = {}): Receipt => ({ header: [], footer: [], approved: true, type: 'purchase', amountAuthorized: 15000, currency: '643', pan: FULL_PAN, ...extra });
const end = (r: Receipt, extra: Partial<CommandEndEvent> = {}): CommandEndEvent => ({ command: 'transaction', host: 'h', port: 1, ok: true, status: 'ok', approved: r.approved, receipt: r, durationMs: 1, ...extra });

class FakeTransport extends EventEmitter implements GatewayTransport {
  readonly sent: OutboundMessage[] = [];
  connected = true;
  subscribe(): void {}
  unsubscribe(): void {}
  publish(message: OutboundMessage): Promise<void> {
    this.sent.push(message);
    this.emit('sent');
    return Promise.resolve();
  }
  onConnection(listener: (up: boolean) => void): () => void {
    this.on('connection', listener);
    return () => this.off('connection', listener);
  }
}

describe('gateway answers and state', () => {
  it('an answer is scrubbed: full PANs masked in any text, secret keys dropped', () => {
    const a = makeAnswer({ id: 'x', terminalId: 'T1' }, 'ok', {
      result: { receipt: { pan: FULL_PAN, footer: [`CARD ${FULL_PAN}`] }, password: '12345678', token: 'abcdefgh12' },
      error: { code: 'internal', message: `card ${FULL_PAN} failed` },
    });
    const text = JSON.stringify(a);
    assert.ok(!text.includes(FULL_PAN), text);
    assert.ok(!text.includes('12345678') && !text.includes('abcdefgh12'), text);
    assert.match(text, /400000\*{6}0002/);
  });

  it('the state shows the last receipt with its PAN masked, display text scrubbed, and today\'s totals by sign', () => {
    let now = new Date(2025, 0, 31, 10, 0, 0);
    const model = new TerminalStateModel({ terminalId: 'T1', language: 'en', now: () => now });
    model.commandStarted({ command: 'transaction' });
    model.displayed({ code: '15', text: `PAN ${FULL_PAN}` });
    let s = model.snapshot();
    assert.deepEqual([s.state, s.command], ['busy', 'transaction']);
    assert.equal(s.display?.text, 'PAN 400000******0002');
    model.commandEnded(end(receipt()));
    model.commandEnded(end(receipt({ type: 'refund', amountAuthorized: 5000 })));
    model.commandEnded(end(receipt({ approved: false, amountAuthorized: 999 }), { approved: false }));
    model.commandEnded(end(receipt({ type: 'purchasereversal', amountAuthorized: 1000, currency: '840' })));
    s = model.snapshot();
    assert.equal(s.state, 'online');
    assert.equal(s.display, undefined);
    assert.equal(s.lastReceipt?.pan, '400000******0002');
    assert.deepEqual(s.today, { date: '2025-01-31', approved: 3, declined: 1, net: { '643': 10000, '840': -1000 } });
    assert.ok(!JSON.stringify(s).includes(FULL_PAN));
    // Midnight: the day's totals start again.
    now = new Date(2025, 1, 1, 0, 0, 1);
    assert.deepEqual(model.snapshot().today, { date: '2025-02-01', approved: 0, declined: 0, net: {} });
  });

  it('an unknown outcome counts in neither total; a connection error marks the link unreachable', () => {
    const model = new TerminalStateModel({ terminalId: 'T1' });
    model.commandEnded({ command: 'transaction', host: 'h', port: 1, ok: false, outcomeUnknown: true, error: 'TransactionOutcomeUnknown: lost', durationMs: 1 });
    model.commandEnded({ command: 'report', host: 'h', port: 1, ok: false, error: 'JpayConnectionError: refused', durationMs: 1 });
    const s = model.snapshot();
    assert.deepEqual([s.today.approved, s.today.declined, s.link, s.lastError?.command], [0, 0, 'unreachable', 'report']);
  });

  it('publishes at most once per interval: the first change at once, the last change after the interval, retained', async () => {
    const transport = new FakeTransport();
    const model = new TerminalStateModel({ terminalId: 'T1' });
    const publisher = new StatePublisher(transport, gatewayTopics('jpay', 'T1'), model, { intervalMs: 40, warn: () => undefined });
    publisher.start();
    assert.equal(transport.sent.length, 1, 'the state on start');
    // 50 changes in one tick, within the interval of the start: one publish when it ends.
    const trailing = new Promise((resolve) => transport.once('sent', resolve));
    for (let i = 0; i < 50; i++) model.displayed({ code: '15', text: `step ${i}` });
    assert.equal(transport.sent.length, 1, 'nothing more before the interval ends');
    await trailing;
    const states = transport.sent.map((m) => JSON.parse(m.payload) as { display?: { text: string } });
    assert.equal(transport.sent.length, 2);
    assert.equal(states.at(-1)?.display?.text, 'step 49', 'the last change went out');
    assert.ok(transport.sent.every((m) => m.topic === 'jpay/T1/state' && m.retain && m.qos === 1));
    await publisher.stop(100);
    assert.equal(JSON.parse(transport.sent.at(-1)!.payload).state, 'offline');
  });

  it('Home Assistant discovery: one device, sensors reading the state topic', () => {
    const configs = homeAssistantConfigs(gatewayTopics('fleet', 'kiosk 7'), { prefix: 'ha' });
    assert.equal(configs.length, 5);
    for (const { topic, config } of configs) {
      assert.match(topic, /^ha\/sensor\/jpay_kiosk_7\/[a-z_]+\/config$/);
      assert.equal(config.state_topic, 'fleet/kiosk 7/state');
      assert.deepEqual((config.device as { identifiers: string[] }).identifiers, ['jpay_kiosk_7']);
    }
  });
});

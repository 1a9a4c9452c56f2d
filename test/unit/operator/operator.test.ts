/**
 * lib/operator: the board the editor sidebar shows (terminals, last receipts, outcomes
 * waiting for a person) and the purchase confirmations behind its test purchase.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { once } from 'node:events';
import { JpayClient } from '../../../lib/client';
import { TransactionOutcomeUnknown } from '../../../lib/errors';
import { MAX_TEST_PURCHASE, OperatorActionError, parseTestAmount, PurchaseConfirmations, CONFIRMATION_MS, testPurchase } from '../../../lib/operator/actions';
import { TerminalBoard, type BoardOutbox, type BoardTerminal } from '../../../lib/operator/terminal-board';
import { TransactionRecovery } from '../../../lib/recovery';
import type { SimulatorHandle } from '../../../lib/simulator';
import { startTestSimulator } from '../../helpers/sim-fixtures';

const PASSWORD = '12345678';

describe('operator/PurchaseConfirmations and parseTestAmount', () => {
  it('gives the confirmed amount once, for its terminal only, within a minute', () => {
    let now = 1_000;
    const confirmations = new PurchaseConfirmations({ now: () => now });
    const { token } = confirmations.issue('t1', 150);
    assert.throws(() => confirmations.take('t2', token), (e: unknown) => e instanceof OperatorActionError && e.kind === 'conflict');
    assert.equal(confirmations.take('t1', token), 150);
    assert.throws(() => confirmations.take('t1', token), /confirmation: unknown, used or expired/, 'used');

    const late = confirmations.issue('t1', 200).token;
    now += CONFIRMATION_MS;
    assert.throws(() => confirmations.take('t1', late), /expired/);
    for (const bad of [undefined, '', 42, { token }]) assert.throws(() => confirmations.take('t1', bad), OperatorActionError);
  });

  it('keeps at most `max` confirmations: the oldest goes', () => {
    const confirmations = new PurchaseConfirmations({ max: 2 });
    const first = confirmations.issue('t', 1).token;
    const second = confirmations.issue('t', 2).token;
    const third = confirmations.issue('t', 3).token;
    assert.throws(() => confirmations.take('t', first), OperatorActionError);
    assert.equal(confirmations.take('t', second), 2);
    assert.equal(confirmations.take('t', third), 3);
  });

  it('parseTestAmount: whole minor units from 1 to the cap, as a number or digits; anything else names the field', () => {
    assert.equal(parseTestAmount(150), 150);
    assert.equal(parseTestAmount('150'), 150);
    assert.equal(parseTestAmount(MAX_TEST_PURCHASE), MAX_TEST_PURCHASE);
    for (const bad of [0, -1, 1.5, '1.50', '', ' ', MAX_TEST_PURCHASE + 1, Number.NaN, null, undefined, '1e3', [150]]) {
      assert.throws(() => parseTestAmount(bad), (e: unknown) => e instanceof OperatorActionError && e.kind === 'bad-request' && /^amount:/.test(e.message), String(bad));
    }
  });
});

describe('operator/TerminalBoard: receipt outboxes', () => {
  it('follows each outbox from sync to sync, and stops following the ones gone', () => {
    const board = new TerminalBoard();
    const listeners = new Map<string, (s: { state: string; queued: number }) => void>();
    const outbox = (id: string): BoardOutbox => ({
      id,
      label: `broker ${id}`,
      watch(onChange) {
        listeners.set(id, onChange);
        onChange({ state: 'connecting', queued: 0 });
        return () => listeners.delete(id);
      },
    });
    let changes = 0;
    board.on('change', () => changes++);
    const a = outbox('a');
    board.syncOutboxes([a, outbox('b')]);
    assert.deepEqual(board.outboxes(), [
      { id: 'a', label: 'broker a', state: 'connecting', queued: 0 },
      { id: 'b', label: 'broker b', state: 'connecting', queued: 0 },
    ]);
    listeners.get('a')?.({ state: 'offline', queued: 3 });
    assert.deepEqual(board.outboxes()[0], { id: 'a', label: 'broker a', state: 'offline', queued: 3 });
    const before = changes;
    listeners.get('a')?.({ state: 'offline', queued: 3 });
    assert.equal(changes, before, 'no change, no event');
    board.syncOutboxes([a]);
    assert.deepEqual([...listeners.keys()], ['a']);
    board.close();
    assert.equal(listeners.size, 0);
  });
});

describe('operator/TerminalBoard (simulator over TCP, a real journal)', function () {
  this.timeout(20_000);
  let sim: SimulatorHandle;
  let dir: string;
  const closers: (() => Promise<unknown> | void)[] = [];

  beforeEach(async () => {
    sim = await startTestSimulator({ terminal: { password: PASSWORD } });
    dir = await mkdtemp(path.join(os.tmpdir(), 'jpay-board-'));
  });

  afterEach(async () => {
    for (const close of closers.splice(0).reverse()) await close();
    await sim.close();
    await rm(dir, { recursive: true, force: true });
  });

  function terminal(id: string, extra: Partial<BoardTerminal> = {}): BoardTerminal {
    const client = new JpayClient({ host: '127.0.0.1', port: sim.port, password: PASSWORD, ...(extra.recovery ? extra.recovery.clientOptions : {}) });
    closers.push(() => client.close());
    return { id, label: `Terminal ${id}`, host: '127.0.0.1', port: sim.port, client, language: 'en', ...extra };
  }

  function board(options: ConstructorParameters<typeof TerminalBoard>[0] = {}): TerminalBoard {
    const b = new TerminalBoard(options);
    closers.push(() => b.close());
    return b;
  }

  it('keeps the last receipts, newest first, PAN masked; counts today', async () => {
    const b = board({ receipts: 2 });
    const t = terminal('a');
    b.sync([t]);
    for (const amount of [100, 200, 300]) await t.client.transaction({ type: 'purchase', amount });
    const [entry] = b.entries();
    assert.deepEqual(
      entry.receipts.map((r) => r.amount),
      [300, 200],
    );
    assert.ok(entry.receipts.every((r) => r.pan !== undefined && !/\d{13,}/.test(r.pan)), JSON.stringify(entry.receipts));
    assert.equal(entry.state.today.approved, 3);
    assert.equal(entry.state.state, 'online');
    assert.equal(entry.address, `127.0.0.1:${sim.port}`);
  });

  it('sync(): a terminal gone from the list is dropped and no longer followed', async () => {
    const b = board();
    const t = terminal('a');
    b.sync([t, terminal('b')]);
    assert.deepEqual(
      b.entries().map((e) => e.id),
      ['a', 'b'],
    );
    b.sync([terminal('b')]);
    assert.deepEqual(
      b.entries().map((e) => e.id),
      ['b'],
    );
    let changes = 0;
    b.on('change', () => changes++);
    await t.client.transaction({ type: 'purchase', amount: 100 });
    assert.equal(changes, 0);
    assert.equal(b.terminal('a'), undefined);
  });

  it('lists the transactions whose outcome waits (recovery journal), with their amount and no card data', async () => {
    const recovery = await TransactionRecovery.open(path.join(dir, 'journal.jsonl'), { settleMs: 0, autoRecover: false });
    closers.push(() => recovery.close());
    const t = terminal('a', { recovery });
    // A sale of an earlier run whose answer was lost.
    const id = await recovery.journal.begin({ request: { type: 'purchase', amount: 4200 }, host: '127.0.0.1', port: sim.port, encrypted: false, annotations: {} });
    await recovery.journal.unknown(id, new TransactionOutcomeUnknown('awaiting-response', { type: 'purchase', amount: 4200, host: '127.0.0.1', port: sim.port, sentAt: new Date().toISOString() }));
    const b = board();
    const changed = once(b, 'change');
    b.sync([t]);
    await changed;
    await until(() => b.entries()[0].waiting.length === 1);
    const [entry] = b.entries();
    assert.equal(entry.recovery, true);
    assert.equal(entry.state.backlog.recovery, 1);
    assert.equal(entry.waiting[0].kind, 'unresolved');
    assert.equal(entry.waiting[0].type, 'purchase');
    assert.equal(entry.waiting[0].amount, 4200);
    assert.equal(entry.waiting[0].reason, 'awaiting-response');
    assert.deepEqual(Object.keys(entry.waiting[0]).sort(), ['amount', 'begunAt', 'id', 'kind', 'reason', 'type']);
  });

  it('testPurchase through the recovery journal: approved, the receipt summarized, nothing left waiting', async () => {
    const recovery = await TransactionRecovery.open(path.join(dir, 'journal.jsonl'), { settleMs: 0 });
    closers.push(() => recovery.close());
    const t = terminal('a', { recovery });
    const result = await testPurchase(t, 250);
    assert.equal(result.ok, true);
    assert.ok(result.ok && result.action === 'test-purchase');
    assert.equal(result.outcome, 'approved');
    assert.equal(result.receipt?.amount, 250);
    assert.equal(await recovery.backlog(t.client), 0);
  });
});

async function until(check: () => boolean): Promise<void> {
  for (let i = 0; i < 400 && !check(); i++) await new Promise((resolve) => setImmediate(resolve));
  assert.ok(check());
}

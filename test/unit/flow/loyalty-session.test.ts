import assert from 'node:assert/strict';
import { parseLoyaltyConfig, type LoyaltyProgram } from '../../../nodes/jpay-loyalty/loyalty-config';
import { type CardContext, LoyaltyController } from '../../../nodes/jpay-loyalty/loyalty-controller';
import type { PendingOperation } from '../../../nodes/jpay-loyalty/loyalty-input';
import type { LoyaltyPayload } from '../../../nodes/jpay-loyalty/loyalty-output';
import type { LoyaltyReport } from '../../../nodes/jpay-loyalty/loyalty-session';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ShadowLedger } from '../../../lib/mifare/ledger';
import { defineLayout } from '../../../lib/mifare/loyalty';
import { type TearMode, VirtualMifareCard } from '../../../lib/mifare/virtual-card';
import type { CardRequest } from '../../../lib/protocol/types';
import { decodedOf, issuedCard, runTerminal, stateOf } from './loyalty-fixtures';

const MODES: readonly TearMode[] = ['before', 'after', 'partial'];
const CONFIG = { programId: '42', pointsPer: '1', pointsUnit: '100', redeemPoints: '50', redeemValue: '20000', storedValue: true };
const BOTH = parseLoyaltyConfig({ ...CONFIG, purses: 'both' });
const POINTS = parseLoyaltyConfig({ ...CONFIG, purses: 'points' });
const KEY = { key: '3c4d5e6f708192a3b4c5d6e7f8091a2b' };
const V2_BOTH = parseLoyaltyConfig({ ...CONFIG, purses: 'both', layoutVersion: '2' }, KEY);
const V2_POINTS = parseLoyaltyConfig({ ...CONFIG, purses: 'points', layoutVersion: '2' }, KEY);

type Report = LoyaltyReport<string>;

describe('flow/loyalty-session and LoyaltyController', () => {
  let controllers: LoyaltyController<string>[] = [];
  const cleanups: (() => Promise<void>)[] = [];

  afterEach(async () => {
    for (const c of controllers) {
      c.close();
      await c.idle();
    }
    controllers = [];
    for (const cleanup of cleanups.splice(0)) await cleanup();
  });

  function setup(program: LoyaltyProgram = BOTH, options: { pendingTimeoutMs?: number; ledger?: ShadowLedger } = {}) {
    const reports: Report[] = [];
    const expired: string[] = [];
    const effective = options.pendingTimeoutMs !== undefined ? { ...program, pendingTimeoutMs: options.pendingTimeoutMs } : program;
    const controller = new LoyaltyController<string>({
      program: effective,
      report: (r) => reports.push(r),
      expired: (a) => expired.push(a.operation.operation),
      ...(options.ledger ? { ledger: options.ledger } : {}),
    });
    controllers.push(controller);
    const tap = (card: VirtualMifareCard, amount?: number, type = 'purchase'): Promise<{ close: CardRequest; requests: CardRequest[] }> => {
      const context: CardContext = amount === undefined ? {} : { transaction: { nodeId: 'tx', msgid: 'm', request: { type, amount } } };
      return runTerminal((m) => controller.handleCard(m, context), card);
    };
    return { controller, reports, expired, tap, take: (): LoyaltyPayload[] => reports.splice(0).map((r) => r.payload) };
  }

  it('a stored-value purchase: one whole card session, closed with the approved loyalty receipt', async () => {
    const card = await issuedCard(1001, 0, 50000);
    const { tap, take } = setup();
    const { close, requests } = await tap(card, 12000);
    const [p] = take();
    assert.deepEqual([p.status, p.operation, p.debited, p.earned, p.paid], ['committed', 'pay', 12000, 120, true]);
    assert.equal(close.code, 'close');
    assert.equal((close as { receipt?: Record<string, unknown> }).receipt?.status, 'approved');
    // The header came with open (block 4): 4 reads, 4 writes, 5 verifying reads.
    assert.deepEqual(requests.map((r) => r.code).join(','), 'read,read,read,read,write,write,write,write,read,read,read,read,read,close');
  });

  for (const [name, program] of [
    ['points and balance', BOTH],
    ['points only', POINTS],
    ['layout v2 with its ledger, points and balance', V2_BOTH],
    ['layout v2 with its ledger, points only', V2_POINTS],
  ] as const) {
    it(`${name}: a tear at every write of every operation, in every mode, settles to old or new; totals are exact`, async () => {
      const layout = program.layout;
      const withBalance = layout.purses.includes('balance');
      const card = await issuedCard(31337, 10_000, withBalance ? 1_000_000 : 0, layout);
      const dir = program.ledger ? mkdtempSync(path.join(tmpdir(), 'jpay-session-')) : undefined;
      const ledger = dir ? await ShadowLedger.open({ file: path.join(dir, 'ledger.jsonl'), programId: 42, keys: layout.keys!, origin: 'test' }) : undefined;
      cleanups.push(async () => {
        await ledger?.close();
        if (dir) rmSync(dir, { recursive: true, force: true });
      });
      const { controller, tap, take } = setup(program, ledger ? { ledger } : {});
      const expected = { points: 10_000, balance: withBalance ? 1_000_000 : 0 };
      const apply = (p: LoyaltyPayload): void => {
        if (!p.committed) return;
        expected.points += p.earned - p.redeemed;
        expected.balance += p.credited - p.debited;
      };
      const writes = 2 * layout.purses.length;
      const commit = layout.purses.length - 1;
      const ops: (PendingOperation | undefined)[] = [
        undefined,
        { operation: 'earn', points: 7 },
        { operation: 'redeem', points: 30 },
        { operation: 'redeem', points: 3, complete: false },
        ...(withBalance ? ([{ operation: 'topup', amount: 2500 }, { operation: 'pay', amount: 700 }] as PendingOperation[]) : []),
      ];
      let sessions = 0;
      for (const op of ops) {
        for (let step = 0; step < writes; step++) {
          for (const mode of MODES) {
            if (op) controller.arm(op, `${op.operation}@${step}/${mode}`);
            card.tearAfterWrites(step, mode);
            const torn = await tap(card, 1500);
            sessions++;
            const [p] = take();
            const want = step < commit ? 'not-committed' : step === commit ? 'uncertain' : 'committed';
            assert.equal(p.status, want, `${op?.operation ?? 'auto'}, tear at write ${step} (${mode})`);
            assert.equal(controller.armed, undefined, 'the armed operation was used');
            const receipt = torn.close.code === 'close' && torn.close.receipt !== undefined;
            assert.equal(receipt, p.paid);
            assert.equal(p.paid, p.committed && (op === undefined ? withBalance : op.operation !== 'earn' && !(op.operation === 'redeem' && op.complete === false)));
            apply(p);

            card.returnToField();
            await tap(card, 100, 'refund'); // read only: settles and repairs
            sessions++;
            const next = take();
            if (p.status === 'uncertain') {
              assert.equal(next.length, 2);
              assert.equal(next[0].status, 'settled');
              assert.equal(next[0].settled, mode === 'after' ? 'committed' : 'not-committed');
              if (op) assert.equal(controller.armed, undefined);
              apply(next[0]);
            }
            const inquiry = next.at(-1) as LoyaltyPayload;
            assert.deepEqual([inquiry.operation, inquiry.status], ['inquiry', 'committed']);
            assert.equal(decodedOf(card, layout).needsRepair, false, 'the read-only tap repaired the card');
            const s = stateOf(card, layout);
            assert.deepEqual({ points: s.points, balance: s.balance ?? 0 }, expected, `${op?.operation ?? 'auto'} @${step}/${mode}`);
          }
        }
      }
      // Healthy at the end: both copies identical, nothing left to settle.
      await tap(card);
      const [last] = take();
      assert.equal(last.repaired, false);
      assert.deepEqual(controller.uncertainCards, []);
      assert.ok(sessions >= ops.length * writes * 3 * 2);
      if (ledger) {
        const s = stateOf(card, layout);
        assert.deepEqual([ledger.get('C0FFEE42')?.counter, ledger.get('C0FFEE42')?.points], [s.counter, s.points], 'the ledger knows the last committed state');
      }
    });
  }

  it('issuance torn at every write: never a half card; a retry or the next tap settles it', async () => {
    for (let step = 0; step < 5; step++) {
      for (const mode of MODES) {
        const card = new VirtualMifareCard({ uid: '0A0B0C0D' });
        const { controller, tap, take } = setup();
        controller.arm({ operation: 'issue', memberId: 77, balance: 5000 }, 'issue');
        card.tearAfterWrites(step, mode);
        await tap(card, 5000);
        const [p] = take();
        const want = step < 2 ? 'not-committed' : step === 2 ? 'uncertain' : 'committed';
        assert.equal(p.status, want, `issue torn at ${step} (${mode})`);
        card.returnToField();
        await tap(card, 100, 'refund');
        const next = take();
        const issued = step > 2 || (step === 2 && mode === 'after');
        if (issued) {
          assert.equal(next.at(-1)?.status, 'committed');
          assert.deepEqual([stateOf(card).memberId, stateOf(card).balance], [77, 5000]);
          if (step === 2) assert.deepEqual([next[0].status, next[0].settled], ['settled', 'committed']);
        } else {
          // Blank or issuance-interrupted: refused without writing; issuing again completes it.
          const image = card.toImage();
          assert.equal(next.at(-1)?.status, 'rejected-card');
          assert.deepEqual(card.toImage(), image);
          controller.arm({ operation: 'issue', memberId: 77, balance: 5000 }, 'again');
          await tap(card, 5000);
          const retry = take();
          assert.equal(retry.at(-1)?.status, 'committed');
          assert.equal(retry.some((r) => r.status === 'settled'), false, 'the new issuance supersedes the uncertain one');
          assert.deepEqual(controller.uncertainCards, []);
        }
      }
    }
  });

  it('an armed operation stays armed for a refused card, is used by a card of the program, and expires', async () => {
    const { controller, tap, reports, expired } = setup(BOTH, { pendingTimeoutMs: 40 });
    controller.arm({ operation: 'topup', amount: 1000 }, 'msg-1');
    const foreign = await issuedCard(1, 0, 0, defineLayout({ programId: 43, purses: ['points', 'balance'] }));
    await tap(foreign, 1000);
    assert.equal(reports.at(-1)?.payload.error?.code, 'foreign-program');
    assert.equal(reports.at(-1)?.origin, 'msg-1');
    assert.equal(controller.armed?.origin, 'msg-1', 'still armed');

    const card = await issuedCard(2, 0, 0);
    await tap(card, 1000);
    assert.deepEqual([reports.at(-1)?.payload.operation, reports.at(-1)?.payload.credited, reports.at(-1)?.origin], ['topup', 1000, 'msg-1']);
    assert.equal(controller.armed, undefined);

    assert.equal(controller.arm({ operation: 'inquiry' }, 'a'), undefined);
    assert.equal(controller.arm({ operation: 'earn', points: 1 }, 'b')?.origin, 'a', 'replacing returns the previous one');
    await new Promise((r) => setTimeout(r, 80));
    assert.deepEqual(expired, ['earn']);
    assert.equal(controller.armed, undefined);
    controller.arm({ operation: 'inquiry' }, 'c');
    assert.equal(controller.cancel()?.origin, 'c');
    assert.equal(controller.cancel(), undefined);
  });

  it('a refused operation writes nothing, yet still repairs a card a tear left behind', async () => {
    const card = await issuedCard(5, 10, 100);
    const { controller, tap, take } = setup();
    card.tearAfterWrites(2, 'before'); // committed, backup copy missing
    await tap(card, 100);
    assert.equal(take()[0].status, 'committed');
    card.returnToField();
    const before = stateOf(card);
    controller.arm({ operation: 'pay', amount: 1_000_000 }, 'too-much');
    await tap(card, 1_000_000);
    const [p] = take();
    assert.deepEqual([p.status, p.error?.code, p.repaired], ['refused', 'overdraft', true]);
    assert.deepEqual(stateOf(card), before);
    await tap(card);
    assert.equal(take()[0].repaired, false, 'both copies agree now');
  });

  it('the card leaving before it could be read: unreadable, nothing written, the armed operation kept', async () => {
    const card = await issuedCard(5, 10, 100);
    const { controller, take } = setup();
    controller.arm({ operation: 'topup', amount: 5 }, 'x');
    const image = card.toImage();
    const handler = (m: Parameters<typeof controller.handleCard>[0]): Promise<CardRequest> => {
      card.remove();
      return controller.handleCard(m);
    };
    const run = await runTerminal(handler, card);
    assert.deepEqual(run.close, { code: 'close' });
    const [p] = take();
    assert.deepEqual([p.status, p.card, p.error?.code], ['unreadable', 'unread', 'card-unreadable']);
    assert.deepEqual(card.toImage(), image);
    assert.equal(controller.armed?.origin, 'x');
  });

  it('a closed controller answers close at once', async () => {
    const { controller } = setup();
    controller.close();
    assert.deepEqual(await controller.handleCard({ code: 'open', blockId: 4 }), { code: 'close' });
  });
});

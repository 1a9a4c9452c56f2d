import assert from 'node:assert/strict';
import { type TearMode, VirtualMifareCard } from '../../../lib/mifare/virtual-card';
import {
  LoyaltyKeyring,
  type DecodedCard,
  type IssueRequest,
  type LoyaltyLayout,
  type LoyaltyOperation,
  type LoyaltyState,
  type LoyaltyWrite,
  defineLayout,
  planIssue,
  planOperation,
  planRepair,
} from '../../../lib/mifare/loyalty';
import { readCard as read } from './card-fixtures';

const MODES: readonly TearMode[] = ['before', 'after', 'partial'];

const KEYS = new LoyaltyKeyring({ id: 3, key: '00112233445566778899aabbccddeeff' });

const LAYOUTS: Record<string, LoyaltyLayout> = {
  'points, 1K sector 1': defineLayout({ programId: 7, purses: ['points'] }),
  'balance, 1K sector 5': defineLayout({ programId: 7, purses: ['balance'], sector: 5 }),
  'points + balance, 1K sectors 1-2': defineLayout({ programId: 7, purses: ['points', 'balance'] }),
  'points + balance, 4K sector 33': defineLayout({ programId: 7, purses: ['points', 'balance'], cardKind: '4k', sector: 33 }),
  'v2 points, 1K sector 1': defineLayout({ programId: 7, purses: ['points'], keys: KEYS }),
  'v2 balance, 1K sector 5': defineLayout({ programId: 7, purses: ['balance'], sector: 5, keys: KEYS }),
  'v2 points + balance, 1K sectors 1-2': defineLayout({ programId: 7, purses: ['points', 'balance'], keys: KEYS }),
  'v2 points + balance, 4K sector 33': defineLayout({ programId: 7, purses: ['points', 'balance'], cardKind: '4k', sector: 33, keys: KEYS }),
};

/** Operation kinds; those touching a purse the layout lacks are skipped. */
const OPERATIONS: Record<string, LoyaltyOperation> = {
  earn: { earnPoints: 25 },
  redeem: { redeemPoints: 40 },
  debit: { debit: 150 },
  credit: { credit: 1000 },
  'debit + earn': { debit: 120, earnPoints: 12 },
  'redeem + credit': { redeemPoints: 10, credit: 500 },
  'earn, value unchanged': { earnPoints: 5, redeemPoints: 5 },
};

function fits(layout: LoyaltyLayout, op: LoyaltyOperation): boolean {
  const points = op.earnPoints !== undefined || op.redeemPoints !== undefined;
  const balance = op.debit !== undefined || op.credit !== undefined;
  return (!points || layout.purses.includes('points')) && (!balance || layout.purses.includes('balance'));
}

/** Performs writes in order, stopping at the first failure, as the driver does. */
function apply(card: VirtualMifareCard, writes: readonly LoyaltyWrite[]): number {
  for (let i = 0; i < writes.length; i++) {
    if (!card.write(writes[i].block, Buffer.from(writes[i].data)).ok) return i;
  }
  return writes.length;
}

function tornCopy(image: Buffer, writes: readonly LoyaltyWrite[], k: number, mode: TearMode): VirtualMifareCard {
  const card = VirtualMifareCard.fromImage(image);
  card.tearAfterWrites(k, mode);
  const done = apply(card, writes);
  assert.equal(done, k, 'the tear happens at write k');
  assert.equal(card.inField, false);
  card.returnToField();
  return card;
}

function okState(card: DecodedCard, what: string): LoyaltyState & { needsRepair: boolean } {
  assert.equal(card.kind, 'ok', `${what}: decoded as ${card.kind}${card.kind !== 'ok' ? ` (${card.detail})` : ''}`);
  if (card.kind !== 'ok') throw new Error('unreachable');
  // A card a layout version 2 program still has to upgrade is not healthy either.
  return { ...card.state, needsRepair: card.needsRepair || card.format.needsUpgrade };
}

/** Repair or an upgrade is still to do. */
function needsWork(card: DecodedCard): boolean {
  return card.needsRepair || (card.kind === 'ok' && card.format.needsUpgrade);
}

function stripRepair(s: LoyaltyState & { needsRepair: boolean }): LoyaltyState {
  const { needsRepair: _needsRepair, ...state } = s;
  return state;
}

/** Repairs fully; checks the state is unchanged, the card healthy and a second repair a no-op. */
function repairAndCheck(card: VirtualMifareCard, layout: LoyaltyLayout, expected: LoyaltyState, what: string): void {
  const repair = planRepair(layout, read(card, layout));
  assert.equal(apply(card, repair), repair.length);
  const after = read(card, layout);
  assert.deepEqual(stripRepair(okState(after, what)), expected, `${what}: repair changed the state`);
  assert.equal(needsWork(after), false, `${what}: still needs repair`);
  assert.deepEqual(planRepair(layout, after), [], `${what}: second repair is not a no-op`);
}

/** Every tear of a repair at every step still decodes to `expected`, and a full repair converges. */
function tearRepairEverywhere(image: Buffer, layout: LoyaltyLayout, expected: LoyaltyState, what: string): Buffer[] {
  const repair = planRepair(layout, read(VirtualMifareCard.fromImage(image), layout));
  const torn: Buffer[] = [];
  for (let j = 0; j < repair.length; j++) {
    for (const mode of MODES) {
      const label = `${what}, repair torn at ${j} (${mode})`;
      const card = tornCopy(image, repair, j, mode);
      assert.deepEqual(stripRepair(okState(read(card, layout), label)), expected, label);
      torn.push(card.toImage());
      repairAndCheck(card, layout, expected, label);
    }
  }
  return torn;
}

function initial(layout: LoyaltyLayout, memberId: number, points: number, balance: number): IssueRequest {
  const request: IssueRequest = { memberId };
  if (layout.purses.includes('points')) request.points = points;
  if (layout.purses.includes('balance')) request.balance = balance;
  return request;
}

function issued(layout: LoyaltyLayout): Buffer {
  const card = new VirtualMifareCard({ kind: layout.cardKind, uid: '01020304' });
  const plan = planIssue(layout, read(card, layout), initial(layout, 4242, 100, 5000));
  assert.equal(apply(card, plan.writes), plan.writes.length);
  return card.toImage();
}

describe('mifare/loyalty tearing (exhaustive)', () => {
  for (const [name, layout] of Object.entries(LAYOUTS)) {
    describe(name, () => {
      it('issuance torn at any write leaves a blank/re-issuable card or the issued one, never anything else', () => {
        const blank = new VirtualMifareCard({ kind: layout.cardKind, uid: '01020304' }).toImage();
        const plan = planIssue(layout, read(VirtualMifareCard.fromImage(blank), layout), initial(layout, 9, 3, 70));
        let cases = 0;
        for (let k = 0; k < plan.writes.length; k++) {
          for (const mode of MODES) {
            const label = `issue torn at ${k} (${mode})`;
            const card = tornCopy(blank, plan.writes, k, mode);
            const decoded = read(card, layout);
            const committed = k > plan.commitIndex || (k === plan.commitIndex && mode === 'after');
            if (committed) {
              assert.deepEqual(stripRepair(okState(decoded, label)), plan.after, label);
              repairAndCheck(card, layout, plan.after, label);
            } else {
              assert.ok(
                decoded.kind === 'blank' || (decoded.kind === 'corrupted' && decoded.reason === 'issuance-interrupted'),
                `${label}: decoded as ${decoded.kind}`,
              );
              assert.throws(() => planRepair(layout, decoded), /card/);
              const again = planIssue(layout, decoded, initial(layout, 9, 3, 70));
              assert.equal(apply(card, again.writes), again.writes.length);
              const redone = read(card, layout);
              assert.deepEqual(stripRepair(okState(redone, label)), again.after);
              assert.equal(needsWork(redone), false);
            }
            cases++;
          }
        }
        assert.equal(cases, plan.writes.length * 3);
      });

      it('every operation torn at every write in every mode decodes to exactly the old or the new state', () => {
        // Start states: a healthy card, plus every state a torn operation or torn repair leaves.
        const healthy = issued(layout);
        const starts = new Map<string, Buffer>([[healthy.toString('hex'), healthy]]);
        for (const op of Object.values(OPERATIONS).filter((o) => fits(layout, o))) {
          const plan = planOperation(layout, read(VirtualMifareCard.fromImage(healthy), layout), op);
          for (let k = 0; k < plan.writes.length; k++) {
            for (const mode of MODES) {
              const card = tornCopy(healthy, plan.writes, k, mode);
              const state = stripRepair(okState(read(card, layout), 'start'));
              const images = [card.toImage(), ...tearRepairEverywhere(card.toImage(), layout, state, 'start')];
              for (const image of images) starts.set(image.toString('hex'), image);
            }
          }
        }
        assert.ok(starts.size > 5, `only ${starts.size} distinct start states`);

        let cases = 0;
        for (const start of starts.values()) {
          const decoded = read(VirtualMifareCard.fromImage(start), layout);
          for (const [opName, op] of Object.entries(OPERATIONS)) {
            if (!fits(layout, op)) continue;
            const plan = planOperation(layout, decoded, op);
            assert.ok(plan.before);
            const { before, after } = plan;
            assert.notDeepEqual(after, before);
            for (let k = 0; k < plan.writes.length; k++) {
              for (const mode of MODES) {
                const label = `${opName} torn at write ${k}/${plan.writes.length} (${mode})`;
                const card = tornCopy(start, plan.writes, k, mode);
                const state = stripRepair(okState(read(card, layout), label));
                // Exactly old or exactly new, and which one is fixed by the write order.
                const committed = k > plan.commitIndex || (k === plan.commitIndex && mode === 'after');
                assert.deepEqual(state, committed ? after : before, label);
                tearRepairEverywhere(card.toImage(), layout, state, label);
                repairAndCheck(card, layout, state, label);
                cases++;
              }
            }
            // Untorn: the new state, healthy, nothing to repair.
            const card = VirtualMifareCard.fromImage(start);
            assert.equal(apply(card, plan.writes), plan.writes.length);
            const done = read(card, layout);
            assert.deepEqual(stripRepair(okState(done, opName)), after);
            assert.equal(needsWork(done), false);
          }
        }
        assert.ok(cases > 100, `only ${cases} cases`);
      });

      it('a second operation on a torn, unrepaired card is as safe as on a healthy one', () => {
        const healthy = issued(layout);
        const op = Object.values(OPERATIONS).find((o) => fits(layout, o)) ?? {};
        const first = planOperation(layout, read(VirtualMifareCard.fromImage(healthy), layout), op);
        for (let k = 0; k < first.writes.length; k++) {
          for (const mode of MODES) {
            const torn = tornCopy(healthy, first.writes, k, mode).toImage();
            const second = planOperation(layout, read(VirtualMifareCard.fromImage(torn), layout), op);
            assert.ok(second.before);
            for (let j = 0; j < second.writes.length; j++) {
              for (const mode2 of MODES) {
                const card = tornCopy(torn, second.writes, j, mode2);
                const committed = j > second.commitIndex || (j === second.commitIndex && mode2 === 'after');
                const label = `first torn ${k} ${mode}, second torn ${j} ${mode2}`;
                assert.deepEqual(stripRepair(okState(read(card, layout), label)), committed ? second.after : second.before, label);
              }
            }
          }
        }
      });
    });
  }

  it('the transaction counter wraps from 255 to 0 and the newer copy still wins, torn or not', () => {
    const layout = LAYOUTS['points + balance, 1K sectors 1-2'];
    const card = VirtualMifareCard.fromImage(issued(layout));
    for (let i = 0; i < 255; i++) apply(card, planOperation(layout, read(card, layout), { earnPoints: 1 }).writes);
    const at255 = read(card, layout);
    assert.equal(okState(at255, '255').counter, 255);
    assert.equal(okState(at255, '255').points, 355);
    const plan = planOperation(layout, at255, { credit: 1 });
    assert.equal(plan.after.counter, 0);
    for (let k = 0; k < plan.writes.length; k++) {
      for (const mode of MODES) {
        const torn = tornCopy(card.toImage(), plan.writes, k, mode);
        const committed = k > plan.commitIndex || (k === plan.commitIndex && mode === 'after');
        assert.deepEqual(stripRepair(okState(read(torn, layout), `wrap ${k} ${mode}`)), committed ? plan.after : plan.before);
      }
    }
  });

  describe('v1 → v2 upgrade (every write, every mode)', () => {
    const V1: Record<string, LoyaltyLayout> = {
      points: defineLayout({ programId: 7, purses: ['points'] }),
      'points + balance': defineLayout({ programId: 7, purses: ['points', 'balance'] }),
      'points + balance, 4K sector 33': defineLayout({ programId: 7, purses: ['points', 'balance'], cardKind: '4k', sector: 33 }),
    };
    const v2Of = (v1: LoyaltyLayout): LoyaltyLayout =>
      defineLayout({ programId: 7, purses: v1.purses, cardKind: v1.cardKind, sector: v1.sectors[0], keys: KEYS, upgradeV1: true });

    /** A healthy v1 card, and every state a torn v1 operation or repair leaves. */
    function v1Starts(v1: LoyaltyLayout): Buffer[] {
      const healthy = issued(v1);
      const starts = new Map<string, Buffer>([[healthy.toString('hex'), healthy]]);
      const op = Object.values(OPERATIONS).find((o) => fits(v1, o)) ?? {};
      const plan = planOperation(v1, read(VirtualMifareCard.fromImage(healthy), v1), op);
      for (let k = 0; k < plan.writes.length; k++) {
        for (const mode of MODES) {
          const image = tornCopy(healthy, plan.writes, k, mode).toImage();
          starts.set(image.toString('hex'), image);
        }
      }
      return [...starts.values()];
    }

    for (const [name, v1] of Object.entries(V1)) {
      const v2 = v2Of(v1);
      it(`${name}: an upgrade alone (an inquiry), torn anywhere, keeps the state and converges to a healthy v2 card`, () => {
        let cases = 0;
        for (const start of v1Starts(v1)) {
          const state = stripRepair(okState(read(VirtualMifareCard.fromImage(start), v1), 'v1 start'));
          const decoded = read(VirtualMifareCard.fromImage(start), v2);
          assert.equal(decoded.kind === 'ok' && decoded.format.version, 1, 'a v1 card, read by the v2 program');
          const upgrade = planRepair(v2, decoded);
          assert.ok(upgrade.length > 2 * v1.purses.length, 'both slots and the header are written');
          for (let k = 0; k < upgrade.length; k++) {
            for (const mode of MODES) {
              const label = `upgrade torn at ${k}/${upgrade.length} (${mode})`;
              const card = tornCopy(start, upgrade, k, mode);
              assert.deepEqual(stripRepair(okState(read(card, v2), label)), state, label);
              repairAndCheck(card, v2, state, label);
              cases++;
            }
          }
          const card = VirtualMifareCard.fromImage(start);
          assert.equal(apply(card, upgrade), upgrade.length);
          const done = read(card, v2);
          assert.equal(done.kind === 'ok' && done.format.version === 2 && !needsWork(done), true, 'upgraded and healthy');
          assert.equal(read(card, v1).kind, 'foreign', 'a v1 reader never writes an upgraded card');
        }
        assert.ok(cases > 20, `${cases} cases`);
      });

      it(`${name}: an operation that upgrades, torn anywhere, leaves exactly the old or the new state`, () => {
        let cases = 0;
        for (const start of v1Starts(v1)) {
          const decoded = read(VirtualMifareCard.fromImage(start), v2);
          for (const [opName, op] of Object.entries(OPERATIONS)) {
            if (!fits(v1, op)) continue;
            const plan = planOperation(v2, decoded, op);
            assert.ok(plan.before);
            for (let k = 0; k < plan.writes.length; k++) {
              for (const mode of MODES) {
                const label = `${opName} + upgrade torn at ${k}/${plan.writes.length} (${mode})`;
                const card = tornCopy(start, plan.writes, k, mode);
                const committed = k > plan.commitIndex || (k === plan.commitIndex && mode === 'after');
                const state = stripRepair(okState(read(card, v2), label));
                assert.deepEqual(state, committed ? plan.after : plan.before, label);
                tearRepairEverywhere(card.toImage(), v2, state, label);
                repairAndCheck(card, v2, state, label);
                cases++;
              }
            }
          }
        }
        assert.ok(cases > 50, `${cases} cases`);
      });
    }

    it('without upgradeV1, a v1 card is foreign to a v2 program and never written', () => {
      const v1 = V1['points + balance'];
      const card = VirtualMifareCard.fromImage(issued(v1));
      const strict = defineLayout({ programId: 7, purses: v1.purses, keys: KEYS });
      const decoded = read(card, strict);
      assert.equal(decoded.kind, 'foreign');
      assert.throws(() => planOperation(strict, decoded, { earnPoints: 1 }), /foreign-card/);
      assert.throws(() => planRepair(strict, decoded), /foreign-card/);
    });
  });
});

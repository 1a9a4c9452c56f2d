import assert from 'node:assert/strict';
import { type TearMode, VirtualMifareCard } from '../../../lib/mifare/virtual-card';
import {
  type CardReadResult,
  type CardWriteResult,
  type DecodedCard,
  type LoyaltyCardIo,
  type LoyaltyLayout,
  decodeCard,
  defineLayout,
  planRead,
  runLoyaltyCardSession,
  runLoyaltyIssue,
  settleUncertain,
} from '../../../lib/mifare/loyalty';

const MODES: readonly TearMode[] = ['before', 'after', 'partial'];
const BOTH = defineLayout({ programId: 12, purses: ['points', 'balance'] });
const POINTS = defineLayout({ programId: 12, purses: ['points'], sector: 2 });

/** Counts reads and writes on the way to a real virtual card. */
class CountingIo implements LoyaltyCardIo {
  reads: number[] = [];
  writes: number[] = [];
  constructor(readonly card: VirtualMifareCard) {}
  read(block: number): CardReadResult {
    this.reads.push(block);
    return this.card.read(block);
  }
  write(block: number, data: Buffer): CardWriteResult {
    this.writes.push(block);
    return this.card.write(block, data);
  }
}

function decoded(card: VirtualMifareCard, layout: LoyaltyLayout): DecodedCard {
  const blocks = new Map<number, Buffer>();
  for (const b of planRead(layout)) {
    const r = card.read(b);
    if (!r.ok) throw new Error(r.reason);
    blocks.set(b, r.data);
  }
  return decodeCard(layout, blocks);
}

async function issued(layout: LoyaltyLayout = BOTH, points = 50, balance = 1000): Promise<VirtualMifareCard> {
  const card = new VirtualMifareCard({ kind: layout.cardKind, uid: 'DEADBEEF' });
  const request = { memberId: 31337, ...(layout.purses.includes('points') ? { points } : {}), ...(layout.purses.includes('balance') ? { balance } : {}) };
  const outcome = await runLoyaltyIssue(card, layout, request);
  assert.equal(outcome.status, 'committed');
  return card;
}

describe('mifare/loyalty runLoyaltyCardSession', () => {
  it('reads, operates and verifies: the outcome carries member, balances and applied amounts', async () => {
    const io = new CountingIo(await issued());
    const outcome = await runLoyaltyCardSession(io, BOTH, { debit: 350, earnPoints: 3 });
    assert.equal(outcome.status, 'committed');
    assert.equal(outcome.committed, true);
    assert.equal(outcome.uncertain, false);
    assert.equal(outcome.verified, true);
    assert.equal(outcome.repaired, false);
    assert.equal(outcome.memberId, 31337);
    assert.deepEqual([outcome.before?.balance, outcome.after?.balance, outcome.before?.points, outcome.after?.points], [1000, 650, 50, 53]);
    assert.deepEqual([outcome.debited, outcome.credited, outcome.pointsEarned, outcome.pointsRedeemed], [350, 0, 3, 0]);
    assert.equal(outcome.after?.counter, 1);
    assert.deepEqual(io.writes, [8, 9, 5, 6]);
    assert.deepEqual(io.reads, [4, 5, 6, 8, 9, 4, 5, 6, 8, 9]);
    assert.equal(outcome.writes, 4);
  });

  it('an inquiry reads only; `known` blocks (the open payload) are not read again', async () => {
    const card = await issued();
    const header = card.read(4);
    assert.ok(header.ok);
    const io = new CountingIo(card);
    const outcome = await runLoyaltyCardSession(io, BOTH, {}, { known: new Map([[4, header.data]]) });
    assert.equal(outcome.status, 'committed');
    assert.deepEqual(outcome.after, outcome.before);
    assert.deepEqual(io.reads, [5, 6, 8, 9]);
    assert.deepEqual(io.writes, []);
  });

  it('blank, foreign and corrupted cards: a clear error and no write at all', async () => {
    const blank = new VirtualMifareCard({ uid: '01020304' });
    const foreign = await issued(defineLayout({ programId: 13, purses: ['points', 'balance'] }));
    const otherApp = new VirtualMifareCard({ uid: '01020304' });
    otherApp.write(4, Buffer.from('Hello, MIFARE!!!', 'latin1'));
    const corrupted = await issued();
    corrupted.write(6, Buffer.alloc(16, 0xaa));
    corrupted.write(9, Buffer.alloc(16, 0xaa));
    const cases: [VirtualMifareCard, string, string][] = [
      [blank, 'blank', 'blank-card'],
      [foreign, 'foreign', 'foreign-program'],
      [otherApp, 'foreign', 'foreign-card'],
      [corrupted, 'corrupted', 'corrupted-card'],
    ];
    for (const [card, kind, code] of cases) {
      const before = card.toImage();
      const io = new CountingIo(card);
      const outcome = await runLoyaltyCardSession(io, BOTH, { credit: 100 });
      assert.equal(outcome.status, 'rejected-card', kind);
      assert.equal(outcome.card, kind);
      assert.equal(outcome.error?.code, code);
      assert.match(outcome.error?.message ?? '', new RegExp(code));
      assert.equal(outcome.committed, false);
      assert.deepEqual(io.writes, [], `${kind}: wrote`);
      assert.deepEqual(card.toImage(), before);
    }
  });

  it('refuses an overdraft after reading, without writing', async () => {
    const io = new CountingIo(await issued());
    const outcome = await runLoyaltyCardSession(io, BOTH, { debit: 1001 });
    assert.equal(outcome.status, 'refused');
    assert.equal(outcome.error?.code, 'overdraft');
    assert.equal(outcome.before?.balance, 1000);
    assert.deepEqual(io.writes, []);
  });

  it('refuses a negative amount before touching the card', async () => {
    const io = new CountingIo(await issued());
    const outcome = await runLoyaltyCardSession(io, BOTH, { credit: -10 });
    assert.equal(outcome.status, 'refused');
    assert.equal(outcome.error?.code, 'invalid-amount');
    assert.deepEqual([io.reads, io.writes], [[], []]);
  });

  it('a read failure is unreadable (nothing written); a throwing io counts as a failure', async () => {
    const card = await issued();
    card.remove();
    assert.equal((await runLoyaltyCardSession(card, BOTH, { credit: 1 })).status, 'unreadable');
    const throwing: LoyaltyCardIo = {
      read: () => Promise.reject(new Error('terminal timeout')),
      write: () => assert.fail('no write expected'),
    };
    const outcome = await runLoyaltyCardSession(throwing, BOTH, { credit: 1 });
    assert.equal(outcome.status, 'unreadable');
    assert.match(outcome.error?.message ?? '', /terminal timeout/);
  });

  for (const layout of [BOTH, POINTS]) {
    it(`${layout.purses.join(' + ')}: a tear at each write → not-committed / uncertain / committed, and the next open settles it`, async () => {
      const op = layout.purses.includes('balance') ? { credit: 200, earnPoints: 2 } : { earnPoints: 2 };
      const n = 2 * layout.purses.length;
      const commitIndex = layout.purses.length - 1;
      for (let k = 0; k < n; k++) {
        for (const mode of MODES) {
          const label = `tear at ${k} (${mode})`;
          const card = await issued(layout);
          card.tearAfterWrites(k, mode);
          const outcome = await runLoyaltyCardSession(card, layout, op);
          const expected = k < commitIndex ? 'not-committed' : k === commitIndex ? 'uncertain' : 'committed';
          assert.equal(outcome.status, expected, label);
          assert.equal(outcome.uncertain, expected === 'uncertain', label);
          assert.equal(outcome.verified, false, label);
          if (expected === 'committed') assert.equal(outcome.pointsEarned, 2);
          else assert.equal(outcome.pointsEarned, 0);

          card.returnToField();
          const pre = decoded(card, layout);
          assert.equal(pre.kind, 'ok', label);
          const next = await runLoyaltyCardSession(card, layout, {});
          assert.equal(next.status, 'committed', label);
          const nowCommitted = k > commitIndex || (k === commitIndex && mode === 'after');
          assert.equal(next.after?.points, nowCommitted ? 52 : 50, label);
          assert.equal(next.repaired, pre.needsRepair, `${label}: repaired`);
          assert.equal(next.verified, true);
          if (expected === 'uncertain') assert.equal(settleUncertain(outcome, decoded(card, layout)), nowCommitted ? 'committed' : 'not-committed');
          const healthy = decoded(card, layout);
          assert.ok(healthy.kind === 'ok' && !healthy.needsRepair, label);
        }
      }
    });
  }

  it('an inquiry repairs a torn backup (a tear in the repair changes nothing); an operation repairs as it commits', async () => {
    const card = await issued();
    card.tearAfterWrites(2, 'partial'); // commit done, backup torn
    assert.equal((await runLoyaltyCardSession(card, BOTH, { credit: 10 })).status, 'committed');
    card.returnToField();
    card.tearAfterWrites(0, 'partial'); // tear the repair
    const torn = await runLoyaltyCardSession(card, BOTH, {});
    assert.equal(torn.status, 'not-committed');
    assert.equal(torn.error?.code, 'card-removed');
    assert.equal(torn.after?.balance, 1010);
    card.returnToField();
    const io = new CountingIo(card);
    const outcome = await runLoyaltyCardSession(io, BOTH, { credit: 5 });
    assert.equal(outcome.status, 'committed');
    assert.equal(outcome.repaired, true);
    assert.equal(outcome.after?.balance, 1015);
    // B holds the committed state: commit into A, then B becomes the backup copy.
    assert.deepEqual(io.writes, [5, 6, 8, 9]);
    const healthy = decoded(card, BOTH);
    assert.ok(healthy.kind === 'ok' && !healthy.needsRepair);
    card.tearAfterWrites(2, 'before');
    await runLoyaltyCardSession(card, BOTH, { credit: 1 });
    card.returnToField();
    const inquiry = new CountingIo(card);
    const repaired = await runLoyaltyCardSession(inquiry, BOTH, {});
    assert.deepEqual([repaired.status, repaired.repaired, repaired.verified, repaired.after?.balance], ['committed', true, true, 1016]);
    assert.deepEqual(inquiry.writes, [5, 6]);
  });

  it('a failed commit write with the card still in the field is settled by reading back', async () => {
    for (const stored of [false, true]) {
      const card = await issued(POINTS);
      const io: LoyaltyCardIo = {
        read: (b) => card.read(b),
        write: (b, data) => {
          if (stored) card.write(b, data);
          return { ok: false, reason: 'no answer from the card' };
        },
      };
      const outcome = await runLoyaltyCardSession(io, POINTS, { earnPoints: 7 });
      assert.equal(outcome.status, stored ? 'committed' : 'not-committed');
      assert.equal(outcome.uncertain, false);
      assert.equal(outcome.verified, true);
      assert.equal(outcome.after?.points, stored ? 57 : 50);
    }
  });

  it('writes acknowledged but not stored: verify-mismatch, not committed', async () => {
    const card = await issued();
    const io: LoyaltyCardIo = { read: (b) => card.read(b), write: () => ({ ok: true }) };
    const outcome = await runLoyaltyCardSession(io, BOTH, { debit: 1 });
    assert.equal(outcome.status, 'not-committed');
    assert.equal(outcome.error?.code, 'verify-mismatch');
    assert.equal(outcome.after?.balance, 1000);
  });
});

describe('mifare/loyalty runLoyaltyIssue', () => {
  it('issues a blank card and refuses to re-issue it', async () => {
    const card = new VirtualMifareCard({ uid: 'CAFEF00D' });
    const outcome = await runLoyaltyIssue(card, BOTH, { memberId: 5, points: 10, balance: 2000 });
    assert.equal(outcome.status, 'committed');
    assert.equal(outcome.verified, true);
    assert.deepEqual(outcome.after, { programId: 12, memberId: 5, counter: 0, points: 10, balance: 2000 });
    const io = new CountingIo(card);
    const again = await runLoyaltyIssue(io, BOTH, { memberId: 6 });
    assert.equal(again.status, 'rejected-card');
    assert.equal(again.error?.code, 'card-not-blank');
    assert.deepEqual(io.writes, []);
  });

  it('a torn issuance is either issued or can be issued again', async () => {
    for (let k = 0; k < 5; k++) {
      for (const mode of MODES) {
        const card = new VirtualMifareCard({ uid: 'CAFEF00D' });
        card.tearAfterWrites(k, mode);
        const outcome = await runLoyaltyIssue(card, BOTH, { memberId: 5, balance: 300 });
        assert.equal(outcome.status, k < 2 ? 'not-committed' : k === 2 ? 'uncertain' : 'committed', `${k} ${mode}`);
        card.returnToField();
        const retry = await runLoyaltyIssue(card, BOTH, { memberId: 5, balance: 300 });
        const issuedNow = k > 2 || (k === 2 && mode === 'after');
        assert.equal(retry.status, issuedNow ? 'rejected-card' : 'committed', `${k} ${mode}`);
        const use = await runLoyaltyCardSession(card, BOTH, { debit: 300 });
        assert.equal(use.after?.balance, 0);
      }
    }
  });
});

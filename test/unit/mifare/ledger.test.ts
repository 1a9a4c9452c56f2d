/**
 * The shadow ledger: its rules (judge, merge), its durable log (a record resolves only
 * once synced; a power cut keeps it), and the loyalty card session with it: a restored dump is
 * a rollback and nothing is credited; a clone's other state is a fork; the unknown-card
 * policies; a re-issued card continues its counter; a dump from before the upgrade.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { type CardRecord, type LedgerEntry, type LedgerTransport, ShadowLedger, type ShadowLedgerOptions, judge, merge } from '../../../lib/mifare/ledger';
import { LoyaltyKeyring, type LoyaltyLayout, defineLayout, runLoyaltyCardSession, runLoyaltyIssue } from '../../../lib/mifare/loyalty';
import { VirtualMifareCard } from '../../../lib/mifare/virtual-card';
import { FaultyFs, errno } from '../../helpers/faulty-fs';

const KEYS = new LoyaltyKeyring({ id: 1, key: '5e1f0e8a2c4d5e6f708192a3b4c5d6e7' });
const LAYOUT = defineLayout({ programId: 42, purses: ['points', 'balance'], keys: KEYS, upgradeV1: true });
const V1 = defineLayout({ programId: 42, purses: ['points', 'balance'] });
const UID = 'C0FFEE42';

function entry(record: CardRecord, extra: Partial<LedgerEntry> = {}): LedgerEntry {
  return { ...record, uid: UID, at: '2026-01-01T00:00:00.000Z', origin: 'a', published: true, ...extra };
}

describe('mifare/ledger', () => {
  describe('rules', () => {
    const accept = { unknownCards: 'accept', unknownCardLimit: 0 } as const;
    const known = entry({ memberId: 1, counter: 10, balance: 500 });

    it('judge: the same state is known, a later one ahead, an earlier one a rollback, another state for the counter a fork', () => {
      assert.deepEqual(judge(known, { memberId: 1, counter: 10, balance: 500 }, 2, accept), { accept: true, status: 'known', entry: known });
      assert.equal(judge(known, { memberId: 1, counter: 13, balance: 100 }, 2, accept).status, 'ahead');
      assert.deepEqual(judge(known, { memberId: 1, counter: 9, balance: 900 }, 2, accept), { accept: false, status: 'rollback', reason: 'older', entry: known });
      assert.deepEqual(judge(known, { memberId: 1, counter: 10, balance: 900 }, 2, accept), { accept: false, status: 'rollback', reason: 'forked', entry: known });
      assert.deepEqual(judge(known, { memberId: 1, counter: 10, balance: 500 }, 1, accept), { accept: false, status: 'rollback', reason: 'version-1', entry: known });
      // Mod 65536: just past the wrap is ahead, half a circle back is a rollback.
      const high = entry({ memberId: 1, counter: 65535, balance: 1 });
      assert.equal(judge(high, { memberId: 1, counter: 2, balance: 1 }, 2, accept).status, 'ahead');
      assert.equal(judge(entry({ memberId: 1, counter: 2 }), { memberId: 1, counter: 65535 }, 2, accept).status, 'rollback');
    });

    it('judge: unknown cards as the policy says; limit counts what an unconfirmed card spent here', () => {
      assert.deepEqual(judge(undefined, { memberId: 1, counter: 0 }, 2, accept), { accept: true, status: 'unknown' });
      assert.deepEqual(judge(undefined, { memberId: 1, counter: 0 }, 2, { unknownCards: 'refuse', unknownCardLimit: 0 }), { accept: false, status: 'unknown', reason: 'unknown-card' });
      const limit = { unknownCards: 'limit', unknownCardLimit: 1000 } as const;
      assert.deepEqual(judge(undefined, { memberId: 1, counter: 0 }, 2, limit), { accept: true, status: 'unknown', allowance: 1000 });
      const spent = entry({ memberId: 1, counter: 3 }, { provisional: 700 });
      assert.equal(judge(spent, { memberId: 1, counter: 3 }, 2, limit).accept && (judge(spent, { memberId: 1, counter: 3 }, 2, limit) as { allowance?: number }).allowance, 300);
      assert.equal((judge(known, { memberId: 1, counter: 10, balance: 500 }, 2, limit) as { allowance?: number }).allowance, undefined, 'a confirmed card has no limit');
    });

    it('merge: the higher counter wins; an older record gets ours back; what is owed stays local', () => {
      const owed = { points: -5, balance: 0, operation: 'earn' };
      const local = entry({ memberId: 1, counter: 10, balance: 500 }, { owed, provisional: 20 });
      const newer = { memberId: 1, counter: 11, balance: 400, uid: UID, origin: 'b', at: '2026-01-02T00:00:00.000Z' };
      const taken = merge(local, newer);
      assert.equal(taken.action, 'take');
      assert.deepEqual(taken.action === 'take' && [taken.entry.counter, taken.entry.owed, taken.entry.provisional, taken.entry.origin], [11, owed, undefined, 'b']);
      assert.deepEqual(merge(local, { ...newer, counter: 9 }), { action: 'keep', republish: true });
      assert.deepEqual(merge(local, { memberId: 1, counter: 10, balance: 500, uid: UID, origin: 'b', at: 'x' }), { action: 'keep', republish: false });
    });

    it('merge: two states for one counter are flagged, and both machines keep the same one', () => {
      const a = entry({ memberId: 1, counter: 10, balance: 500 }, { origin: 'a' });
      const b = entry({ memberId: 1, counter: 10, balance: 300 }, { origin: 'b' });
      const atA = merge(a, { ...b });
      const atB = merge(b, { ...a });
      assert.equal(atA.action, 'take');
      assert.equal(atB.action, 'flag');
      const keptA = atA.action === 'take' ? atA.entry : undefined;
      const keptB = atB.action === 'flag' ? atB.entry : undefined;
      assert.deepEqual([keptA?.balance, keptB?.balance], [300, 300], 'the state with less stored value');
      assert.deepEqual([keptA?.conflict?.balance, keptB?.conflict?.balance], [500, 500]);
      assert.equal(atA.action === 'take' && atA.conflict, true);
    });
  });

  describe('ShadowLedger on its durable log', () => {
    let dir: string;
    const open: ShadowLedger[] = [];
    beforeEach(() => {
      dir = mkdtempSync(path.join(tmpdir(), 'jpay-ledger-'));
    });
    afterEach(async () => {
      for (const l of open.splice(0)) await l.close();
      rmSync(dir, { recursive: true, force: true });
    });
    async function ledger(options: Partial<ShadowLedgerOptions> = {}): Promise<ShadowLedger> {
      const l = await ShadowLedger.open({ file: path.join(dir, 'ledger.jsonl'), programId: 42, keys: KEYS, origin: 'test', ...options });
      open.push(l);
      return l;
    }

    it('a record resolves once synced, and survives a power cut', async () => {
      const fs = new FaultyFs();
      const l = await ledger({ fs });
      const syncs = fs.syncs();
      await l.record(UID, { memberId: 7, counter: 3, points: 10, balance: 250 }, { owed: { points: -10, balance: 0, operation: 'earn' } });
      assert.ok(fs.syncs() > syncs, 'synced before the record resolved');
      fs.powerCut();
      await l.close();
      open.splice(0);
      const again = await ShadowLedger.open({ file: path.join(dir, 'ledger.jsonl'), programId: 42, keys: KEYS, fs: new FaultyFs() });
      open.push(again);
      const got = again.get(UID);
      assert.deepEqual([got?.counter, got?.balance, got?.owed?.points, got?.origin], [3, 250, -10, 'test']);
    });

    it('a failed sync makes the ledger refuse: not writable', async () => {
      const fs = new FaultyFs();
      const l = await ledger({ fs });
      fs.faults.sync = () => errno('EIO');
      await assert.rejects(l.record(UID, { memberId: 1, counter: 0 }));
      assert.equal(l.writable, false);
    });

    it('a record that changes while its publish is in flight is published again when that one ends', async () => {
      // A transport whose acknowledgements the test gives (the broker cannot be made to wait).
      const published: { topic: string; payload: string; ack: () => void }[] = [];
      const transport: LedgerTransport = {
        connected: true,
        publish: (topic, payload) => new Promise<void>((resolve) => published.push({ topic, payload, ack: resolve })),
        subscribe: () => undefined,
        unsubscribe: () => undefined,
      };
      const l = await ledger({ transport, retryMs: 3_600_000 });
      await l.record(UID, { memberId: 1, counter: 5, balance: 300 });
      assert.equal(published.length, 1);
      // Another machine's state for the same counter, which ours beats: ours must go back on the broker.
      assert.equal(await l.merge({ uid: UID, memberId: 1, counter: 5, balance: 900, origin: 'other', at: 'x' }), 'flag');
      assert.equal(published.length, 1, 'one publish at a time per card');
      published[0].ack();
      while (published.length < 2) await new Promise((r) => setImmediate(r));
      assert.equal((JSON.parse(published[1].payload) as { balance: number }).balance, 300);
      published[1].ack();
      await l.idle();
    });

    it('entries of another program in the same file are not this ledger\'s', async () => {
      const l = await ledger();
      await l.record(UID, { memberId: 1, counter: 5 });
      await l.close();
      open.splice(0);
      const other = await ledger({ programId: 43 });
      assert.equal(other.get(UID), undefined);
      assert.equal(other.size, 1, 'the record is there, under program 42');
    });
  });

  describe('the loyalty card session with a ledger', () => {
    let dir: string;
    let l: ShadowLedger;
    beforeEach(async () => {
      dir = mkdtempSync(path.join(tmpdir(), 'jpay-ledger-'));
      l = await ShadowLedger.open({ file: path.join(dir, 'ledger.jsonl'), programId: 42, keys: KEYS, origin: 'here' });
    });
    afterEach(async () => {
      await l.close();
      rmSync(dir, { recursive: true, force: true });
    });

    async function issued(layout: LoyaltyLayout = LAYOUT): Promise<VirtualMifareCard> {
      const card = new VirtualMifareCard({ uid: UID });
      const outcome = await runLoyaltyIssue(card, layout, { memberId: 1001, points: 4, balance: 5000 }, layout.version === 2 ? { ledger: l } : {});
      assert.equal(outcome.status, 'committed');
      return card;
    }

    it('a restored dump is a rollback: refused and reported, nothing written, nothing credited', async () => {
      const card = await issued();
      assert.equal(l.get(UID)?.counter, 0, 'issuance is recorded');
      const dump = card.toImage();
      const spent = await runLoyaltyCardSession(card, LAYOUT, { debit: 5000, redeemPoints: 4 }, { ledger: l });
      assert.deepEqual([spent.status, spent.ledger?.recorded, l.get(UID)?.balance], ['committed', true, 0]);

      const restored = VirtualMifareCard.fromImage(dump);
      for (const op of [{ debit: 5000, redeemPoints: 4 }, { credit: 100 }, { earnPoints: 1 }, {}]) {
        const again = await runLoyaltyCardSession(restored, LAYOUT, op, { ledger: l });
        assert.equal(again.status, 'rollback');
        assert.equal(again.error?.code, 'rollback');
        assert.deepEqual([again.committed, again.debited, again.credited, again.pointsEarned, again.pointsRedeemed, again.writes], [false, 0, 0, 0, 0, 0]);
        assert.deepEqual(again.ledger, { status: 'rollback', reason: 'older', known: { memberId: 1001, counter: 1, points: 0, balance: 0 }, recorded: false });
        assert.deepEqual(again.before, { programId: 42, memberId: 1001, counter: 0, points: 4, balance: 5000 });
      }
      assert.equal(restored.writeCount, 0 + VirtualMifareCard.fromImage(dump).writeCount, 'the restored card was not written');
      assert.deepEqual(restored.toImage(), dump);
      assert.equal(l.get(UID)?.counter, 1, 'the ledger is unchanged');
    });

    it('a clone: once the fleet reports its spending, the original is older (a rollback); two spendings of one state are a fork', async () => {
      const card = await issued();
      const clone = VirtualMifareCard.fromImage(card.toImage());
      // Both are spent from the same state: the original here, the clone at a machine the
      // ledger hears from later (its replicated record).
      assert.equal((await runLoyaltyCardSession(card, LAYOUT, { debit: 2000 }, { ledger: l })).status, 'committed');
      assert.equal((await runLoyaltyCardSession(clone, LAYOUT, { debit: 1000 })).status, 'committed');
      const conflicts: LedgerEntry[] = [];
      l.on('conflict', (e) => conflicts.push(e));
      const action = await l.merge({ uid: UID, memberId: 1001, counter: 1, points: 4, balance: 4000, origin: 'elsewhere', at: '2026-01-01T10:00:00.000Z' });
      assert.equal(action, 'flag', 'ours has less stored value: every machine keeps it');
      assert.deepEqual([conflicts.length, conflicts[0]?.balance, conflicts[0]?.conflict?.balance], [1, 3000, 4000]);
      const forked = await runLoyaltyCardSession(clone, LAYOUT, { debit: 100 }, { ledger: l });
      assert.deepEqual([forked.status, forked.ledger?.reason, forked.writes], ['rollback', 'forked', 0]);
      assert.equal((await runLoyaltyCardSession(card, LAYOUT, { debit: 100 }, { ledger: l })).status, 'committed');
      // The clone spent again elsewhere and reported: the original is now older.
      await l.merge({ uid: UID, memberId: 1001, counter: 3, points: 4, balance: 2000, origin: 'elsewhere', at: '2026-01-01T11:00:00.000Z' });
      const older = await runLoyaltyCardSession(card, LAYOUT, { debit: 100 }, { ledger: l });
      assert.deepEqual([older.status, older.ledger?.reason], ['rollback', 'older']);
    });

    it('a card used at machines the ledger has not heard of is ahead: accepted and recorded', async () => {
      const card = await issued();
      for (let i = 0; i < 3; i++) await runLoyaltyCardSession(card, LAYOUT, { credit: 10 });
      const outcome = await runLoyaltyCardSession(card, LAYOUT, {}, { ledger: l });
      assert.deepEqual([outcome.status, outcome.ledger?.status, outcome.ledger?.recorded, l.get(UID)?.counter], ['committed', 'ahead', true, 3]);
    });

    it('unknown cards: refuse, or limit what they spend until the fleet vouches for them', async () => {
      const card = new VirtualMifareCard({ uid: '0A0B0C0D' });
      assert.equal((await runLoyaltyIssue(card, LAYOUT, { memberId: 9, balance: 10_000 })).status, 'committed');
      const refuse = await ShadowLedger.open({ file: path.join(dir, 'refuse.jsonl'), programId: 42, keys: KEYS, unknownCards: 'refuse' });
      const limit = await ShadowLedger.open({ file: path.join(dir, 'limit.jsonl'), programId: 42, keys: KEYS, unknownCards: 'limit', unknownCardLimit: 3000 });
      try {
        const refused = await runLoyaltyCardSession(card, LAYOUT, { debit: 100 }, { ledger: refuse });
        assert.deepEqual([refused.status, refused.error?.code, refused.writes], ['refused', 'unknown-card', 0]);
        const first = await runLoyaltyCardSession(card, LAYOUT, { debit: 2000 }, { ledger: limit });
        assert.deepEqual([first.status, first.ledger?.status, limit.get('0A0B0C0D')?.provisional], ['committed', 'unknown', 2000]);
        const over = await runLoyaltyCardSession(card, LAYOUT, { debit: 1500 }, { ledger: limit });
        assert.deepEqual([over.status, over.error?.code, over.writes], ['refused', 'unknown-card-limit', 0]);
        const topup = await runLoyaltyCardSession(card, LAYOUT, { credit: 500 }, { ledger: limit });
        assert.equal(topup.status, 'committed');
        assert.equal((await runLoyaltyCardSession(card, LAYOUT, { debit: 1500 }, { ledger: limit })).status, 'committed', 'a top-up here adds to what it may spend');
        // A card issued here is vouched for.
        const own = new VirtualMifareCard({ uid: '01020304' });
        assert.equal((await runLoyaltyIssue(own, LAYOUT, { memberId: 2, balance: 9000 }, { ledger: limit })).status, 'committed');
        assert.equal((await runLoyaltyCardSession(own, LAYOUT, { debit: 9000 }, { ledger: limit })).status, 'committed');
      } finally {
        await refuse.close();
        await limit.close();
      }
    });

    it('a card issued again after being erased continues its counter: no dump from before is newer', async () => {
      const card = await issued();
      for (let i = 0; i < 4; i++) await runLoyaltyCardSession(card, LAYOUT, { credit: 1 }, { ledger: l });
      const dump = card.toImage();
      const blank = new VirtualMifareCard({ uid: UID });
      const reissued = await runLoyaltyIssue(blank, LAYOUT, { memberId: 1001, balance: 10 }, { ledger: l });
      assert.deepEqual([reissued.status, reissued.after?.counter], ['committed', 5]);
      assert.equal((await runLoyaltyCardSession(VirtualMifareCard.fromImage(dump), LAYOUT, { debit: 1 }, { ledger: l })).status, 'rollback');
    });

    it('a dump from before the card was upgraded is a rollback (version-1)', async () => {
      const card = await issued(V1);
      const v1dump = card.toImage();
      const upgraded = await runLoyaltyCardSession(card, LAYOUT, { debit: 100 }, { ledger: l });
      assert.deepEqual([upgraded.status, upgraded.ledger?.status, upgraded.ledger?.recorded], ['committed', 'unknown', true]);
      const back = await runLoyaltyCardSession(VirtualMifareCard.fromImage(v1dump), LAYOUT, { debit: 100 }, { ledger: l });
      assert.deepEqual([back.status, back.ledger?.reason], ['rollback', 'version-1']);
    });

    it('a ledger that cannot write stops card writes (ledger-unavailable)', async () => {
      const fs = new FaultyFs();
      const broken = await ShadowLedger.open({ file: path.join(dir, 'broken.jsonl'), programId: 42, keys: KEYS, fs });
      try {
        const card = await issued();
        fs.faults.sync = () => errno('EIO');
        await assert.rejects(broken.record('01020304', { memberId: 1, counter: 0 }));
        const image = card.toImage();
        const outcome = await runLoyaltyCardSession(card, LAYOUT, { credit: 1 }, { ledger: broken });
        assert.deepEqual([outcome.status, outcome.error?.code], ['refused', 'ledger-unavailable']);
        assert.deepEqual(card.toImage(), image);
      } finally {
        await broken.close();
      }
    });
  });
});

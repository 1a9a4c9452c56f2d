/**
 * Layout version 2: keyed MACs bound to the UID, the header and the slot. What a card
 * writer without the key can do — forge a slot, paste a header, copy a dump to another
 * card, flip a bit of a MAC, put slots of two dumps together — is refused as `tampered`
 * and nothing is written; keys rotate; the counter wraps at 65536.
 */
import assert from 'node:assert/strict';
import { inspect } from 'node:util';
import { JpayValidationError } from '../../../lib/errors';
import { VirtualMifareCard } from '../../../lib/mifare/virtual-card';
import {
  type DecodedCard,
  type LoyaltyLayout,
  LoyaltyKeyring,
  MAC_BYTES,
  canonicalHeader,
  defineLayout,
  encodeSlotV2,
  keyBytes,
  parseKeyList,
  planIssue,
  planOperation,
  planRead,
  planRepair,
  runLoyaltyCardSession,
  runLoyaltyIssue,
} from '../../../lib/mifare/loyalty';
import { blockOf, readCard as read } from './card-fixtures';

const KEY_1 = '6b1f0e8a2c4d5e6f708192a3b4c5d6e7';
const KEY_2 = 'f0e1d2c3b4a5968778695a4b3c2d1e0ff0e1d2c3b4a5968778695a4b3c2d1e0f';
const KEY_OTHER = '0123456789abcdef0123456789abcdef';
const RING = new LoyaltyKeyring({ id: 1, key: KEY_1 });
const BOTH = defineLayout({ programId: 42, purses: ['points', 'balance'], keys: RING });
const BALANCE = defineLayout({ programId: 42, purses: ['balance'], keys: RING });

async function issued(layout: LoyaltyLayout = BOTH, uid = 'C0FFEE42', memberId = 1001): Promise<VirtualMifareCard> {
  const card = new VirtualMifareCard({ uid });
  const request = { memberId, ...(layout.purses.includes('points') ? { points: 40 } : {}), ...(layout.purses.includes('balance') ? { balance: 50_000 } : {}) };
  const outcome = await runLoyaltyIssue(card, layout, request);
  assert.equal(outcome.status, 'committed');
  return card;
}

/** The card's memory with `block` replaced. */
function withBlock(card: VirtualMifareCard, block: number, data: Buffer): VirtualMifareCard {
  const image = card.toImage();
  data.copy(image, block * 16);
  return VirtualMifareCard.fromImage(image);
}

/** Runs an operation on the card; asserts it was refused as tampered and not one block changed. */
async function assertTampered(card: VirtualMifareCard, layout: LoyaltyLayout, reason: string): Promise<void> {
  const decoded = read(card, layout);
  assert.equal(decoded.kind, 'tampered', decoded.kind !== 'ok' ? decoded.detail : 'decoded ok');
  assert.equal(decoded.kind === 'tampered' && decoded.reason, reason);
  assert.throws(() => planOperation(layout, decoded, { credit: 1 }), /tampered-card/);
  assert.throws(() => planRepair(layout, decoded), /tampered-card/);
  const image = card.toImage();
  const writes = card.writeCount;
  for (const op of [{ debit: 100 }, { credit: 100 }, {}]) {
    const outcome = await runLoyaltyCardSession(card, layout, layout.purses.includes('balance') ? op : { earnPoints: 1 });
    assert.equal(outcome.status, 'tampered');
    assert.equal(outcome.error?.code, 'tampered-card');
    assert.deepEqual([outcome.committed, outcome.credited, outcome.debited, outcome.writes], [false, 0, 0, 0]);
  }
  assert.equal(card.writeCount, writes, 'nothing was written');
  assert.deepEqual(card.toImage(), image);
}

describe('mifare/loyalty layout version 2 (keyed MACs)', () => {
  it('issues, pays and reads back a card bound to its UID; block 0 is read, never written', async () => {
    const card = await issued();
    const outcome = await runLoyaltyCardSession(card, BOTH, { debit: 12_000, earnPoints: 120 });
    assert.equal(outcome.status, 'committed');
    assert.equal(outcome.uid, 'C0FFEE42');
    assert.deepEqual(outcome.after, { programId: 42, memberId: 1001, counter: 1, points: 160, balance: 38_000 });
    const decoded = read(card, BOTH);
    assert.equal(decoded.kind === 'ok' && decoded.uid, 'C0FFEE42');
    assert.deepEqual(decoded.kind === 'ok' && decoded.format, { version: 2, needsUpgrade: false, legacySlots: false, headerOutdated: false, keyId: 1 });
    assert.deepEqual(planRead(BOTH), [0, 4, 5, 6, 8, 9], 'block 0 (the UID), header, slot A, slot B');
    assert.deepEqual(card.read(0), new VirtualMifareCard({ uid: 'C0FFEE42' }).read(0), 'the manufacturer block is untouched');
  });

  it('the same blocks as version 1, each a frame (t … ~t ~t) around the value, the key id and a 56-bit MAC', async () => {
    const card = await issued();
    const block = card.read(5);
    assert.ok(block.ok);
    const b = block.data;
    assert.deepEqual([b[0], b[1], b[2], b.readUInt32BE(3), b[14], b[15]], [0, 0, 1, 40, 0xff, 0xff]);
    assert.equal(MAC_BYTES, 7);
    assert.equal(blockOf(card, 4)[4], 2, 'the header says version 2');
  });

  it('a 7-byte UID and the open message carrying block 0 work the same', async () => {
    const card = new VirtualMifareCard({ uid: '04112233445566', authBlock: 0 });
    assert.equal((await runLoyaltyIssue(card, BOTH, { memberId: 5, balance: 100 })).status, 'committed');
    const open = card.read(0);
    assert.ok(open.ok);
    const outcome = await runLoyaltyCardSession(card, BOTH, { credit: 50 }, { known: new Map([[0, open.data]]) });
    assert.deepEqual([outcome.status, outcome.uid, outcome.after?.balance], ['committed', '04112233445566', 150]);
  });

  describe('tampering: refused as tampered, nothing written', () => {
    it('a forged slot: counter + 1 and a 2,000,000,000 balance, with the old MAC bytes or another key', async () => {
      const card = await issued(BALANCE);
      const genuine = card.read(5);
      assert.ok(genuine.ok);
      const forged = Buffer.from(genuine.data);
      forged[0] = 1; // counter + 1
      forged[14] = forged[15] = ~1 & 0xff;
      forged.writeUInt32BE(2_000_000_000, 3);
      await assertTampered(withBlock(card, 6, forged), BALANCE, 'bad-mac');

      // The attacker's own key under the program's key id: a well-formed record, a wrong MAC.
      const theirs = defineLayout({ programId: 42, purses: ['balance'], keys: new LoyaltyKeyring({ id: 1, key: KEY_OTHER }) });
      const decoded = read(card, BALANCE);
      assert.ok(decoded.kind === 'ok');
      const [write] = encodeSlotV2(theirs, { uid: Buffer.from('C0FFEE42', 'hex'), header: canonicalHeader(decoded.header!, 2) }, 1, { counter: 1, keyId: 1, balance: 2_000_000_000 });
      await assertTampered(withBlock(card, write.block, write.data), BALANCE, 'bad-mac');
    });

    it("a pasted header: program 43's card with program 42's header", async () => {
      for (const keyId of [1, 9]) {
        const program43 = defineLayout({ programId: 43, purses: ['points', 'balance'], keys: new LoyaltyKeyring({ id: keyId, key: KEY_OTHER }) });
        const card43 = await issued(program43, 'C0FFEE42', 1001);
        const card42 = await issued(BOTH, '0A0B0C0D', 1001);
        const header42 = card42.read(4);
        assert.ok(header42.ok);
        await assertTampered(withBlock(card43, 4, header42.data), BOTH, keyId === 1 ? 'bad-mac' : 'unknown-key');
      }
    });

    it("a pasted header within the program: another member's header on this card", async () => {
      const mine = await issued(BOTH, 'C0FFEE42', 1001);
      const theirs = await issued(BOTH, 'C0FFEE42', 2002);
      const header = theirs.read(4);
      assert.ok(header.ok);
      await assertTampered(withBlock(mine, 4, header.data), BOTH, 'bad-mac');
    });

    it('a dump copied to a card with another UID', async () => {
      const original = await issued();
      const image = original.toImage();
      const blank = new VirtualMifareCard({ uid: '11223344' }).toImage();
      image.copy(blank, 16, 16); // everything but block 0
      await assertTampered(VirtualMifareCard.fromImage(blank), BOTH, 'bad-mac');
    });

    it('every single-bit flip in every MAC byte of every block', async () => {
      const card = await issued();
      let flips = 0;
      for (const block of [...BOTH.slots[0], ...BOTH.slots[1]]) {
        const genuine = card.read(block);
        assert.ok(genuine.ok);
        for (let byte = 7; byte < 7 + MAC_BYTES; byte++) {
          for (let bit = 0; bit < 8; bit++) {
            const flipped = Buffer.from(genuine.data);
            flipped[byte] ^= 1 << bit;
            const decoded = read(withBlock(card, block, flipped), BOTH);
            assert.equal(decoded.kind === 'tampered' && decoded.reason, 'bad-mac', `block ${block} byte ${byte} bit ${bit}`);
            flips++;
          }
        }
      }
      assert.equal(flips, 4 * 56);
      // Through the card session, for one of them: nothing is written.
      const genuine = card.read(8);
      assert.ok(genuine.ok);
      const flipped = Buffer.from(genuine.data);
      flipped[10] ^= 0x10;
      await assertTampered(withBlock(card, 8, flipped), BOTH, 'bad-mac');
    });

    it('a flipped bit in a value is tampering too (and in the counter or key id of a one-block slot); one in the frame reads as a torn copy', async () => {
      for (const [layout, bytes] of [
        [BALANCE, [1, 2, 3, 4, 5, 6]],
        // Two blocks: a counter or key id that differs from the other block's is a torn slot.
        [BOTH, [3, 4, 5, 6]],
      ] as const) {
        const card = await issued(layout);
        const genuine = blockOf(card, 5);
        for (const byte of bytes) {
          const flipped = Buffer.from(genuine);
          flipped[byte] ^= 0x10;
          assert.equal(read(withBlock(card, 5, flipped), layout).kind, 'tampered', `byte ${byte}`);
        }
        for (const byte of [0, 14, 15]) {
          const flipped = Buffer.from(genuine);
          flipped[byte] ^= 0x01;
          const decoded = read(withBlock(card, 5, flipped), layout);
          assert.equal(decoded.kind === 'ok' && decoded.needsRepair, true, `byte ${byte}: the other copy holds the state`);
        }
      }
    });

    it('slots of two dumps put together', async () => {
      const card = await issued();
      const early = card.toImage();
      for (let i = 0; i < 3; i++) assert.equal((await runLoyaltyCardSession(card, BOTH, { credit: 10 })).status, 'committed');
      const late = card.toImage();
      // Slot A from the early dump, the rest from the late one: both verify, 3 transactions apart.
      const mixed = Buffer.from(late);
      for (const b of BOTH.slots[0]) early.copy(mixed, b * 16, b * 16, b * 16 + 16);
      await assertTampered(VirtualMifareCard.fromImage(mixed), BOTH, 'conflicting-records');
    });

    it('without a ledger, a restored dump still reads as a genuine card (the ledger stops that)', async () => {
      const card = await issued();
      const dump = card.toImage();
      assert.equal((await runLoyaltyCardSession(card, BOTH, { debit: 50_000 })).status, 'committed');
      const restored = VirtualMifareCard.fromImage(dump);
      assert.equal((await runLoyaltyCardSession(restored, BOTH, { debit: 50_000 })).status, 'committed');
    });
  });

  describe('keys', () => {
    const rotated = defineLayout({ programId: 42, purses: ['points', 'balance'], keys: new LoyaltyKeyring({ id: 2, key: KEY_2 }, [{ id: 1, key: KEY_1 }]) });
    const onlyNew = defineLayout({ programId: 42, purses: ['points', 'balance'], keys: new LoyaltyKeyring({ id: 2, key: KEY_2 }) });

    it('an older key still verifies; the next write re-MACs the card with the current one', async () => {
      const card = await issued();
      const before = read(card, rotated);
      assert.equal(before.kind === 'ok' && before.format.keyId, 1);
      const image = card.toImage();
      const inquiry = await runLoyaltyCardSession(card, rotated, {});
      assert.equal(inquiry.status, 'committed');
      assert.deepEqual(card.toImage(), image, 'an inquiry writes nothing');

      assert.equal((await runLoyaltyCardSession(card, rotated, { credit: 1 })).status, 'committed');
      const after = read(card, rotated);
      assert.equal(after.kind === 'ok' && after.format.keyId, 2);
      assert.equal(read(card, onlyNew).kind, 'ok', 'the old key is no longer needed');
      for (const b of [5, 6, 8, 9]) assert.equal(blockOf(card, b)[2], 2, `block ${b} under key 2`);
    });

    it('a card under a key the program dropped is refused as unknown-key', async () => {
      const card = await issued();
      await assertTampered(card, onlyNew, 'unknown-key');
    });

    it('a repair keeps the key of the record it copies', async () => {
      const card = await issued();
      const damaged = card.read(9);
      assert.ok(damaged.ok);
      damaged.data[15] ^= 0xff;
      const torn = withBlock(card, 9, damaged.data);
      const repair = planRepair(rotated, read(torn, rotated));
      assert.deepEqual(repair.map((w) => [w.block, w.data[2]]), [[8, 1], [9, 1]]);
    });

    it('a rotation torn at every write in every mode leaves the old or the new state', async () => {
      const start = (await issued()).toImage();
      const plan = planOperation(rotated, read(VirtualMifareCard.fromImage(start), rotated), { debit: 5, earnPoints: 1 });
      for (let k = 0; k < plan.writes.length; k++) {
        for (const mode of ['before', 'after', 'partial'] as const) {
          const card = VirtualMifareCard.fromImage(start);
          card.tearAfterWrites(k, mode);
          for (const w of plan.writes) if (!card.write(w.block, w.data).ok) break;
          card.returnToField();
          const decoded = read(card, rotated);
          assert.equal(decoded.kind, 'ok', `${k} ${mode}`);
          const committed = k > plan.commitIndex || (k === plan.commitIndex && mode === 'after');
          assert.deepEqual(decoded.kind === 'ok' && decoded.state, committed ? plan.after : plan.before, `${k} ${mode}`);
        }
      }
    });

    it('keys are checked, never shown: not in errors, JSON or inspect output', () => {
      for (const bad of ['', 'abc', '00'.repeat(16), 'zz'.repeat(16), '01'.repeat(20)]) {
        assert.throws(() => keyBytes(bad, 'key'), (err: unknown) => err instanceof JpayValidationError && !err.message.includes(bad || '\u0000'));
      }
      assert.throws(() => new LoyaltyKeyring({ id: 0, key: KEY_1 }), /keyId/);
      assert.throws(() => new LoyaltyKeyring({ id: 255, key: KEY_1 }), /keyId/);
      assert.throws(() => new LoyaltyKeyring({ id: 1, key: KEY_1 }, [{ id: 1, key: KEY_2 }]), /used twice/);
      assert.deepEqual(parseKeyList(`1:${KEY_1}, 7:${KEY_2}\n`, 'previousKeys').map((k) => k.id), [1, 7]);
      assert.throws(() => parseKeyList(`1=${KEY_1}`, 'previousKeys'), (err: unknown) => err instanceof Error && !err.message.includes(KEY_1));
      const ring = new LoyaltyKeyring({ id: 2, key: KEY_2 }, [{ id: 1, key: KEY_1 }]);
      const layout = defineLayout({ programId: 1, purses: ['points'], keys: ring });
      for (const text of [JSON.stringify(layout), inspect(layout, { depth: 10, showHidden: true }), String(ring)]) {
        for (const key of [KEY_1, KEY_2]) {
          assert.ok(!text.toLowerCase().includes(key), 'the key is not shown');
          assert.ok(!text.includes(Buffer.from(key, 'hex').toString('base64')), 'not as base64 either');
        }
      }
      assert.deepEqual(JSON.parse(JSON.stringify(ring)), { currentKeyId: 2, keyIds: [2, 1] });
    });

    it('layout version 2 needs keys; version 1 takes none', () => {
      assert.throws(() => defineLayout({ programId: 1, purses: ['points'], version: 2 }), /keys/);
      assert.throws(() => defineLayout({ programId: 1, purses: ['points'], version: 1, keys: RING }), /keys/);
      assert.throws(() => defineLayout({ programId: 1, purses: ['points'], upgradeV1: true }), /upgradeV1/);
      assert.equal(defineLayout({ programId: 1, purses: ['points'], keys: RING }).version, 2);
    });
  });

  it('the counter counts to 65535 and wraps to 0; the newer copy still wins, torn or not', async () => {
    const card = await issued();
    const decoded = read(card, BOTH);
    assert.ok(decoded.kind === 'ok');
    const binding = { uid: Buffer.from('C0FFEE42', 'hex'), header: canonicalHeader(decoded.header!, 2) };
    for (const slot of [0, 1] as const) {
      for (const w of encodeSlotV2(BOTH, binding, slot, { counter: 65535, keyId: 1, points: 40, balance: 50_000 })) card.write(w.block, w.data);
    }
    const at = read(card, BOTH);
    const plan = planOperation(BOTH, at, { credit: 1 });
    assert.deepEqual([plan.before?.counter, plan.after.counter], [65535, 0]);
    for (let k = 0; k < plan.writes.length; k++) {
      for (const mode of ['before', 'after', 'partial'] as const) {
        const torn = VirtualMifareCard.fromImage(card.toImage());
        torn.tearAfterWrites(k, mode);
        for (const w of plan.writes) if (!torn.write(w.block, w.data).ok) break;
        torn.returnToField();
        const committed = k > plan.commitIndex || (k === plan.commitIndex && mode === 'after');
        const got = read(torn, BOTH);
        assert.deepEqual(got.kind === 'ok' && got.state, committed ? plan.after : plan.before, `${k} ${mode}`);
      }
    }
  });

  it('issuance of a blank card can continue a counter (a re-issued card)', () => {
    const card = new VirtualMifareCard({ uid: 'C0FFEE42' });
    const plan = planIssue(BOTH, read(card, BOTH), { memberId: 1, counter: 300 });
    for (const w of plan.writes) card.write(w.block, w.data);
    assert.equal(read(card, BOTH).kind === 'ok' && (read(card, BOTH) as Extract<DecodedCard, { kind: 'ok' }>).state.counter, 300);
  });
});

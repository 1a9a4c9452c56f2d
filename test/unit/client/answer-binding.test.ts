/**
 * Issue 11, cases 1, 2 and 7: a transaction's answer is bound to its request. A copy of an
 * earlier encrypted packet, a receipt number already seen, a receipt from another time, an
 * answer of another type or currency, and an answer that contradicts itself are all an
 * unknown outcome with the reason named — never approved, never declined.
 */
import assert from 'node:assert/strict';
import { JpayClient, isNewerReceiptNumber, type ReceiptWatermark, type ReceiptWatermarkStore } from '../../../lib/client';
import { childText, packet, Packet, XmlElement } from '../../../lib/codec/packet';
import { TransactionOutcomeUnknown, type OutcomeUnknownReason } from '../../../lib/errors';
import { dateTimeFromWire, dateTimeToWire } from '../../../lib/protocol/values';
import { acceptLogin, approvedReceipt, recordingLogger, reply } from '../../helpers/scripted-terminal';
import { scriptedClient } from '../../helpers/client-fixture';

const PASSWORD = '24681357';
const MINUTE = 60_000;

/** The time the receipts of one test are stamped with (to the second, like a terminal). */
let stamp = Date.now();

/** A receipt stamped `offsetMs` from the test's time on a terminal whose clock is the host's. */
function receipt(amount: number, seq: number, extra: XmlElement = {}, offsetMs = 0): XmlElement {
  return approvedReceipt(amount, { seq: String(seq).padStart(6, '0'), datetime: dateTimeToWire(new Date(stamp + offsetMs)), ...extra });
}

function unknownBecause(reason: OutcomeUnknownReason) {
  return (e: unknown): boolean => {
    assert.ok(e instanceof TransactionOutcomeUnknown, `expected TransactionOutcomeUnknown, got ${String(e)}`);
    assert.equal(e.reason, reason, e.message);
    assert.match(e.message, new RegExp(reason));
    return true;
  };
}

describe('JpayClient: every transaction answer is bound to its request', () => {
  const fx = scriptedClient({ password: PASSWORD });
  const { setup } = fx;

  beforeEach(() => {
    stamp = Date.now();
  });

  describe('encrypted sessions: a copy of an earlier packet is refused', () => {
    it('an earlier encrypted "cancelled" replayed as the answer to a new purchase: unknown (replayed-packet), not cancelled', async () => {
      let earlier: Packet | undefined;
      const c = await setup(
        [
          acceptLogin(),
          async (conn) => {
            await conn.expect('transaction');
            earlier = conn.sealedResponse('cancelled');
            await conn.send(earlier, { plain: true }); // already sealed
          },
          async (conn) => {
            // The terminal approved 5,000.00; a man in the middle drops that and plays back the old answer.
            await conn.expect('transaction');
            await conn.send(earlier!, { plain: true });
          },
        ],
        { encrypt: true },
      );
      assert.equal((await c.transaction({ type: 'purchase', amount: 10_000 })).status, 'cancelled');
      await assert.rejects(c.transaction({ type: 'purchase', amount: 500_000 }), unknownBecause('replayed-packet'));
      await fx.terminal.done();
    });

    it("the client's own encrypted answer reflected back as a terminal message is refused", async () => {
      const c = await setup(
        [
          acceptLogin(),
          async (conn) => {
            await conn.expect('transaction');
            await conn.message(packet('keepalive'));
            // Our keepalive answer `<keepalive><status>ok</status>` decrypts as a keepalive message.
            await conn.send(conn.lastRaw!, { plain: true });
            await conn.respond('ok', receipt(100, 1));
          },
        ],
        { encrypt: true },
      );
      await assert.rejects(c.transaction({ type: 'purchase', amount: 100 }), unknownBecause('replayed-packet'));
      await fx.terminal.done();
    });

    it('remembers a bounded number of IVs: at the bound the next command handshakes a new key (an empty memory)', async () => {
      const c = await setup(
        [acceptLogin(), reply('transaction', 'ok', receipt(1, 1)), reply('transaction', 'ok', receipt(2, 2)), acceptLogin(), reply('transaction', 'ok', receipt(3, 3))],
        { encrypt: true, maxSessionPackets: 4 },
      );
      for (const amount of [1, 2, 3]) assert.equal((await c.transaction({ type: 'purchase', amount })).approved, true);
      await fx.terminal.done();
      // Each transaction seals its command and opens its response: 2 IVs. After two, 4 are remembered.
      assert.deepEqual(fx.terminal.commands.map((p) => p.name), ['login', 'transaction', 'transaction', 'login', 'transaction']);
      assert.notEqual(fx.terminal.commands[0].attrs['client-handshake'], fx.terminal.commands[3].attrs['client-handshake']);
    });

    it('a single command far past the bound (a keepalive flood under one key) is cut off: unknown (queue-overflow)', async () => {
      const c = await setup(
        [
          acceptLogin(),
          async (conn) => {
            await conn.expect('transaction');
            for (let i = 0; i < 10; i++) await conn.message(packet('keepalive'));
            await conn.respond('ok', receipt(100, 1));
          },
        ],
        { encrypt: true, maxSessionPackets: 2 },
      );
      await assert.rejects(c.transaction({ type: 'purchase', amount: 100 }), unknownBecause('queue-overflow'));
      await fx.terminal.close();
    });
  });

  describe('the receipt number is newer than the newest seen from the terminal', () => {
    it('an answer repeating a receipt already seen (plain session, a replaying middlebox): unknown (stale-receipt)', async () => {
      const old = receipt(10_000, 41);
      const c = await setup([reply('transaction', 'ok', old), reply('transaction', 'ok', old)]);
      assert.equal((await c.transaction({ type: 'purchase', amount: 10_000 })).approved, true);
      await assert.rejects(c.transaction({ type: 'purchase', amount: 10_000 }), unknownBecause('stale-receipt'));
      await fx.terminal.done();
      const mark = c.receiptWatermark.marks['card:1000000001'];
      assert.equal(mark.seq, 41);
      assert.equal(mark.time, dateTimeFromWire(childText(old.receipt as XmlElement, 'datetime')!));
    });

    it('declined receipts, voids and refunds take numbers too; numbers wrap after 999999', async () => {
      const c = await setup([
        reply('transaction', 'ok', receipt(5, 999_998, { tstatus: 'declined', 'decline-reason': 'onlinedeclined' })),
        reply('transaction', 'ok', receipt(5, 999_999, { type: 'purchasereversal' })),
        reply('transaction', 'ok', receipt(5, 1, { type: 'refund' })),
        reply('transaction', 'ok', receipt(5, 999_999)),
      ]);
      assert.equal((await c.transaction({ type: 'purchase', amount: 5 })).approved, false);
      assert.equal((await c.transaction({ type: 'void', number: 'last' })).approved, true);
      assert.equal((await c.transaction({ type: 'refund', amount: 5 })).approved, true);
      await assert.rejects(c.transaction({ type: 'purchase', amount: 5 }), unknownBecause('stale-receipt'));
      await fx.terminal.done();
    });

    it('SBP receipts are numbered apart from card receipts', async () => {
      // §8.10: the agent's own TID, `status` instead of `tstatus`.
      const sbpReceipt = (seq: number): XmlElement => {
        const { tstatus: _card, ...rest } = receipt(7, seq, { iface: 'sbp', tid: 'SBP00001', status: 'approved' }).receipt as XmlElement;
        return { receipt: rest };
      };
      const c = await setup([
        reply('transaction', 'ok', receipt(7, 500)),
        reply('transaction', 'ok', sbpReceipt(3)),
        reply('transaction', 'ok', receipt(7, 501)),
        reply('transaction', 'ok', sbpReceipt(3)),
      ]);
      for (let i = 0; i < 3; i++) assert.equal((await c.transaction({ type: 'purchase', amount: 7 })).approved, true);
      await assert.rejects(c.transaction({ type: 'purchase', amount: 7 }), unknownBecause('stale-receipt'));
      await fx.terminal.done();
      assert.deepEqual(Object.keys(c.receiptWatermark.marks).sort(), ['card:1000000001', 'sbp:SBP00001']);
    });

    it('a lower number stamped after the mark (even by a second) is a terminal whose numbering restarted: accepted', async () => {
      const c = await setup([reply('transaction', 'ok', receipt(9, 700)), reply('transaction', 'ok', receipt(9, 1, {}, 1_000)), reply('transaction', 'ok', receipt(9, 2, {}, 1_000)), reply('transaction', 'ok', receipt(9, 1, {}, 1_000))]);
      for (let i = 0; i < 3; i++) assert.equal((await c.transaction({ type: 'purchase', amount: 9 })).approved, true);
      // The receipt of the same second, seen already: a copy, not a restart.
      await assert.rejects(c.transaction({ type: 'purchase', amount: 9 }), unknownBecause('stale-receipt'));
      await fx.terminal.done();
    });

    it('a lower number with a time well after the stored mark (a client restarted meanwhile): accepted', async () => {
      const log = recordingLogger();
      const store: ReceiptWatermarkStore = {
        load: () => ({ marks: { 'card:1000000001': { seq: 500, time: dateTimeFromWire(dateTimeToWire(new Date(Date.now() - 60 * MINUTE))) } } }),
        save: () => undefined,
      };
      const c = await setup([reply('transaction', 'ok', receipt(9, 1))], { receiptWatermarks: store, logger: log.logger });
      assert.equal((await c.transaction({ type: 'purchase', amount: 9 })).approved, true);
      assert.equal(c.receiptWatermark.marks['card:1000000001'].seq, 1);
      assert.match(log.text(), /numbers its receipts anew/);
    });

    it('isNewerReceiptNumber: less than half the 6-digit range ahead, wrapping', () => {
      const table: [number, number, boolean][] = [
        [10, 9, true],
        [9, 9, false],
        [8, 9, false],
        [1, 999_999, true],
        [0, 999_999, true],
        [999_999, 1, false],
        [499_999, 0, true],
        [500_000, 0, false],
        [1_000_005, 1_000_004, true],
      ];
      for (const [seq, mark, newer] of table) assert.equal(isNewerReceiptNumber(seq, mark), newer, `${seq} after ${mark}`);
    });
  });

  describe("the receipt's time fits the transaction on the terminal's clock", () => {
    it('a fresh client: a receipt dated two days ago is refused (receipt-time); one in any time zone is not', async () => {
      const c = await setup([reply('transaction', 'ok', receipt(5, 2, {}, 13 * 60 * MINUTE)), reply('transaction', 'ok', receipt(5, 3, {}, -48 * 60 * MINUTE))]);
      assert.equal((await c.transaction({ type: 'purchase', amount: 5 })).approved, true, 'a terminal 13 h ahead (UTC+13)');
      await c.close();
      // A new client: no clock measured yet, only the zones bound the time.
      const client = fx.client({ password: PASSWORD });
      await assert.rejects(client.transaction({ type: 'purchase', amount: 5 }), unknownBecause('receipt-time'));
      await fx.terminal.done();
    });

    it('once the clock is measured, an answer from half an hour before the transaction is refused — an old answer the client never saw', async () => {
      const c = await setup([reply('transaction', 'ok', receipt(100, 10)), reply('transaction', 'ok', receipt(10_000, 11, {}, -30 * MINUTE))]);
      await c.transaction({ type: 'purchase', amount: 100 });
      await assert.rejects(c.transaction({ type: 'purchase', amount: 10_000 }), unknownBecause('receipt-time'));
      await fx.terminal.done();
    });

    it('a report read re-measures the clock (a terminal whose clock was set back)', async () => {
      const back = -2 * 60 * MINUTE;
      const header = { tid: '1000000001', cur: '643', time: dateTimeToWire(new Date(Date.now() + back)) };
      const c = await setup([
        reply('transaction', 'ok', receipt(100, 20)),
        reply('report', 'ok', { xreport: { header, totals: '' } }),
        reply('transaction', 'ok', receipt(100, 21, {}, back)),
      ]);
      await c.transaction({ type: 'purchase', amount: 100 });
      await c.report('brief');
      assert.equal((await c.transaction({ type: 'purchase', amount: 100 })).approved, true);
      await fx.terminal.done();
    });

    it('the tolerance is an option', async () => {
      const c = await setup([reply('transaction', 'ok', receipt(100, 30)), reply('transaction', 'ok', receipt(100, 31, {}, -2 * MINUTE))], { receiptClockToleranceMs: 30_000 });
      await c.transaction({ type: 'purchase', amount: 100 });
      await assert.rejects(c.transaction({ type: 'purchase', amount: 100 }), unknownBecause('receipt-time'));
      await fx.terminal.done();
    });
  });

  describe('the watermark store', () => {
    it('loads once before the first check, saves every change; the saved mark refuses an old receipt after a restart', async () => {
      const saved: ReceiptWatermark[] = [];
      let loads = 0;
      const store: ReceiptWatermarkStore = {
        load: async () => {
          loads += 1;
          return saved.at(-1);
        },
        save: async (terminalKey, w) => {
          assert.match(terminalKey, /^127\.0\.0\.1:\d+$/);
          saved.push(w);
        },
      };
      const first = receipt(100, 70);
      const c = await setup([reply('transaction', 'ok', first), reply('transaction', 'ok', receipt(100, 71)), reply('transaction', 'ok', first)], { receiptWatermarks: store });
      await c.transaction({ type: 'purchase', amount: 100 });
      await c.transaction({ type: 'purchase', amount: 100 });
      assert.equal(loads, 1);
      assert.equal(saved.length, 2);
      assert.equal(saved[1].marks['card:1000000001'].seq, 71);
      assert.ok(saved[1].clock && saved[1].clock.minOffsetMs <= saved[1].clock.maxOffsetMs);
      await c.close();
      const client = fx.client({ password: PASSWORD, receiptWatermarks: store });
      await assert.rejects(client.transaction({ type: 'purchase', amount: 100 }), unknownBecause('stale-receipt'));
      assert.equal(loads, 2);
      await fx.terminal.done();
    });

    it('a store that fails is logged and changes nothing; a bad shape is ignored', async () => {
      const log = recordingLogger();
      const c = await setup([reply('transaction', 'ok', receipt(1, 1))], {
        logger: log.logger,
        receiptWatermarks: {
          load: () => ({ marks: { x: { seq: 'nine' } }, clock: { minOffsetMs: 5, maxOffsetMs: 1 } }) as unknown as ReceiptWatermark,
          save: () => {
            throw new Error('disk full');
          },
        },
      });
      assert.equal((await c.transaction({ type: 'purchase', amount: 1 })).approved, true);
      assert.match(log.text(), /could not be saved.*disk full/);
      assert.deepEqual(Object.keys(c.receiptWatermark.marks), ['card:1000000001']);
      assert.throws(() => new JpayClient({ host: 'h', receiptWatermarks: { load: 1 } as unknown as ReceiptWatermarkStore }), /receiptWatermarks/);
    });
  });

  describe('the answer against the request', () => {
    const cases: [string, Parameters<JpayClient['transaction']>[0], XmlElement][] = [
      ['a purchase receipt for a refund', { type: 'refund', amount: 100 }, receipt(100, 1)],
      ['a refund receipt for a purchase', { type: 'purchase', amount: 100 }, receipt(100, 1, { type: 'refund' })],
      ['a purchase receipt for a void', { type: 'void', number: 3 }, receipt(100, 1)],
      ['a cashback receipt for a purchase', { type: 'purchase', amount: 100 }, receipt(100, 1, { 'amount-other': '000000000050' })],
      ['another currency', { type: 'purchase', amount: 100, currency: '840' }, receipt(100, 1)],
      ['an SBP receipt when SBP was not offered', { type: 'purchase', amount: 100, sbp: false }, receipt(100, 1, { iface: 'sbp' })],
      ['a card receipt for an SBP-only request', { type: 'purchase', amount: 100, sbp: true }, receipt(100, 1)],
    ];
    for (const [name, request, body] of cases) {
      it(`${name}: unknown (mismatched-answer)`, async () => {
        const c = await setup([reply('transaction', 'ok', body)]);
        await assert.rejects(c.transaction(request), unknownBecause('mismatched-answer'));
        await fx.terminal.done();
      });
    }

    it('every reading the document allows is accepted: reversals for a void, spellings, cashback, SBP', async () => {
      const c = await setup([
        reply('transaction', 'ok', receipt(100, 1, { type: 'purchasereversal' })),
        reply('transaction', 'ok', receipt(100, 2, { type: 'RefundReversal' })),
        reply('transaction', 'ok', receipt(150, 3, { 'amount-other': '000000000050' })),
        reply('transaction', 'ok', receipt(100, 4, { type: 'Purchase', currency: '643' })),
        reply('transaction', 'ok', receipt(100, 5, { iface: 'sbp', tid: 'S1', status: 'approved' })),
      ]);
      await c.transaction({ type: 'void', number: 'last' });
      await c.transaction({ type: 'void', number: 12, amount: 100 });
      await c.transaction({ type: 'purchase-with-cashback', amount: 100, amountOther: 50 });
      await c.transaction({ type: 'purchase', amount: 100, currency: '643' });
      const sbp = await c.transaction({ type: 'purchase', amount: 100, sbp: true });
      assert.equal(sbp.approved, true);
      await fx.terminal.done();
    });
  });

  describe('contradictions (issue 11, case 7): unknown, recovery reads the report', () => {
    const approved = receipt(100, 1).receipt as XmlElement;
    const cases: [string, XmlElement][] = [
      ['status twice (ok, failed)', { status: ['ok', 'failed'], receipt: approved }],
      ['status twice, equal', { status: ['ok', 'ok'], receipt: approved }],
      ['tstatus twice', { status: 'ok', receipt: { ...approved, tstatus: ['approved', 'declined'] } }],
      ['receipt twice', { status: 'ok', receipt: [approved, { ...approved, tstatus: 'declined' }] }],
      ['failed with an approved receipt', { status: 'failed', receipt: approved }],
      ['ok without a receipt', { status: 'ok' }],
      ['no status at all', { receipt: approved }],
      ['tstatus approved, status declined', { status: 'ok', receipt: { ...approved, status: 'declined' } }],
      ['a receipt without a status', { status: 'ok', receipt: { ...approved, tstatus: undefined as unknown as string } }],
      ['a receipt status neither approved nor declined', { status: 'ok', receipt: { ...approved, tstatus: 'pending' } }],
      ['approved with a decline reason', { status: 'ok', receipt: { ...approved, 'decline-reason': 'onlinedeclined' } }],
      ['approved without an amount', { status: 'ok', receipt: { ...approved, 'amount-authorized': 'lots' } }],
    ];
    for (const [name, body] of cases) {
      it(`${name}`, async () => {
        const clean = JSON.parse(JSON.stringify(body)) as XmlElement;
        const c = await setup([
          async (conn) => {
            await conn.expect('transaction');
            await conn.send(packet('transaction', clean));
          },
        ]);
        await assert.rejects(c.transaction({ type: 'purchase', amount: 100 }), unknownBecause('contradictory-answer'));
        await fx.terminal.done();
      });
    }

    it('not contradictions: a declined receipt with a non-ok status, a failure without a receipt, an empty resp-code, the CFT receipt with status and tstatus', async () => {
      const c = await setup([
        reply('transaction', 'notapproved', receipt(100, 1, { tstatus: 'declined', 'decline-reason': 'onlinedeclined' })),
        reply('transaction', 'cancelled'),
        reply('transaction', 'ok', receipt(100, 2, { 'resp-code': '' })),
        reply('transaction', 'ok', receipt(100, 3, { iface: 'sbp', tid: 'S', status: 'approved', 'resp-code': '', 'auth-number': '' })),
      ]);
      assert.equal((await c.transaction({ type: 'purchase', amount: 100 })).approved, false);
      assert.equal((await c.transaction({ type: 'purchase', amount: 100 })).status, 'cancelled');
      assert.equal((await c.transaction({ type: 'purchase', amount: 100 })).approved, true);
      assert.equal((await c.transaction({ type: 'purchase', amount: 100 })).approved, true);
      await fx.terminal.done();
    });
  });

  describe('the authorized amount is never hidden', () => {
    it('approved for another amount than requested: both amounts, amountMismatch and a warning', async () => {
      const log = recordingLogger();
      const c = await setup([reply('transaction', 'ok', receipt(1, 1)), reply('transaction', 'ok', receipt(500_000, 2))], { logger: log.logger });
      const changed = await c.transaction({ type: 'purchase', amount: 500_000 });
      assert.equal(changed.approved, true);
      assert.equal(changed.requestedAmount, 500_000);
      assert.equal(changed.authorizedAmount, 1);
      assert.equal(changed.amountMismatch, true);
      assert.match(log.text(), /warn the terminal authorized another amount than requested {"requested":500000,"authorized":1}/);
      const same = await c.transaction({ type: 'purchase', amount: 500_000 });
      assert.equal(same.authorizedAmount, 500_000);
      assert.equal(same.amountMismatch, undefined);
      await fx.terminal.done();
    });

    it('cashback: amount-authorized with or without the cashback both match; a void without an amount has no requested amount', async () => {
      const c = await setup([
        reply('transaction', 'ok', receipt(150, 1, { 'amount-other': '000000000050' })),
        reply('transaction', 'ok', receipt(100, 2, { 'amount-other': '000000000050' })),
        reply('transaction', 'ok', receipt(100, 3, { type: 'purchasereversal' })),
      ]);
      const cashback = { type: 'purchase-with-cashback', amount: 100, amountOther: 50 } as const;
      assert.equal((await c.transaction(cashback)).amountMismatch, undefined);
      assert.equal((await c.transaction(cashback)).amountMismatch, undefined);
      const v = await c.transaction({ type: 'void', number: 'last' });
      assert.equal(v.requestedAmount, undefined);
      assert.equal(v.authorizedAmount, 100);
      assert.equal(v.amountMismatch, undefined);
      await fx.terminal.done();
    });
  });
});

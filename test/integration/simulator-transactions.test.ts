/** Every transaction exchange through JpayClient against jpay-sim over real TCP, plain and encrypted. */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { JpayClient } from '../../lib/client';
import { TransactionOutcomeUnknown } from '../../lib/errors';
import type { CardMessage, DisplayMessage, EmvTagValue, QrCodeMessage } from '../../lib/protocol/types';
import type { SimulatorHandle, SimulatorOptions } from '../../lib/simulator';
import { startTestSimulator } from '../helpers/sim-fixtures';

function clientFor(sim: SimulatorHandle, encrypt: boolean): JpayClient {
  return new JpayClient({
    host: '127.0.0.1',
    port: sim.port,
    password: '12345678',
    encrypt,
    timeouts: { commandMs: 5000, transactionMs: 5000, idleMs: 2000 },
  });
}

for (const encrypt of [false, true]) {
  describe(`simulator through JpayClient: transactions (${encrypt ? 'encrypted' : 'plain'})`, () => {
    let sim: SimulatorHandle;
    let client: JpayClient;
    const start = async (options: SimulatorOptions = {}): Promise<void> => {
      sim = await startTestSimulator(options);
      client = clientFor(sim, encrypt);
    };
    afterEach(async () => {
      await client?.close();
      await sim?.close();
    });

    it('purchase: displays, approved receipt, plain-text-pan only when encrypted', async () => {
      await start();
      const displays: DisplayMessage[] = [];
      let keepalives = 0;
      client.on('display', (d) => displays.push(d));
      client.on('keepalive', () => keepalives++);
      const result = await client.transaction({ type: 'purchase', amount: 12300 });
      assert.equal(result.approved, true);
      assert.equal(result.receipt?.amountAuthorized, 12300);
      assert.equal(result.receipt?.pan, '************1111');
      assert.equal(result.receipt?.applicationName, 'VISA CREDIT');
      assert.equal(result.plainTextPan?.reveal(), encrypt ? '4111111111111111' : undefined);
      assert.deepEqual(displays.map((d) => d.code), ['15', '16', 'D1', 'D4', '03']);
      assert.equal(displays[0].amount, 12300);
      assert.equal(displays[4].amount, 12300);
      assert.ok(keepalives >= 1);
    });

    it('refund (rrn, forced), cashback, void (number, partial, last), manual entry, currency', async () => {
      await start();
      const sale = await client.transaction({ type: 'purchase-with-cashback', amount: 5000, amountOther: 1000 });
      assert.equal(sale.receipt?.amountOther, 1000);
      const rrn = sale.receipt?.rrn ?? '';
      assert.equal((await client.transaction({ type: 'refund', amount: 500, rrn })).receipt?.type, 'refund');
      assert.equal((await client.transaction({ type: 'refund', amount: 500, rrn, forced: true })).approved, true);
      const partial = await client.transaction({ type: 'void', number: sale.receipt?.receiptNumber, amount: 2000 });
      assert.equal(partial.receipt?.type, 'purchasereversal');
      assert.equal(partial.receipt?.amountAuthorized, 2000);
      const again = await client.transaction({ type: 'void', number: sale.receipt?.receiptNumber, amount: 4000 });
      assert.equal(again.status, 'invalidarguments');
      const manual = await client.transaction({ type: 'purchase', amount: 700, manual: { pan: '2200000000005003', expiry: '3012' } });
      assert.equal(manual.receipt?.pan, '************5003');
      const euro = await client.transaction({ type: 'purchase', amount: 900, currency: '978' });
      assert.equal(euro.receipt?.currency, '978');
      const last = await client.transaction({ type: 'void', number: 'last' });
      assert.equal(last.receipt?.amountAuthorized, 900);
      assert.equal((await client.transaction({ type: 'void', number: 'last' })).status, 'notreversible');
      assert.equal((await client.transaction({ type: 'void', number: 4242 })).status, 'transactionnotfound');
    });

    it('an aborted transaction is answered cancelled at the next keepalive', async () => {
      await start({ autoPresent: false, timing: { keepaliveIntervalMs: 10 } });
      const controller = new AbortController();
      const running = client.transaction({ type: 'purchase', amount: 100 }, { signal: controller.signal });
      await sim.waitForEvent((e) => e.type === 'waiting-for-card');
      controller.abort();
      const result = await running;
      assert.equal(result.status, 'cancelled');
      assert.equal(result.approved, false);
      assert.equal(sim.log().length, 0);
    });

    it('SBP: QR code shown and hidden, SBP receipt, SBP refund', async () => {
      await start({ sbp: { enabled: true, payDelayMs: 5, cft: true } });
      const qr: QrCodeMessage[] = [];
      client.on('qrcode', (m) => qr.push(m));
      const paid = await client.transaction({ type: 'purchase', amount: 110, sbp: true });
      assert.deepEqual(qr.map((m) => m.show), [true, false]);
      assert.equal(paid.approved, true);
      assert.equal(paid.receipt?.iface, 'sbp');
      assert.equal(paid.receipt?.cft?.localQrcId, paid.receipt?.rrn);
      const refund = await client.transaction({ type: 'refund', amount: 110, sbp: true, rrn: paid.receipt?.rrn });
      assert.equal(refund.approved, true);
      assert.equal(refund.receipt?.iface, 'sbp');
    });

    it('dex: the tags the handler returns show in the receipt', async () => {
      await start({ dex: { enabled: true } });
      let kernel: EmvTagValue[] = [];
      const result = await client.transaction(
        { type: 'purchase', amount: 12300 },
        {
          handlers: {
            dex: (m) => {
              kernel = m.kernelTags;
              return [{ name: '9F06', value: 'A0000000031020' }];
            },
          },
        },
      );
      assert.deepEqual(kernel.map((t) => t.name), ['9F06', '9F02', '5F2A', '9C']);
      assert.equal(result.receipt?.aid, 'A0000000031020');
      assert.equal(result.receipt?.record, '9F0607A0000000031020');
    });

    it('MIFARE: the card handler reads, writes and closes with its own receipt', async () => {
      await start();
      const card = await sim.insertMifareCard({ authBlock: 4 });
      const seen: CardMessage[] = [];
      const result = await client.transaction(
        { type: 'purchase', amount: 100 },
        {
          handlers: {
            card: (m) => {
              seen.push(m);
              if (m.code === 'open') return { code: 'read', blockId: 5 };
              if (m.code === 'read') return { code: 'write', blockId: 5, data: Buffer.alloc(16, 9) };
              return { code: 'close', receipt: { status: 'approved', points: '42' } };
            },
          },
        },
      );
      assert.deepEqual(seen.map((m) => m.code), ['open', 'read', 'write']);
      assert.equal(result.approved, true);
      assert.equal(result.receipt?.iface, 'mifare');
      assert.deepEqual(card.read(5), { ok: true, data: Buffer.alloc(16, 9) });
      const plain = await client.transaction({ type: 'purchase', amount: 100 });
      assert.equal(plain.receipt?.pan, '************1111', 'without a card handler the terminal waits for a bank card');
    });
  });
}

describe('simulator through JpayClient: magic amounts and faults', () => {
  let sim: SimulatorHandle;
  let client: JpayClient;
  let dir: string | undefined;
  beforeEach(async () => {
    sim = await startTestSimulator({ timing: { faultDelayMs: 20 } });
    client = clientFor(sim, false);
  });
  afterEach(async () => {
    await client.close();
    await sim.close();
    if (dir) await rm(dir, { recursive: true, force: true });
    dir = undefined;
  });

  it('every status and decline magic amount resolves with that outcome', async () => {
    for (const m of sim.magicAmounts().filter((e) => !e.outcome.fault)) {
      const result = await client.transaction({ type: 'purchase', amount: m.amount });
      const expected = m.outcome.status ?? 'ok';
      assert.equal(result.status, expected, `${m.amount}`);
      if (m.outcome.declineReason) {
        assert.equal(result.approved, false);
        assert.equal(result.receipt?.declineReason, m.outcome.declineReason);
      } else if (expected === 'ok') {
        assert.equal(result.approved, true, `${m.amount}`);
      } else {
        assert.ok(result.errors.length > 0 || expected === 'cancelled', `${m.amount}`);
      }
    }
  });

  it('drops before/after the record are TransactionOutcomeUnknown with a known truth', async () => {
    await assert.rejects(client.transaction({ type: 'purchase', amount: 77780 }), TransactionOutcomeUnknown);
    assert.equal(sim.log().length, 0);
    await assert.rejects(client.transaction({ type: 'purchase', amount: 77781 }), TransactionOutcomeUnknown);
    assert.equal(sim.log().length, 1);
    const report = await client.report('full');
    assert.equal(report.transactions[0].amount, 77781, 'the report tells the truth');
  });

  it('broken responses are outcome unknown; a delayed one arrives; host down and card removed are statuses', async () => {
    assert.equal((await client.transaction({ type: 'purchase', amount: 77782 })).approved, true);
    for (const amount of [77784, 77785, 77786]) {
      await assert.rejects(client.transaction({ type: 'purchase', amount }), TransactionOutcomeUnknown, `${amount}`);
    }
    assert.equal((await client.transaction({ type: 'purchase', amount: 77787 })).status, 'communicationerror');
    assert.equal((await client.transaction({ type: 'purchase', amount: 77788 })).status, 'tryagain');
  });

  it('a stalled response hits the client deadline as outcome unknown', async () => {
    const impatient = new JpayClient({ host: '127.0.0.1', port: sim.port, timeouts: { transactionMs: 300, idleMs: 200 } });
    try {
      await assert.rejects(impatient.transaction({ type: 'purchase', amount: 77783 }), TransactionOutcomeUnknown);
    } finally {
      await impatient.close();
    }
  });

  it('the persisted log survives a restart', async () => {
    dir = await mkdtemp(join(tmpdir(), 'jpay-sim-int-'));
    const logFile = join(dir, 'log.json');
    await client.close();
    await sim.close();
    sim = await startTestSimulator({ logFile });
    client = clientFor(sim, false);
    const sale = await client.transaction({ type: 'purchase', amount: 4321 });
    await client.close();
    await sim.close();
    sim = await startTestSimulator({ logFile });
    client = clientFor(sim, false);
    const report = await client.report('full');
    assert.equal(report.transactions[0].rrn, sale.receipt?.rrn);
    const voided = await client.transaction({ type: 'void', number: sale.receipt?.receiptNumber });
    assert.equal(voided.approved, true);
  });
});

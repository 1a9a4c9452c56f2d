/**
 * The simulator accepts what the vendor document allows and refuses what it forbids
 * (issue 13): every case through its TCP port with a raw client, the control API where a
 * case is switched on.
 */
import assert from 'node:assert/strict';
import { childElement, childList, childText, packet, type Packet, type XmlElement } from '../../lib/codec/packet';
import type { SimulatorEvent, SimulatorHandle, SimulatorOptions } from '../../lib/simulator';
import { DEFAULT_MAX_RESPONSE_FRAME_SIZE } from '../../lib/simulator';
import { controlCall } from '../helpers/sim-control';
import { startTestSimulator } from '../helpers/sim-fixtures';
import {
  amountWire,
  displayCodes,
  errorTexts,
  openSocket,
  plainLogin,
  rawCommand,
  secureLogin,
  status,
  type RawExchange,
} from '../helpers/sim-raw-client';

const PASSWORD = '12345678';
const tx = (body: XmlElement, attrs: Record<string, string> = {}) => packet('transaction', body, attrs);
const receiptOf = (x: RawExchange) => childElement(x.response.body, 'receipt');

/** Collects the simulator's events while a test runs. */
function eventsOf(sim: SimulatorHandle): SimulatorEvent[] {
  const seen: SimulatorEvent[] = [];
  sim.on('event', (e) => seen.push(e));
  return seen;
}

describe('simulator fidelity to the vendor document', () => {
  let sim: SimulatorHandle;
  const start = async (options: SimulatorOptions = {}): Promise<void> => {
    sim = await startTestSimulator({ controlPort: 0, ...options });
  };
  afterEach(async () => {
    await sim?.close();
  });

  describe('manual-entry void (§8.9 A: pan, expired, password)', () => {
    it('reverses the transaction without asking for a card', async () => {
      await start();
      const sale = await rawCommand(sim.port, tx({ type: 'purchase', amount: amountWire(4200) }));
      const seq = Number(childText(receiptOf(sale), 'seq'));
      const events = eventsOf(sim);
      const x = await rawCommand(
        sim.port,
        tx({ type: 'void', number: String(seq), pan: '4111111111111111', expired: '3012', password: PASSWORD }),
      );
      assert.equal(status(x), 'ok', errorTexts(x.response).join('; '));
      assert.ok(!displayCodes(x).includes('15'), 'no "present card"');
      assert.ok(!events.some((e) => e.type === 'waiting-for-card' || e.type === 'card-presented'), 'no card detection');
      assert.equal(childText(receiptOf(x), 'type'), 'purchasereversal');
      assert.equal(childText(receiptOf(x), 'amount-authorized'), amountWire(4200));
      assert.equal(sim.log().at(-1)?.entry, 'manual');
    });

    it('refuses another card number, a missing or wrong password, and manual entry the acquirer does not take', async () => {
      await start();
      const sale = await rawCommand(sim.port, tx({ type: 'purchase', amount: amountWire(4200) }));
      const number = childText(receiptOf(sale), 'seq') ?? '';
      const manualVoid = (extra: XmlElement) => tx({ type: 'void', number, pan: '5555555555554444', expired: '3012', ...extra });
      const other = await rawCommand(sim.port, manualVoid({ password: PASSWORD }));
      assert.equal(status(other), 'failed');
      assert.match(errorTexts(other.response)[0], /does not match the original/);
      assert.equal(status(await rawCommand(sim.port, manualVoid({}))), 'invalidarguments');
      assert.equal(status(await rawCommand(sim.port, manualVoid({ password: '87654321' }))), 'notauthorized');
      assert.equal(sim.log().length, 1, 'nothing recorded');
      await sim.close();
      await start({ terminal: { manualEntry: false } });
      await rawCommand(sim.port, tx({ type: 'purchase', amount: amountWire(4200) }));
      const refused = await rawCommand(
        sim.port,
        tx({ type: 'void', number: '1', pan: '4111111111111111', expired: '3012', password: PASSWORD }),
      );
      assert.equal(status(refused), 'notallowedinterface');
    });
  });

  describe('amounts are exactly 12 digits (§8.9)', () => {
    it('refuses shorter, longer or decorated amounts with formaterror naming the field, and records nothing', async () => {
      await start();
      const cases: [XmlElement, string][] = [
        [{ type: 'purchase', amount: '12300' }, 'amount'],
        [{ type: 'purchase', amount: '0000000012300' }, 'amount'],
        [{ type: 'purchase', amount: '+00000012300' }, 'amount'],
        [{ type: 'purchase', amount: '0000000123.0' }, 'amount'],
        [{ type: 'refund', amount: '1', rrn: '120157645346' }, 'amount'],
        [{ type: 'void', number: 'last', amount: '100' }, 'amount'],
        [{ type: 'purchase-with-cashback', amount: amountWire(5000), 'amount-other': '1000' }, 'amount-other'],
      ];
      for (const [body, field] of cases) {
        const x = await rawCommand(sim.port, tx(body));
        assert.equal(status(x), 'formaterror', JSON.stringify(body));
        assert.match(errorTexts(x.response)[0], new RegExp(`^${field}: must be exactly 12 digits`));
        assert.equal(x.messages.length, 0, 'refused before any message');
      }
      // Twelve zeros are well-formed, but an amount of nothing is not allowed (docs/protocol.md D25).
      for (const [body, field] of [
        [{ type: 'purchase', amount: amountWire(0) }, 'amount'],
        [{ type: 'purchase-with-cashback', amount: amountWire(5000), 'amount-other': amountWire(0) }, 'amount-other'],
      ] as [XmlElement, string][]) {
        const x = await rawCommand(sim.port, tx(body));
        assert.equal(status(x), 'invalidarguments', JSON.stringify(body));
        assert.match(errorTexts(x.response)[0], new RegExp(`^${field}: must be an integer number of minor units \\(kopecks\\) from 1 to`));
      }
      assert.equal(sim.log().length, 0);
      const ok = await rawCommand(sim.port, tx({ type: 'purchase-with-cashback', amount: amountWire(5000), 'amount-other': amountWire(1000) }));
      assert.equal(status(ok), 'ok');
    });
  });

  describe('sethostkey (§8.15: the document sets no key length)', () => {
    it('takes any non-empty Base64 key up to 64 bytes, our own 8-byte example included', async () => {
      await start();
      const token = await plainLogin(sim.port);
      const setKey = (material: string) => rawCommand(sim.port, packet('sethostkey', { token, name: 'hkey1', material }));
      for (const bytes of [1, 8, 16, 24, 32, 64]) {
        const x = await setKey(Buffer.alloc(bytes, 0x5a).toString('base64'));
        assert.equal(status(x), 'ok', `${bytes} bytes`);
      }
      const tooLong = await setKey(Buffer.alloc(65, 1).toString('base64'));
      assert.equal(status(tooLong), 'invalidarguments');
      assert.equal(errorTexts(tooLong.response)[0], 'material: must be a Base64 key of 1 to 64 bytes');
      assert.equal(status(await setKey('not base64!')), 'formaterror');
    });
  });

  describe('forced refund (§8.9 B: "add the attribute forced = true", example: an element)', () => {
    it('honours forced as an attribute and as an element: no card is asked for', async () => {
      await start();
      const sale = await rawCommand(sim.port, tx({ type: 'purchase', amount: amountWire(3000) }));
      const rrn = childText(receiptOf(sale), 'rrn') ?? '';
      const asAttribute = await rawCommand(sim.port, tx({ type: 'refund', amount: amountWire(1000), rrn }, { forced: 'true' }));
      const asElement = await rawCommand(sim.port, tx({ type: 'refund', amount: amountWire(1000), rrn, forced: 'true' }));
      const both = await rawCommand(sim.port, tx({ type: 'refund', amount: amountWire(1000), rrn, forced: 'true' }, { forced: 'true' }));
      for (const x of [asAttribute, asElement, both]) {
        assert.equal(status(x), 'ok');
        assert.ok(!displayCodes(x).includes('15'), 'no "present card"');
        assert.equal(childText(receiptOf(x), 'type'), 'refund');
      }
      assert.deepEqual(
        sim.log().slice(1).map((r) => r.entry),
        ['forced', 'forced', 'forced'],
      );
      const plain = await rawCommand(sim.port, tx({ type: 'refund', amount: amountWire(1000), rrn }, { forced: 'false' }));
      assert.ok(displayCodes(plain).includes('15'), 'forced="false": the card is asked for');
    });

    it('refuses an attribute and an element that disagree, or a value that is not true/false', async () => {
      await start();
      const rrn = '120157645346';
      const disagree = await rawCommand(sim.port, tx({ type: 'refund', amount: amountWire(1000), rrn, forced: 'false' }, { forced: 'true' }));
      assert.equal(status(disagree), 'invalidarguments');
      assert.match(errorTexts(disagree.response)[0], /^forced: is given twice/);
      const bad = await rawCommand(sim.port, tx({ type: 'refund', amount: amountWire(1000), rrn }, { forced: 'yes' }));
      assert.equal(status(bad), 'formaterror');
      assert.equal(sim.log().length, 0);
    });
  });

  describe('reset-connected-indicator (§10: 1 when the activator connects)', () => {
    it('turns to 1 on the TCP connection to the activator port, before <reset/>, and back to 0 if it leaves', async () => {
      await start();
      const token = await plainLogin(sim.port);
      const indicators: string[] = [];
      let onIndicator: ((value: string) => void) | undefined;
      const running = rawCommand(sim.port, packet('runreset', { token }), {
        answer: (m) => {
          const value = childText(m.body, 'reset-connected-indicator') ?? '';
          indicators.push(value);
          onIndicator?.(value);
          return undefined;
        },
        timeoutMs: 10_000,
      });
      const next = (wanted: string) =>
        new Promise<void>((resolve) => {
          onIndicator = (value) => {
            if (value === wanted) resolve();
          };
        });
      await sim.waitForEvent((e) => e.type === 'message' && e.name === 'keep-alive');
      const connected = next('1');
      const idle = await openSocket(sim.activatorPort);
      await connected;
      const disconnected = next('0');
      idle.destroy();
      await disconnected;
      const again = next('1');
      const activator = await openSocket(sim.activatorPort);
      await again;
      const started = sim.waitForEvent((e) => e.type === 'activator' && e.step === 'reset');
      await activator.send(packet('reset'));
      await started;
      // Answer the certificate requests so runreset ends.
      for (;;) {
        const request = await activator.receive(10_000);
        if (request.name === 'queryconfigcredentials') {
          await activator.send(packet(request.name, { confdata: { cert: 'AB', sign: 'CD', url: 'https://config.example.test' } }));
          break;
        }
        await activator.send(packet(request.name, { 'signed-cert': { cert: 'AB', ca: 'CD' } }));
      }
      const x = await running;
      activator.destroy();
      assert.equal(status(x), 'ok', errorTexts(x.response).join('; '));
      assert.equal(indicators[0], '0');
      const firstOne = indicators.indexOf('1');
      assert.ok(firstOne > 0 && indicators.slice(firstOne).includes('0'), indicators.join(''));
    });
  });

  describe('MIFARE close without a receipt (§8.9: what the terminal does next is not said)', () => {
    const closeAnswer = (seen: Packet[]) => (m: Packet): XmlElement | undefined => {
      if (m.name !== 'card') return undefined;
      seen.push(m);
      return { code: 'close' };
    };

    it('continue (the default): the terminal goes on detecting a bank card', async () => {
      await start();
      await sim.insertMifareCard({});
      const seen: Packet[] = [];
      const x = await rawCommand(sim.port, tx({ type: 'purchase', amount: amountWire(100) }), { answer: closeAnswer(seen) });
      assert.equal(seen.length, 1);
      assert.equal(status(x), 'ok');
      assert.equal(childText(receiptOf(x), 'pan'), '************1111', 'the bank card paid');
      assert.equal(sim.log().length, 1);
    });

    it('end (scenario option): the transaction ends cancelled, without a receipt, nothing recorded', async () => {
      await start({ mifare: { closeWithoutReceipt: 'end' } });
      await sim.insertMifareCard({});
      const seen: Packet[] = [];
      const events = eventsOf(sim);
      const x = await rawCommand(sim.port, tx({ type: 'purchase', amount: amountWire(100) }), { answer: closeAnswer(seen) });
      assert.equal(seen.length, 1);
      assert.equal(status(x), 'cancelled');
      assert.equal(receiptOf(x), undefined);
      assert.match(errorTexts(x.response)[0], /closed without a receipt/);
      assert.ok(!events.some((e) => e.type === 'card-presented' && e.source !== 'mifare'), 'no bank card detected');
      assert.equal(sim.log().length, 0);
      // An empty receipt is no receipt; a close with one still completes the payment.
      const empty = await rawCommand(sim.port, tx({ type: 'purchase', amount: amountWire(100) }), {
        answer: (m) => (m.name === 'card' ? { code: 'close', receipt: '' } : undefined),
      });
      assert.equal(status(empty), 'cancelled');
      const paid = await rawCommand(sim.port, tx({ type: 'purchase', amount: amountWire(100) }), {
        answer: (m) => (m.name === 'card' ? { code: 'close', receipt: { status: 'approved' } } : undefined),
      });
      assert.equal(status(paid), 'ok');
      assert.equal(childText(receiptOf(paid), 'iface'), 'mifare');
    });

    it('is switched at run time through the control API and the handle; reset restores the scenario', async () => {
      await start();
      await sim.insertMifareCard({});
      const purchase = () =>
        rawCommand(sim.port, tx({ type: 'purchase', amount: amountWire(100) }), { answer: closeAnswer([]) }).then(status);
      const put = await controlCall(sim, 'PUT', '/mifare/close-without-receipt', { mode: 'end' });
      assert.deepEqual(put.json, { ok: true, mode: 'end' });
      assert.equal(((await controlCall(sim, 'GET', '/state')).json.mifare as { closeWithoutReceipt: string }).closeWithoutReceipt, 'end');
      assert.equal(await purchase(), 'cancelled');
      await controlCall(sim, 'PUT', '/mifare/close-without-receipt', { mode: 'continue' });
      assert.equal(await purchase(), 'ok');
      sim.setMifareCloseWithoutReceipt('end');
      assert.equal(await purchase(), 'cancelled');
      const bad = await controlCall(sim, 'PUT', '/mifare/close-without-receipt', { mode: 'stop' });
      assert.equal(bad.code, 400);
      assert.equal(bad.json.field, 'mode');
      await controlCall(sim, 'POST', '/reset');
      assert.equal(((await controlCall(sim, 'GET', '/state')).json.mifare as { closeWithoutReceipt: string }).closeWithoutReceipt, 'continue');
    });
  });

  describe('large reports (§8.11: a full report lists every transaction)', () => {
    for (const encrypted of [false, true]) {
      it(`sends a full report of 5,000 transactions (${encrypted ? 'encrypted' : 'plain'}), larger than 1 MiB`, async () => {
        await start();
        const seeded = await controlCall(sim, 'POST', '/log/seed', { count: 5000 });
        assert.deepEqual(seeded.json, { records: 5000 });
        const key = encrypted ? (await secureLogin(sim.port)).key : undefined;
        const x = await rawCommand(sim.port, packet('report', { password: PASSWORD, 'report-type': 'full' }), {
          key,
          maxFrameSize: DEFAULT_MAX_RESPONSE_FRAME_SIZE,
        });
        assert.equal(status(x), 'ok');
        assert.equal(x.encrypted, encrypted);
        const transactions = childList(childElement(childElement(x.response.body, 'xreport'), 'transactions'), 't');
        assert.equal(transactions.length, 5000);
      });
    }

    it('the 5,000-transaction report frame is above 1 MiB and within the default response limit', async () => {
      await start();
      await sim.seedLog(5000);
      const socket = await openSocket(sim.port, '127.0.0.1', DEFAULT_MAX_RESPONSE_FRAME_SIZE);
      try {
        const header = new Promise<number>((resolve) => socket.socket.once('data', (chunk: Buffer) => resolve(chunk.readUInt32BE(0))));
        await socket.send(packet('report', { password: PASSWORD, 'report-type': 'full' }));
        const size = await header;
        assert.ok(size > 1024 * 1024, `${size} bytes`);
        assert.ok(size < DEFAULT_MAX_RESPONSE_FRAME_SIZE);
        assert.equal(status({ response: await socket.receive(10_000), messages: [], encrypted: false }), 'ok');
      } finally {
        socket.destroy();
      }
    });

    it('a response above maxResponseFrameSize is answered systemerror naming the limit', async () => {
      const logLines: string[] = [];
      await start({ maxResponseFrameSize: 64 * 1024, logger: (line) => logLines.push(line) });
      await sim.seedLog(1000);
      const full = await rawCommand(sim.port, packet('report', { password: PASSWORD, 'report-type': 'full' }));
      assert.equal(status(full), 'systemerror');
      assert.match(errorTexts(full.response)[0], /report response of \d+ bytes exceeds the simulator's limit of 65536 \(maxResponseFrameSize\)/);
      assert.ok(logLines.some((l) => l.includes('maxResponseFrameSize')));
      const brief = await rawCommand(sim.port, packet('report', { password: PASSWORD, 'report-type': 'brief' }));
      assert.equal(status(brief), 'ok');
    });

    it('seeding is bounded and validated', async () => {
      await start();
      for (const count of [0, -1, 1.5, 100_001, '10']) {
        const bad = await controlCall(sim, 'POST', '/log/seed', { count });
        assert.equal(bad.code, 400, String(count));
        assert.equal(bad.json.field, 'count');
      }
      assert.equal(sim.log().length, 0);
    });
  });
});

import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { childElement, childList, childText, packet, type XmlElement } from '../../../lib/codec/packet';
import type { SimulatorHandle } from '../../../lib/simulator';
import { startTestSimulator } from '../../helpers/sim-fixtures';
import { amountWire, rawCommand, status } from '../../helpers/sim-raw-client';

const tx = (body: XmlElement) => packet('transaction', body);
const report = (type: 'brief' | 'full') => packet('report', { password: '12345678', 'report-type': type });

describe('simulator report, settlement, clear and the persisted log', () => {
  let sim: SimulatorHandle;
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'jpay-sim-reports-'));
  });
  afterEach(async () => {
    await sim?.close();
    await rm(dir, { recursive: true, force: true });
  });

  async function sampleDay(): Promise<void> {
    await rawCommand(sim.port, tx({ type: 'purchase', amount: amountWire(10000) }));
    sim.setNextCard('mastercard');
    await rawCommand(sim.port, tx({ type: 'purchase', amount: amountWire(5000) }));
    await rawCommand(sim.port, tx({ type: 'refund', amount: amountWire(2000) }));
    await rawCommand(sim.port, tx({ type: 'void', number: '1', amount: amountWire(1000) }));
    await rawCommand(sim.port, tx({ type: 'purchase', amount: amountWire(77741) }));
  }

  it('full report: transactions, totals per card type (approved only), signed grand total', async () => {
    sim = await startTestSimulator();
    await sampleDay();
    const full = childElement((await rawCommand(sim.port, report('full'))).response.body, 'xreport');
    assert.equal(childList(childElement(full, 'transactions'), 't').length, 5);
    const types = childList(childElement(full, 'totals'), 'card-type') as XmlElement[];
    const visa = types.find((c) => childText(c, 'name') === 'VISA');
    const mc = types.find((c) => childText(c, 'name') === 'MASTERCARD');
    assert.equal(childText(visa, 'rid'), 'A000000003');
    assert.equal(childText(visa, 'purchase-count'), '1');
    assert.equal(childText(visa, 'purchase-reversal-sum'), '000000001000');
    assert.equal(childText(visa, 'refund-count'), '1', 'the refund used the default card');
    assert.equal(childText(mc, 'purchase-sum'), '000000005000');
    const grand = childElement(full, 'grand-totals');
    assert.equal(childText(grand, 'total-count'), '4');
    // 10000 + 5000 - 2000 - 1000 = 12000 (D = plus); the declined one does not count.
    assert.equal(childText(grand, 'total-sum'), 'D000000012000');
    const brief = childElement((await rawCommand(sim.port, report('brief'))).response.body, 'xreport');
    assert.equal(childElement(brief, 'transactions'), undefined);
  });

  it('settlement passes, reports from/to/tnum and empties the log; a mismatch with a failed upload keeps it', async () => {
    sim = await startTestSimulator({ settlement: { hostDifference: 100, batchUpload: 'failed' } });
    await sampleDay();
    const failed = await rawCommand(sim.port, packet('settlement', { password: '12345678' }));
    assert.equal(status(failed), 'batchuploadfailed');
    const failedReport = childElement(failed.response.body, 'sreport');
    assert.equal(childText(failedReport, 'settlement-result'), 'failed');
    assert.equal(childText(failedReport, 'amount'), 'D000000012100');
    assert.equal(sim.log().length, 5);
    sim.setSettlement({ hostDifference: 0 });
    const passed = await rawCommand(sim.port, packet('settlement', { password: '12345678' }));
    const sreport = childElement(passed.response.body, 'sreport');
    assert.equal(status(passed), 'ok');
    assert.equal(childText(sreport, 'settlement-result'), 'passed');
    assert.equal(childText(sreport, 'orig-amount'), 'D000000012000');
    assert.equal(childText(sreport, 'amount'), 'D000000012000');
    assert.equal(childText(sreport, 'tnum'), '4');
    assert.match(childText(sreport, 'from') ?? '', /^\d{12}$/);
    assert.match(childText(sreport, 'cov-rrn') ?? '', /^\d{12}$/);
    assert.equal(sim.log().length, 0);
    const next = await rawCommand(sim.port, tx({ type: 'purchase', amount: amountWire(100) }));
    assert.equal(childText(childElement(next.response.body, 'receipt'), 'seq'), '000006', 'numbering continues');
  });

  it('clear empties the log unconditionally', async () => {
    sim = await startTestSimulator();
    await sampleDay();
    const cleared = await rawCommand(sim.port, packet('clear', { password: '12345678' }));
    assert.equal(status(cleared), 'ok');
    assert.equal(childText(childElement(cleared.response.body, 'sreport'), 'orig-amount'), 'D000000012000');
    assert.equal(sim.log().length, 0);
  });

  it('the persisted log survives a restart: void by number and totals still work', async () => {
    const logFile = join(dir, 'terminal-log.json');
    sim = await startTestSimulator({ logFile });
    await rawCommand(sim.port, tx({ type: 'purchase', amount: amountWire(4000) }));
    await sim.close();
    sim = await startTestSimulator({ logFile });
    assert.equal(sim.log().length, 1);
    const voided = await rawCommand(sim.port, tx({ type: 'void', number: '1' }));
    assert.equal(status(voided), 'ok');
    assert.equal(childText(childElement(voided.response.body, 'receipt'), 'seq'), '000002');
    await sim.close();
    sim = await startTestSimulator({ logFile });
    const again = await rawCommand(sim.port, tx({ type: 'void', number: '1' }));
    assert.equal(status(again), 'alreadyreversed');
  });
});

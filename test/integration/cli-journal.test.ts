// `jpay --journal FILE` and `jpay recover` (in process, through main(), against the
// simulator over TCP): every transaction journaled before it is sent, a lost answer
// settled from the report, earlier runs' unknown outcomes recovered before the next sale
// (block / warn), and what needs a person listed.

import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { main, type CliIo } from '../../lib/cli/jpay/main';
import { TransactionRecovery } from '../../lib/recovery';
import type { SimulatorHandle } from '../../lib/simulator';
import { startTestSimulator } from '../helpers/sim-fixtures';

const PASSWORD = '12345678';

interface Run {
  code: number;
  out: string;
  err: string;
}

async function jpay(argv: string[]): Promise<Run> {
  const state = { out: '', err: '' };
  const io: CliIo = { argv, env: {}, stdout: (t) => (state.out += t), stderr: (t) => (state.err += t) };
  const code = await main(io);
  return { code, ...state };
}

describe('jpay --journal FILE and jpay recover (in process, simulator over TCP)', function () {
  this.timeout(20_000);
  let sim: SimulatorHandle;
  let dir: string;
  let journal: string;
  let base: string[];

  beforeEach(async () => {
    sim = await startTestSimulator({ terminal: { password: PASSWORD } });
    dir = await mkdtemp(path.join(os.tmpdir(), 'jpay-cli-journal-'));
    journal = path.join(dir, 'jpay.journal');
    base = ['--port', String(sim.port), '--journal', journal, '--settle', '0'];
  });

  afterEach(async () => {
    await sim.close();
    await rm(dir, { recursive: true, force: true });
  });

  async function entries(): Promise<{ state: string; outcome?: string }[]> {
    const recovery = await TransactionRecovery.open(journal);
    try {
      return recovery.journal.list().map((e) => ({ state: e.state, ...(e.recovery ? { outcome: e.recovery.outcome } : {}) }));
    } finally {
      await recovery.close();
    }
  }

  it('journals a sale: answered, the output unchanged', async () => {
    const r = await jpay([...base, 'purchase', '--amount', '10']);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /^APPROVED {2}purchase 10\.00/);
    assert.deepEqual(await entries(), [{ state: 'answered' }]);
  });

  it('a lost answer with the password: settled from the report — RECOVERED, approved, exit 0; nothing sent twice', async () => {
    const r = await jpay([...base, '--password', PASSWORD, 'purchase', '--amount', '777.81']);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /^RECOVERED {2}purchase 777\.81: APPROVED \(charged\)/);
    assert.match(r.out, /receipt 0+1/);
    assert.equal(sim.log().length, 1);
    assert.deepEqual(await entries(), [{ state: 'recovered', outcome: 'approved' }]);
    const j = await jpay([...base, '--password', PASSWORD, '--json', 'purchase', '--amount', '777.80']);
    assert.equal(j.code, 1, j.err);
    const out = JSON.parse(j.out) as { outcome: string; approved: boolean; recovered: { outcome: string } };
    assert.deepEqual([out.outcome, out.approved, out.recovered.outcome], ['declined', false, 'declined-or-not-recorded']);
  });

  it('an earlier run left it unknown: block refuses the next sale (nothing sent) until `jpay recover` settles it', async () => {
    const lost = await jpay([...base, 'purchase', '--amount', '777.81']);
    assert.equal(lost.code, 3, 'no password: it stays unknown');
    assert.match(lost.out, /OUTCOME UNKNOWN/);
    const refused = await jpay([...base, 'purchase', '--amount', '5']);
    assert.equal(refused.code, 3);
    assert.match(refused.err, /1 earlier transaction\(s\) .* unknown outcome/);
    assert.match(refused.err, /not sent: nothing was charged/);
    assert.equal(sim.log().length, 1, 'the refused sale never reached the terminal');

    const recovered = await jpay([...base, '--password', PASSWORD, 'recover']);
    assert.equal(recovered.code, 0, recovered.err);
    assert.match(recovered.out, /^RECOVERY: 1 transaction\(s\) settled from the report/);
    assert.match(recovered.out, /purchase 777\.81: APPROVED \(charged\), receipt/);
    const sale = await jpay([...base, 'purchase', '--amount', '5']);
    assert.equal(sale.code, 0, sale.err);
  });

  it('with the password, the next sale recovers the earlier one first and says so on stderr', async () => {
    assert.equal((await jpay([...base, 'purchase', '--amount', '777.81'])).code, 3);
    const r = await jpay([...base, '--password', PASSWORD, 'purchase', '--amount', '5']);
    assert.equal(r.code, 0, r.err);
    assert.match(r.err, /jpay: earlier transaction .*purchase 777\.81: APPROVED \(charged\)/);
    assert.match(r.out, /^APPROVED {2}purchase 5\.00/);
  });

  it('--policy warn: sells with a warning', async () => {
    assert.equal((await jpay([...base, 'purchase', '--amount', '777.81'])).code, 3);
    const r = await jpay([...base, '--policy', 'warn', 'purchase', '--amount', '5']);
    assert.equal(r.code, 0, r.err);
    assert.match(r.err, /warning: .*selling anyway \(policy warn\)/);
  });

  it('recover lists outcomes kept for Node-RED nodes and takes one with --acknowledge', async () => {
    const setup = await TransactionRecovery.open(journal);
    const id = await setup.journal.begin({ request: { type: 'purchase', amount: 900 }, host: '127.0.0.1', port: sim.port, encrypted: false, annotations: { owner: 'node-7' } });
    await setup.journal.answered(id, { status: 'ok', ok: true, errors: [], approved: true, receipt: { header: [], footer: [], approved: true, seq: '000042' } }, { undelivered: true });
    await setup.close();
    const listed = await jpay([...base, '--password', PASSWORD, 'recover']);
    assert.equal(listed.code, 0, listed.err);
    assert.match(listed.out, /Kept for Node-RED nodes that never received them \(1\):/);
    assert.match(listed.out, new RegExp(`${id} .*purchase 9\\.00: APPROVED \\(charged\\), receipt 000042 .* for node node-7`));
    const taken = await jpay([...base, '--password', PASSWORD, '--json', 'recover', '--acknowledge', id]);
    const out = JSON.parse(taken.out) as { result: { acknowledged: string; undelivered: unknown[] } };
    assert.equal(out.result.acknowledged, id);
    assert.deepEqual(out.result.undelivered, []);
  });

  it('usage: recover needs --journal; --policy and --settle only with it', async () => {
    const r = await jpay(['--password', PASSWORD, 'recover']);
    assert.equal(r.code, 2);
    assert.match(r.err, /recover needs --journal FILE/);
    assert.match((await jpay(['--policy', 'warn', 'purchase', '--amount', '1'])).err, /--policy: only with --journal FILE/);
    assert.match((await jpay(['--journal', journal, '--policy', 'maybe', 'purchase', '--amount', '1'])).err, /--policy: expected block or warn/);
  });
});

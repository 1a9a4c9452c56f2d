/**
 * Issue 11, case 7, as `jpay` prints it (in process, against a scripted terminal over TCP):
 * the CLI says what the library and the nodes say — an answer that contradicts itself is
 * OUTCOME UNKNOWN (exit 3), never DECLINED; an approval for another amount prints the
 * amount the receipt authorized, and warns.
 */
import assert from 'node:assert/strict';
import { CliIo, main } from '../../../lib/cli/jpay/main';
import { packet, XmlElement } from '../../../lib/codec/packet';
import { approvedReceipt, reply, Script, ScriptedTerminal } from '../../helpers/scripted-terminal';

function io(argv: string[]): CliIo & { out: string; err: string } {
  const state = {
    argv,
    env: {},
    out: '',
    err: '',
    stdout(text: string) {
      state.out += text;
    },
    stderr(text: string) {
      state.err += text;
    },
  };
  return state;
}

describe('jpay: contradictory answers and the authorized amount', () => {
  let terminal: ScriptedTerminal | undefined;

  afterEach(async () => {
    await terminal?.close();
    terminal = undefined;
  });

  async function run(script: Script, argv: string[]): Promise<{ code: number; out: string; err: string }> {
    await terminal?.close();
    terminal = await ScriptedTerminal.start([script]);
    const x = io(['--port', String(terminal.port), ...argv]);
    const code = await main(x);
    await terminal.done();
    return { code, out: x.out, err: x.err };
  }

  function answer(body: XmlElement): Script {
    return async (conn) => {
      await conn.expect('transaction');
      await conn.send(packet('transaction', body));
    };
  }

  it('prints the amount with its currency before the terminal asks for the card; --amount-minor takes kopecks', async () => {
    const r = await run(reply('transaction', 'ok', approvedReceipt(1_500_000)), ['purchase', '--amount', '15000']);
    assert.equal(r.code, 0, r.err);
    assert.match(r.err, /^\[request\] purchase 15000\.00 RUB \(the terminal's default currency\)$/m);
    const k = await run(reply('transaction', 'ok', approvedReceipt(15_000, { currency: '840' })), ['purchase', '--amount-minor', '15000', '--currency', '840']);
    assert.equal(k.code, 0, k.err);
    assert.match(k.err, /^\[request\] purchase 150\.00 USD$/m);
    const j = await run(reply('transaction', 'ok', approvedReceipt(15_000)), ['purchase', '--amount-minor', '15000', '--json']);
    assert.equal((JSON.parse(j.out) as { request: { amount: number } }).request.amount, 15_000);
  });

  it('a decline: outcome "declined" in the JSON, with the reason and the response code', async () => {
    const declined = approvedReceipt(100, { tstatus: 'declined', 'decline-reason': 'onlinedeclined', 'resp-code': '051', 'resp-code-description': 'Insufficient funds' });
    const r = await run(reply('transaction', 'ok', declined), ['purchase', '--amount', '1', '--json']);
    assert.equal(r.code, 1, r.err);
    const out = JSON.parse(r.out) as { outcome: string; result: { receipt: { declineReason: string; respCode: string } } };
    assert.equal(out.outcome, 'declined');
    assert.deepEqual([out.result.receipt.declineReason, out.result.receipt.respCode], ['onlinedeclined', '051']);
  });

  it('status failed with an approved receipt: OUTCOME UNKNOWN, exit 3 (the library and the nodes say the same)', async () => {
    const r = await run(answer({ status: 'failed', ...approvedReceipt(500_000) }), ['purchase', '--amount', '5000']);
    assert.equal(r.code, 3, r.err);
    assert.match(r.out, /^OUTCOME UNKNOWN {2}purchase 5000\.00/);
    assert.match(r.out, /its answer was refused \(contradictory-answer\)/);
    assert.doesNotMatch(r.out, /DECLINED|APPROVED/);
  });

  it('a duplicated status: OUTCOME UNKNOWN with the reason in the JSON', async () => {
    const r = await run(answer({ status: ['ok', 'failed'], ...approvedReceipt(100) }), ['purchase', '--amount', '1', '--json']);
    assert.equal(r.code, 3, r.err);
    const out = JSON.parse(r.out) as { outcome: string; error: { type: string; reason: string } };
    assert.equal(out.outcome, 'unknown');
    assert.equal(out.error.type, 'TransactionOutcomeUnknown');
    assert.equal(out.error.reason, 'contradictory-answer');
  });

  it('approved for 0.01 when 5000.00 was asked: prints the receipt amount and a warning', async () => {
    const r = await run(reply('transaction', 'ok', approvedReceipt(1)), ['purchase', '--amount', '5000']);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /^APPROVED {2}purchase 0\.01\n/);
    assert.match(r.out, /WARNING: the terminal authorized 0\.01 RUB, not the 5000\.00 RUB requested/);
    assert.match(r.err, /authorized another amount than requested/);
    const j = await run(reply('transaction', 'ok', approvedReceipt(1)), ['purchase', '--amount', '5000', '--json']);
    const out = JSON.parse(j.out) as { outcome: string; result: { requestedAmount: number; authorizedAmount: number; amountMismatch: boolean } };
    assert.equal(out.outcome, 'approved');
    assert.deepEqual([out.result.requestedAmount, out.result.authorizedAmount, out.result.amountMismatch], [500_000, 1, true]);
  });
});

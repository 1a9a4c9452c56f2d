/**
 * The jpay-terminal's limits through the real runtime, against scripted terminals that do
 * what the vendor document allows (issue 13): keep-alives during a settlement restart the
 * idle limit; a silent terminal fails on the idle limit, and every error names the limit
 * that fired, as the library and the CLI do.
 */
import assert from 'node:assert/strict';
import { packet } from '../../lib/codec/packet';
import type { OutcomeUnknownPayload } from '../../lib/results/outcome-unknown';
import type { SReport } from '../../lib/protocol/types';
import { ScriptedTerminal, type Script, slowSettlement } from '../helpers/scripted-terminal';
import { errorOf, loadNode, nodeTestbed, PASSWORD } from './fixtures';

const LIMITS = { idleTimeout: '300', commandTimeout: '20000', transactionTimeout: '20000' };

describe('nodes: the terminal limits (built, real runtime, scripted terminal over TCP)', function () {
  this.timeout(15000);
  nodeTestbed(); // the flow unloaded after each test
  let terminal: ScriptedTerminal | undefined;

  async function start(scripts: Script[]): Promise<{ host: string; port: number }> {
    terminal = await ScriptedTerminal.start(scripts);
    return { host: '127.0.0.1', port: terminal.port };
  }

  afterEach(async () => {
    await terminal?.close();
    terminal = undefined;
  });

  it('jpay-settlement: keep-alives for longer than the idle limit pass; then silence fails naming the idle limit', async () => {
    const at = await start([
      slowSettlement(8, 100),
      async (conn) => {
        await conn.expect('settlement');
        await conn.stall();
      },
    ]);
    const flow = await loadNode(at, { type: 'jpay-settlement', operation: 'settlement' }, LIMITS);
    flow.send({ payload: 'end of day' });
    assert.equal(((await flow.out.next()).payload as SReport).passed, true);
    flow.send({ payload: 'again' });
    const err = errorOf(await flow.caught.next());
    assert.equal(err.code, 'JPAY_TIMEOUT');
    assert.equal(err.message, 'JpayTimeoutError: idle limit of 300 ms reached: nothing from the terminal for that long (timeouts.idleMs)');
    assert.ok(!JSON.stringify(flow.all).includes(PASSWORD));
  });

  it('jpay-transaction: a terminal silent after "present card" is an unknown outcome naming the idle limit', async () => {
    const at = await start([
      async (conn) => {
        await conn.expect('transaction');
        await conn.message(packet('display', { code: '15' }));
        await conn.stall();
      },
    ]);
    const flow = await loadNode(at, { type: 'jpay-transaction', txType: 'purchase' }, LIMITS);
    flow.send({ payload: { amount: 500 } });
    const caught = await flow.caught.next();
    assert.equal(errorOf(caught).code, 'JPAY_OUTCOME_UNKNOWN');
    assert.match(errorOf(caught).message, /^TransactionOutcomeUnknown: transaction outcome unknown \(in-dialogue, timeout\): idle limit of 300 ms reached/);
    const known = caught.payload as OutcomeUnknownPayload;
    assert.deepEqual([known.unknownReason, known.limit, known.transaction.lastDisplayCode], ['timeout', 'idle', '15']);
  });
});

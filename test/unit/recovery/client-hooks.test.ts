import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { JpayClient, type JpayClientOptions, type TransactionHooks, type TransactionSettlement, type TransactionStart } from '../../../lib/client';
import { packet } from '../../../lib/codec/packet';
import { JpayValidationError, TransactionOutcomeUnknown } from '../../../lib/errors';
import { RecoveryPendingError, TransactionJournal, TransactionRecovery, terminalKey, type TransactionRecoveryOptions } from '../../../lib/recovery';
import { acceptLogin, approvedReceipt, reply, ScriptedTerminal, type Script } from '../../helpers/scripted-terminal';

const PASSWORD = '13572468';

function gate(): { promise: Promise<void>; open(): void } {
  let open!: () => void;
  const promise = new Promise<void>((resolve) => (open = resolve));
  return { promise, open };
}

/** A connection on which the client must send nothing. */
const nothingSent: Script = async (conn) => {
  await conn.closed;
};

/** The hooks of a TransactionRecovery over the journal (its new-sale policy included). */
function journalHooks(journal: TransactionJournal, options: TransactionRecoveryOptions = {}): TransactionHooks {
  return new TransactionRecovery(journal, options).hooks;
}

describe('recovery: the client transaction hooks', () => {
  let terminal: ScriptedTerminal | undefined;
  let client: JpayClient | undefined;
  let journal: TransactionJournal | undefined;
  let dir: string | undefined;

  async function setup(scripts: Script[], options: Partial<JpayClientOptions> = {}): Promise<JpayClient> {
    terminal = await ScriptedTerminal.start(scripts);
    client = new JpayClient({ host: '127.0.0.1', port: terminal.port, password: PASSWORD, ...options });
    return client;
  }

  async function openJournal(): Promise<TransactionJournal> {
    dir = await mkdtemp(path.join(os.tmpdir(), 'jpay-hooks-'));
    journal = await TransactionJournal.open(path.join(dir, 'journal.jsonl'));
    return journal;
  }

  afterEach(async () => {
    await client?.close();
    await terminal?.close();
    await journal?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
    client = undefined;
    terminal = undefined;
    journal = undefined;
    dir = undefined;
  });

  it('awaits beforeSend before the first byte of the transaction, then reports the answer', async () => {
    const entered = gate();
    const release = gate();
    const settled: TransactionSettlement[] = [];
    const starts: TransactionStart[] = [];
    const hooks: TransactionHooks = {
      async beforeSend(start) {
        starts.push(start);
        entered.open();
        await release.promise;
        return 'ticket-1';
      },
      settled(ticket, s) {
        assert.equal(ticket, 'ticket-1');
        settled.push(s);
      },
    };
    const c = await setup([reply('transaction', 'ok', approvedReceipt(700))], { transactionHooks: hooks });
    const pending = c.transaction({ type: 'purchase', amount: 700 }, { annotations: { order: 'A-17', reverse: true } });
    await entered.promise;
    assert.equal(terminal!.received.length, 0, 'nothing reached the terminal while the hook ran');
    release.open();
    const result = await pending;
    assert.equal(result.approved, true);
    assert.deepEqual(starts, [{ request: { type: 'purchase', amount: 700 }, host: '127.0.0.1', port: terminal!.port, encrypted: false, annotations: { order: 'A-17', reverse: true } }]);
    assert.equal(settled.length, 1);
    assert.equal(settled[0].kind, 'answered');
    await terminal!.done();
  });

  it('a rejecting beforeSend stops the transaction: nothing is sent, the caller gets that error', async () => {
    const refusal = new Error('journal disk is full');
    let settledCalls = 0;
    const c = await setup([nothingSent], {
      transactionHooks: {
        beforeSend: () => Promise.reject(refusal),
        settled: () => (settledCalls += 1),
      },
    });
    await assert.rejects(c.transaction({ type: 'purchase', amount: 100 }), (e: unknown) => e === refusal);
    await terminal!.done();
    assert.deepEqual(terminal!.received, []);
    assert.equal(settledCalls, 0);
  });

  it('reports a lost answer as unknown, and an abort during the hook as not sent', async () => {
    const settled: TransactionSettlement['kind'][] = [];
    const controller = new AbortController();
    const c = await setup(
      [
        async (conn) => {
          await conn.expect('transaction');
          conn.drop();
        },
        nothingSent,
      ],
      {
        transactionHooks: {
          beforeSend: async (start) => {
            if (start.request.amount === 2) controller.abort();
            return start.request.amount;
          },
          settled: (_t, s) => settled.push(s.kind),
        },
      },
    );
    await assert.rejects(c.transaction({ type: 'purchase', amount: 1 }), TransactionOutcomeUnknown);
    await assert.rejects(c.transaction({ type: 'purchase', amount: 2 }, { signal: controller.signal }), { name: 'AbortError' });
    await terminal!.done();
    assert.deepEqual(settled, ['unknown', 'not-sent']);
  });

  it('the hook runs while the connection opens; a terminal that cannot be reached is told as not sent', async () => {
    const closed = await ScriptedTerminal.start([]);
    const port = closed.port;
    await closed.close();
    const settled: TransactionSettlement['kind'][] = [];
    client = new JpayClient({ host: '127.0.0.1', port, timeouts: { connectMs: 500 }, transactionHooks: { beforeSend: () => 'ticket', settled: (_t, s) => settled.push(s.kind) } });
    await assert.rejects(client.transaction({ type: 'purchase', amount: 100 }), (e: unknown) => !(e instanceof TransactionOutcomeUnknown));
    assert.deepEqual(settled, ['not-sent']);
  });

  it('hooks hear send("transaction") too, never other commands, and never see card data', async () => {
    const starts: TransactionStart['request'][] = [];
    const scripts: Script[] = [
      acceptLogin(),
      reply('getparameters', 'ok', { parameters: { tid: '1' } }),
      reply('transaction', 'ok', approvedReceipt(5)),
      async (conn) => {
        const p = await conn.expect('transaction');
        assert.equal(p.body.pan, '4111111111111111', 'the terminal gets the card data');
        await conn.respond('ok', approvedReceipt(9, { seq: '000010' }));
      },
    ];
    const c = await setup(scripts, { transactionHooks: { beforeSend: (s) => starts.push(s.request) } });
    await c.getParameters();
    await c.send('transaction', { type: 'purchase', amount: 5 });
    await c.transaction({ type: 'purchase', amount: 9, manual: { pan: '4111111111111111', expiry: '3012', cardholder: 'A N OTHER' } });
    await terminal!.done();
    assert.deepEqual(starts, [
      { type: 'purchase', amount: 5 },
      { type: 'purchase', amount: 9, manual: true },
    ]);
    assert.ok(!JSON.stringify(starts).includes('4111'));
  });

  it('a failing settled hook is logged and changes nothing', async () => {
    const warnings: string[] = [];
    const c = await setup([reply('transaction', 'ok', approvedReceipt(3))], {
      transactionHooks: {
        settled: () => {
          throw new Error('disk gone');
        },
      },
      logger: { warn: (m, f) => warnings.push(`${m} ${JSON.stringify(f)}`) },
    });
    const result = await c.transaction({ type: 'purchase', amount: 3 });
    assert.equal(result.approved, true);
    assert.ok(warnings.some((w) => w.includes('a transaction hook failed') && w.includes('disk gone')), warnings.join('\n'));
    await terminal!.done();
  });

  it('validates hooks and annotations', async () => {
    assert.throws(() => new JpayClient({ host: 'h', transactionHooks: 5 as unknown as TransactionHooks }), JpayValidationError);
    assert.throws(() => new JpayClient({ host: 'h', transactionHooks: { beforeSend: 'no' } as unknown as TransactionHooks }), /transactionHooks\.beforeSend/);
    const c = await setup([]);
    await assert.rejects(c.transaction({ type: 'purchase', amount: 1 }, { annotations: { 'bad key!': 1 } }), JpayValidationError);
    await assert.rejects(c.transaction({ type: 'purchase', amount: 1 }, { annotations: { x: {} as unknown as string } }), /annotations\.x/);
  });

  describe('TransactionRecovery hooks: the journal and the new-sale guard', () => {
    it('journals begin → answered, with the receipt as the next anchor', async () => {
      const j = await openJournal();
      const c = await setup([reply('transaction', 'ok', approvedReceipt(42)), reply('transaction', 'ok', approvedReceipt(43, { seq: '000010', rrn: '120157645347' }))], {
        transactionHooks: journalHooks(j),
      });
      await c.transaction({ type: 'purchase', amount: 42 });
      await c.transaction({ type: 'purchase', amount: 43 });
      const entries = j.list();
      assert.deepEqual(
        entries.map((e) => [e.state, e.receipt?.seq, e.anchor?.seq]),
        [
          ['answered', '000009', undefined],
          ['answered', '000010', '000009'],
        ],
      );
      const text = await readFile(j.path, 'utf8');
      assert.equal(text.split('\n').filter(Boolean).length, 4);
      await terminal!.done();
    });

    it('block: after an unknown outcome the next sale is refused before anything is sent', async () => {
      const j = await openJournal();
      const c = await setup(
        [
          async (conn) => {
            await conn.expect('transaction');
            await conn.message(packet('keepalive'));
            conn.drop();
          },
          nothingSent,
          reply('transaction', 'ok', approvedReceipt(1, { type: 'purchasereversal' })),
        ],
        { transactionHooks: journalHooks(j, { policy: 'block' }) },
      );
      await assert.rejects(c.transaction({ type: 'purchase', amount: 500 }), TransactionOutcomeUnknown);
      await assert.rejects(c.transaction({ type: 'purchase', amount: 600 }), (e: unknown) => {
        assert.ok(e instanceof RecoveryPendingError);
        assert.equal(e.code, 'JPAY_RECOVERY_PENDING');
        assert.equal(e.pending, 1);
        return true;
      });
      // A reversal sent by recovery itself passes the guard.
      await c.transaction({ type: 'void', number: 'last', amount: 1 }, { annotations: { recovery: 'reversal', reversalOf: 'x' } });
      await terminal!.done();
      assert.deepEqual(
        terminal!.received.map((r) => r.packet.name),
        ['transaction', 'keepalive', 'transaction'],
      );
      assert.equal(j.unresolved(terminalKey('127.0.0.1', terminal!.port)).length, 1);
    });

    it('warn: logs and sells', async () => {
      const j = await openJournal();
      const warnings: string[] = [];
      const c = await setup(
        [
          async (conn) => {
            await conn.expect('transaction');
            conn.drop();
          },
          reply('transaction', 'ok', approvedReceipt(2)),
        ],
        { transactionHooks: journalHooks(j, { policy: 'warn', logger: { warn: (m) => warnings.push(m) } }) },
      );
      await assert.rejects(c.transaction({ type: 'purchase', amount: 1 }), TransactionOutcomeUnknown);
      const r = await c.transaction({ type: 'purchase', amount: 2 });
      assert.equal(r.approved, true);
      assert.equal(warnings.length, 1);
      assert.match(warnings[0], /unknown outcome.*selling anyway/);
      await terminal!.done();
    });
  });
});

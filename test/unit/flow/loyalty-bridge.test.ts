import assert from 'node:assert/strict';
import { CardIoBridge, type CardWork, type CloseRequest } from '../../../nodes/jpay-loyalty/loyalty-bridge';
import { type LoyaltyCardIo, type LoyaltyOutcome, runLoyaltyCardSession } from '../../../lib/mifare/loyalty';
import { VirtualMifareCard } from '../../../lib/mifare/virtual-card';
import type { CardRequest } from '../../../lib/protocol/types';
import { LAYOUT, issuedCard, runTerminal, stateOf } from './loyalty-fixtures';

const BLOCK = Buffer.from('00112233445566778899aabbccddeeff', 'hex');

describe('flow/loyalty-bridge CardIoBridge', () => {
  let bridges: CardIoBridge<unknown>[] = [];
  function bridge<C>(work: CardWork<C>, replyTimeoutMs?: number): CardIoBridge<C> {
    const b = new CardIoBridge<C>({ work, replyTimeoutMs });
    bridges.push(b as CardIoBridge<unknown>);
    return b;
  }

  afterEach(async () => {
    for (const b of bridges) {
      b.abort();
      await b.idle();
    }
    bridges = [];
  });

  it('turns each io call into the next card request and each card message into its result', async () => {
    const card = new VirtualMifareCard({ uid: '01020304' });
    const seen: unknown[] = [];
    const b = bridge(async (io, open) => {
      seen.push(open.blockId, open.data?.length);
      seen.push(await io.write(6, BLOCK));
      const read = await io.read(6);
      seen.push(read.ok && read.data.equals(BLOCK));
      seen.push(await io.write(0, BLOCK));
      return { code: 'close', receipt: { status: 'approved' } };
    });
    const run = await runTerminal((m) => b.handle(m), card);
    assert.deepEqual(
      run.requests.map((r) => r.code),
      ['write', 'read', 'write', 'close'],
    );
    assert.deepEqual(run.close, { code: 'close', receipt: { status: 'approved' } });
    assert.deepEqual(seen.slice(0, 4), [4, 16, { ok: true }, true]);
    assert.deepEqual(seen[4], { ok: false, reason: 'the terminal reported failed' }, 'block 0 refused by the card');
    await b.idle();
    assert.equal(b.busy, false);
  });

  it('runs the loyalty driver over the card session exactly as over the card itself', async () => {
    const card = await issuedCard(7, 10, 5000);
    let outcome: LoyaltyOutcome | undefined;
    const b = bridge(async (io) => {
      outcome = await runLoyaltyCardSession(io, LAYOUT, { debit: 1200, earnPoints: 12 });
      return { code: 'close' };
    });
    const run = await runTerminal((m) => b.handle(m), card);
    assert.equal(outcome?.status, 'committed');
    assert.equal(outcome?.verified, true);
    // 5 reads, 4 writes (new copy + backup), 5 reads to verify, close.
    assert.equal(run.requests.filter((r) => r.code === 'write').length, 4);
    assert.equal(run.requests.filter((r) => r.code === 'read').length, 10);
    assert.deepEqual([stateOf(card).points, stateOf(card).balance], [22, 3800]);
  });

  it('answers close to a card result that belongs to no card session', async () => {
    const b = bridge(async () => ({ code: 'close' }) as CloseRequest);
    assert.deepEqual(await b.handle({ code: 'read', ok: true, status: 'ok', data: BLOCK }), { code: 'close' });
    assert.deepEqual(await b.handle({ code: 'write', ok: false, status: 'failed' }), { code: 'close' });
  });

  it('passes the context given with open to the driver', async () => {
    const card = new VirtualMifareCard({ uid: '01020304' });
    let got: string | undefined;
    const b = bridge<string>(async (_io, _open, context) => {
      got = context;
      return { code: 'close' };
    });
    await runTerminal((m) => b.handle(m, undefined, m.code === 'open' ? 'tx-1' : undefined), card);
    assert.equal(got, 'tx-1');
  });

  it('a new open ends the previous card session: its driver sees failed io and its close goes nowhere', async () => {
    const results: unknown[] = [];
    let calls = 0;
    const b = bridge(async (io) => {
      const n = ++calls;
      results.push([n, await io.read(4)]);
      if (n === 1) results.push([n, await io.read(5)]);
      return { code: 'close', receipt: { session: String(n) } };
    });
    const first = await b.handle({ code: 'open', blockId: 4 });
    assert.deepEqual(first, { code: 'read', blockId: 4 });
    // The terminal gave up on that card session and opens a new one.
    const second = await b.handle({ code: 'open', blockId: 4 });
    assert.deepEqual(second, { code: 'read', blockId: 4 });
    const close = await b.handle({ code: 'read', ok: true, status: 'ok', data: BLOCK });
    assert.deepEqual(close, { code: 'close', receipt: { session: '2' } });
    await b.idle();
    const ended = { ok: false, reason: 'the card session ended' };
    assert.deepEqual(results.filter((r) => (r as [number])[0] === 1), [[1, ended], [1, ended]], 'no more io after the end');
    assert.deepEqual(results.filter((r) => (r as [number])[0] === 2), [[2, { ok: true, data: BLOCK }]]);
  });

  it('a result that never comes fails the io call after the reply timeout', async () => {
    let result: unknown;
    const b = bridge(async (io) => {
      result = await io.write(5, BLOCK);
      return { code: 'close' };
    }, 30);
    assert.equal((await b.handle({ code: 'open', blockId: 4 })).code, 'write');
    await b.idle();
    assert.deepEqual(result, { ok: false, reason: 'the card session ended' });
    // A late result finds no card session.
    assert.deepEqual(await b.handle({ code: 'write', ok: true, status: 'ok' }), { code: 'close' });
  });

  it('when the terminal stops waiting for an answer, it is close and the driver’s io fails from then on', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let after: unknown;
    const b = bridge(async (io) => {
      await gate;
      after = await io.read(4);
      return { code: 'close', receipt: { status: 'approved' } };
    });
    const abort = new AbortController();
    const answer = b.handle({ code: 'open', blockId: 4 }, abort.signal);
    abort.abort();
    assert.deepEqual(await answer, { code: 'close' });
    release();
    await b.idle();
    assert.deepEqual(after, { ok: false, reason: 'the card session ended' });
  });

  it('a driver that throws closes the card session without a receipt', async () => {
    const card = new VirtualMifareCard({ uid: '01020304' });
    const b = bridge(async (io): Promise<CloseRequest> => {
      await io.read(4);
      throw new Error('bug');
    });
    const run = await runTerminal((m) => b.handle(m), card);
    assert.deepEqual(run.close, { code: 'close' } satisfies CardRequest);
  });

  it('refuses a read result that is not a 16-byte block', async () => {
    let got: Awaited<ReturnType<LoyaltyCardIo['read']>> | undefined;
    const b = bridge(async (io) => {
      got = await io.read(4);
      return { code: 'close' };
    });
    await b.handle({ code: 'open', blockId: 4 });
    await b.handle({ code: 'read', ok: true, status: 'ok', data: Buffer.alloc(4) });
    assert.deepEqual(got, { ok: false, reason: 'the terminal sent no 16-byte block' });
  });
});

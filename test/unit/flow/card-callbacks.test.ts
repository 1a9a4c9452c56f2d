import assert from 'node:assert/strict';
import type { CardEventPayload } from '../../../nodes/jpay-card/card-answers';
import { CardCallbacks } from '../../../nodes/jpay-card/card-callbacks';
import type { CardRequest } from '../../../lib/protocol/types';

const B = (n: number): Buffer => Buffer.alloc(16, n);

describe('jpay-card/card-callbacks', () => {
  const signal = new AbortController().signal;
  let asked: CardEventPayload[];
  let answers: CardRequest[];
  const ask = async (event: CardEventPayload): Promise<CardRequest> => {
    asked.push(event);
    const next = answers.shift();
    assert.ok(next, 'the test ran out of answers');
    return next;
  };

  beforeEach(() => {
    asked = [];
    answers = [];
  });

  it('asks the flow on open and tells it which block each result belongs to', async () => {
    const d = new CardCallbacks({ ask });
    answers.push({ code: 'read', blockId: 4 }, { code: 'write', blockId: 5, data: B(9) }, { code: 'close' });
    assert.deepEqual(await d.handle({ code: 'open', blockId: 1, data: B(1) }, signal), { code: 'read', blockId: 4 });
    assert.equal((await d.handle({ code: 'read', ok: true, status: 'ok', data: B(4) }, signal)).code, 'write');
    assert.deepEqual(await d.handle({ code: 'write', ok: true, status: 'ok' }, signal), { code: 'close' });
    assert.deepEqual(asked, [
      { event: 'open', block: 1, ok: true, data: B(1) },
      { event: 'read', block: 4, ok: true, status: 'ok', data: B(4) },
      { event: 'write', block: 5, ok: true, status: 'ok' },
    ]);
  });

  it('reports an open without bytes and a failed read as not ok', async () => {
    const d = new CardCallbacks({ ask });
    answers.push({ code: 'read', blockId: 8 }, { code: 'close' });
    await d.handle({ code: 'open', blockId: 0 }, signal);
    await d.handle({ code: 'read', ok: false, status: 'failed' }, signal);
    assert.deepEqual(asked, [
      { event: 'open', block: 0, ok: false },
      { event: 'read', block: 8, ok: false, status: 'failed' },
    ]);
  });

  it('reads the configured blocks on open before it asks the flow once', async () => {
    const d = new CardCallbacks({ ask, prefetch: [1, 4, 5] });
    answers.push({ code: 'close' });
    // Block 1 came with the open: not read again.
    assert.deepEqual(await d.handle({ code: 'open', blockId: 1, data: B(1) }, signal), { code: 'read', blockId: 4 });
    assert.deepEqual(await d.handle({ code: 'read', ok: true, status: 'ok', data: B(4) }, signal), { code: 'read', blockId: 5 });
    assert.equal(asked.length, 0);
    assert.deepEqual(await d.handle({ code: 'read', ok: false, status: 'failed' }, signal), { code: 'close' });
    assert.deepEqual(asked, [{ event: 'open', block: 1, ok: true, data: B(1), blocks: { 1: B(1), 4: B(4), 5: null } }]);
  });

  it('a new open starts over', async () => {
    const d = new CardCallbacks({ ask, prefetch: [4] });
    answers.push({ code: 'close' });
    await d.handle({ code: 'open', blockId: 0 }, signal);
    assert.deepEqual(await d.handle({ code: 'open', blockId: 2, data: B(2) }, signal), { code: 'read', blockId: 4 });
    await d.handle({ code: 'read', ok: true, status: 'ok', data: B(4) }, signal);
    assert.deepEqual(asked, [{ event: 'open', block: 2, ok: true, data: B(2), blocks: { 4: B(4) } }]);
  });
});

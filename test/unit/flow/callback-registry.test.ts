import assert from 'node:assert/strict';
import { CallbackRegistry, type CallbackWarning } from '../../../nodes/shared/callback-registry';

type Answer = { code: string };
const SAFE: Answer = { code: 'close' };

describe('flow/callback-registry', () => {
  let registry: CallbackRegistry<Answer>;
  let warnings: CallbackWarning[];

  beforeEach(() => {
    warnings = [];
    registry = new CallbackRegistry<Answer>({ onWarning: (w) => warnings.push(w) });
  });

  afterEach(() => registry.close());

  it('settles a question with the answer that carries its id', async () => {
    const q = registry.open({ terminal: 't1', timeoutMs: 5000, fallback: SAFE });
    assert.match(q.id, /^[0-9a-f]{16}$/);
    assert.equal(registry.size, 1);
    const r = registry.answer({ id: q.id, terminal: 't1' }, { code: 'read' });
    assert.deepEqual(r, { matched: true, id: q.id, terminal: 't1', byTerminal: false });
    assert.deepEqual(await q.settled, { id: q.id, terminal: 't1', value: { code: 'read' }, by: 'flow' });
    assert.equal(registry.size, 0);
    assert.equal(registry.pendingFor('t1'), undefined);
    assert.deepEqual(warnings, []);
  });

  it('gives every question its own id', () => {
    const ids = new Set<string>();
    for (let i = 0; i < 50; i++) ids.add(registry.open({ terminal: `t${i}`, timeoutMs: 5000, fallback: SAFE }).id);
    assert.equal(ids.size, 50);
  });

  it('matches an answer that lost its id by terminal (node-red#714)', async () => {
    const q = registry.open({ terminal: 't1', timeoutMs: 5000, fallback: SAFE });
    const other = registry.open({ terminal: 't2', timeoutMs: 5000, fallback: SAFE });
    const r = registry.answer({ terminal: 't1' }, { code: 'write' });
    assert.deepEqual(r, { matched: true, id: q.id, terminal: 't1', byTerminal: true });
    assert.equal((await q.settled).value.code, 'write');
    assert.equal(registry.pendingFor('t2'), other.id);
  });

  it('answers the fallback when the deadline passes, and warns', async () => {
    const started = Date.now();
    const q = registry.open({ terminal: 't1', timeoutMs: 30, fallback: SAFE });
    const s = await q.settled;
    assert.ok(Date.now() - started >= 25);
    assert.deepEqual(s, { id: q.id, terminal: 't1', value: SAFE, by: 'deadline' });
    assert.deepEqual(warnings, [{ kind: 'deadline', id: q.id, terminal: 't1', timeoutMs: 30 }]);
    assert.equal(registry.size, 0);
  });

  it('ignores a late answer with a warning and does not change the settled answer', async () => {
    const q = registry.open({ terminal: 't1', timeoutMs: 10, fallback: SAFE });
    await q.settled;
    const r = registry.answer({ id: q.id, terminal: 't1' }, { code: 'read' });
    assert.equal(r.matched, false);
    assert.deepEqual(warnings.map((w) => w.kind), ['deadline', 'late']);
    assert.equal(warnings[1].id, q.id);
  });

  it('ignores a duplicate answer with a warning', async () => {
    const q = registry.open({ terminal: 't1', timeoutMs: 5000, fallback: SAFE });
    registry.answer({ id: q.id }, { code: 'read' });
    const again = registry.answer({ id: q.id }, { code: 'write' });
    assert.equal(again.matched, false);
    assert.equal((await q.settled).value.code, 'read');
    assert.deepEqual(warnings.map((w) => w.kind), ['duplicate']);
  });

  it('a stale id does not fall back to the terminal match', async () => {
    const first = registry.open({ terminal: 't1', timeoutMs: 5000, fallback: SAFE });
    registry.answer({ id: first.id }, { code: 'read' });
    const second = registry.open({ terminal: 't1', timeoutMs: 5000, fallback: SAFE });
    const r = registry.answer({ id: first.id, terminal: 't1' }, { code: 'write' });
    assert.equal(r.matched, false);
    assert.equal(registry.pendingFor('t1'), second.id);
    assert.deepEqual(warnings.map((w) => w.kind), ['duplicate']);
  });

  it('reports unknown ids and answers with nothing pending', () => {
    assert.equal(registry.answer({ id: 'feedfacefeedface' }, { code: 'read' }).matched, false);
    assert.equal(registry.answer({ terminal: 't9' }, { code: 'read' }).matched, false);
    assert.equal(registry.answer({}, { code: 'read' }).matched, false);
    assert.deepEqual(warnings.map((w) => w.kind), ['unknown', 'nothing-pending', 'nothing-pending']);
  });

  it('reject settles at once with the fallback', async () => {
    const q = registry.open({ terminal: 't1', timeoutMs: 5000, fallback: SAFE });
    assert.equal(registry.reject({ terminal: 't1' }).matched, true);
    assert.deepEqual(await q.settled, { id: q.id, terminal: 't1', value: SAFE, by: 'invalid' });
    registry.answer({ id: q.id }, { code: 'read' });
    assert.deepEqual(warnings.map((w) => w.kind), ['late']);
  });

  it('settles with the fallback when the client aborts', async () => {
    const ac = new AbortController();
    const q = registry.open({ terminal: 't1', timeoutMs: 5000, fallback: SAFE, signal: ac.signal });
    ac.abort();
    assert.equal((await q.settled).by, 'aborted');
    assert.equal(registry.size, 0);
    const pre = registry.open({ terminal: 't1', timeoutMs: 5000, fallback: SAFE, signal: ac.signal });
    assert.equal((await pre.settled).by, 'aborted');
    assert.equal(registry.size, 0);
  });

  it('a new question on the same terminal supersedes the open one', async () => {
    const first = registry.open({ terminal: 't1', timeoutMs: 5000, fallback: SAFE });
    const second = registry.open({ terminal: 't1', timeoutMs: 5000, fallback: SAFE });
    assert.equal((await first.settled).by, 'aborted');
    assert.equal(registry.pendingFor('t1'), second.id);
  });

  it('close settles everything with the fallback and leaves no timer', async () => {
    const a = registry.open({ terminal: 't1', timeoutMs: 60_000, fallback: SAFE });
    const b = registry.open({ terminal: 't2', timeoutMs: 60_000, fallback: SAFE });
    const timersBefore = process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
    registry.close();
    const timersAfter = process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
    assert.equal(timersBefore - timersAfter, 2);
    assert.deepEqual((await Promise.all([a.settled, b.settled])).map((s) => s.by), ['closed', 'closed']);
    assert.equal(registry.size, 0);
    const after = registry.open({ terminal: 't1', timeoutMs: 60_000, fallback: SAFE });
    assert.equal((await after.settled).by, 'closed');
    assert.equal(registry.size, 0);
    assert.deepEqual(warnings, []);
  });

  it('forgets old ids beyond its history size', () => {
    const small = new CallbackRegistry<Answer>({ historySize: 2, onWarning: (w) => warnings.push(w) });
    const ids = [1, 2, 3].map(() => {
      const q = small.open({ terminal: 't', timeoutMs: 5000, fallback: SAFE });
      small.answer({ id: q.id }, { code: 'read' });
      return q.id;
    });
    small.answer({ id: ids[0] }, { code: 'read' });
    small.answer({ id: ids[2] }, { code: 'read' });
    assert.deepEqual(warnings.map((w) => w.kind), ['unknown', 'duplicate']);
    small.close();
  });
});

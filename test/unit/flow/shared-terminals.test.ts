import assert from 'node:assert/strict';
import { SharedTerminals, terminalKey } from '../../../nodes/shared/shared-terminals';

describe('shared terminals: one opened terminal per address, held by reference', () => {
  function opener(log: string[], name: string) {
    return () => {
      log.push(`open ${name}`);
      return { value: name, close: async () => void log.push(`close ${name}`) };
    };
  }

  it('opens once, names the settings that differ (not their values), closes with the last holder', async () => {
    const log: string[] = [];
    const shared = new SharedTerminals<string>();
    const key = terminalKey(' Sim.Local ', 4433);
    assert.equal(key, 'sim.local:4433');
    const first = shared.acquire(key, 't1', { password: 'a', encrypt: 'false' }, opener(log, 'one'));
    const second = shared.acquire(key, 't2', { password: 'b', encrypt: 'false', timeouts: '{}' }, opener(log, 'two'));
    assert.deepEqual(first, { value: 'one', differs: [] });
    assert.deepEqual(second, { value: 'one', sharedWith: 't1', differs: ['password', 'timeouts'] });
    assert.deepEqual(log, ['open one']);
    await shared.release(key, 't1');
    assert.equal(shared.holders(key), 1);
    await shared.release(key, 't1');
    assert.deepEqual(log, ['open one'], 'a second release of the same holder changes nothing');
    await shared.release(key, 't2');
    assert.deepEqual(log, ['open one', 'close one']);
    assert.equal(shared.holders(key), 0);
    assert.equal(shared.acquire(key, 't1', {}, opener(log, 'three')).value, 'three', 'opened again after the last release');
  });

  it('an open that throws keeps nothing', () => {
    const shared = new SharedTerminals<string>();
    assert.throws(() => shared.acquire('h:1', 't1', {}, () => {
      throw new Error('bad');
    }), /bad/);
    assert.equal(shared.holders('h:1'), 0);
  });
});

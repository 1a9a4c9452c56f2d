import assert from 'node:assert/strict';
import { JpayValidationError } from '../../../lib/errors';
import { normalizePrefix, terminalTopics } from '../../../lib/publish/topics';

describe('publish: topics', () => {
  it('builds the three topics of a terminal under a prefix', () => {
    assert.deepEqual(terminalTopics('jpay', 'T1'), { receipt: 'jpay/T1/receipt', event: 'jpay/T1/event', status: 'jpay/T1/status' });
    assert.equal(terminalTopics(normalizePrefix('acme/kiosks/'), 'k-7').receipt, 'acme/kiosks/k-7/receipt');
    assert.equal(normalizePrefix(undefined), 'jpay');
  });

  it('refuses wildcards, empty levels, $ prefixes and bad terminal ids', () => {
    for (const bad of ['', 'a/+', 'a/#', '$SYS', '/abs', 'a//b']) {
      assert.throws(() => normalizePrefix(bad), (e: unknown) => e instanceof JpayValidationError && e.field === 'prefix', bad);
    }
    for (const bad of ['', 'a/b', 'a+', '#', 'x'.repeat(65), 'a\nb']) {
      assert.throws(() => terminalTopics('jpay', bad), (e: unknown) => e instanceof JpayValidationError && e.field === 'terminalId', bad);
    }
  });
});

/** Fuzz (short, CI): the frame decoder. The long run is scripts/fuzz.ts. */
import assert from 'node:assert/strict';
import { frameRandomTarget, frameSplitTarget } from './frame-targets';
import { runTarget } from './kit';

describe('fuzz: FrameDecoder', function () {
  this.timeout(30_000);

  it('split/coalesce invariance: any frames cut at any points give the same payloads; memory bounded', () => {
    const stats = runTarget(frameSplitTarget, 600);
    assert.equal(stats.inputs, 600);
    assert.equal(stats.errors.size, 0, 'valid frames never raise');
  });

  it("random bytes: only JpayProtocolError('frame-too-large'); never more memory than received or allowed", () => {
    const stats = runTarget(frameRandomTarget, 1500);
    assert.equal(stats.inputs, 1500);
    assert.deepEqual([...stats.errors.keys()], ['JpayProtocolError:frame-too-large']);
  });
});

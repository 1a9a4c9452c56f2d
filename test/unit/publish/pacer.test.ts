import assert from 'node:assert/strict';
import { RatePacer } from '../../../lib/publish/pacer';

describe('publish: the replay pacer', () => {
  it('lets one send go at once, then one per 1/rate seconds; wakes the caller when the next may go', async () => {
    let now = 0;
    let woken = 0;
    const pacer = new RatePacer(10, () => woken++, () => now);
    pacer.reset();
    assert.equal(pacer.take(), true);
    assert.equal(pacer.take(), false);
    now += 50;
    assert.equal(pacer.take(), false, 'half a token');
    now += 50;
    assert.equal(pacer.take(), true);
    now += 10_000;
    assert.equal(pacer.take(), true, 'an idle pause does not build a burst above one');
    assert.equal(pacer.take(), false);
    await new Promise((resolve) => setTimeout(resolve, 150));
    assert.equal(woken, 1);
    pacer.stop();
  });

  it('high rates allow a burst of 1/20 s worth, so millisecond timers keep up', () => {
    let now = 0;
    const pacer = new RatePacer(2000, () => undefined, () => now);
    pacer.reset();
    now += 1000;
    let sent = 0;
    while (pacer.take()) sent++;
    assert.equal(sent, 100);
    pacer.stop();
  });

  it('rate 0 is no limit', () => {
    const pacer = new RatePacer(0, () => undefined);
    for (let i = 0; i < 1000; i++) assert.equal(pacer.take(), true);
  });
});

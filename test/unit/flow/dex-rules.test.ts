import assert from 'node:assert/strict';
import { JpayValidationError } from '../../../lib/errors';
import {
  checkDexRules,
  dexEventPayload,
  dexTagsFromPayload,
  maskKernelTag,
  mergeDexTags,
} from '../../../nodes/jpay-dex/dex-rules';

function refusal(fn: () => unknown): JpayValidationError {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof JpayValidationError, String(err));
    return err;
  }
  assert.fail('expected a JpayValidationError');
}

describe('flow/dex-rules', () => {
  it('checks static rules against the EMV dictionary and normalises them', () => {
    assert.deepEqual(checkDexRules([{ tag: '9f1a', value: '0643' }, { tag: 'DF8123', value: '000000010000' }]), [
      { name: '9F1A', value: '0643' },
      { name: 'DF8123', value: '000000010000' },
    ]);
    assert.deepEqual(checkDexRules(undefined), []);
    assert.deepEqual(checkDexRules([{ tag: 'DF9F01', value: 'ab' }]), [{ name: 'DF9F01', value: 'AB' }]);
  });

  it('refuses invalid static rules, naming the rule', () => {
    const e = refusal(() => checkDexRules([{ tag: '9F1A', value: '0643' }, { tag: '9F1A', value: '064' }]));
    assert.equal(e.field, 'rules[1]');
    assert.match(e.message, /odd number/);
    assert.match(refusal(() => checkDexRules([{ tag: '9F02', value: '0000000010' }])).message, /must be 6 bytes, got 5/);
    assert.match(refusal(() => checkDexRules([{ tag: '9F1A', value: '0643' }, { tag: '9f1a', value: '0810' }])).message, /twice/);
    assert.match(refusal(() => checkDexRules([{ tag: 'ZZ', value: '00' }])).message, /BER-TLV/);
    assert.match(refusal(() => checkDexRules([{ tag: '', value: '00' }])).message, /tag name/);
    assert.equal(refusal(() => checkDexRules({ tag: '9F1A' })).field, 'rules');
  });

  it('reads the flow answer as a map, a list, or the list itself', () => {
    const expected = [{ name: '9F06', value: 'A0000000031010' }];
    assert.deepEqual(dexTagsFromPayload({ tags: { '9F06': 'a0000000031010' } }), expected);
    assert.deepEqual(dexTagsFromPayload({ tags: [{ name: '9F06', value: 'A0000000031010' }] }), expected);
    assert.deepEqual(dexTagsFromPayload([{ tag: '9F06', value: 'A0 00 00 00 03 10 10' }]), expected);
    assert.deepEqual(dexTagsFromPayload({ tags: { '9F06': Buffer.from('A0000000031010', 'hex') } }), expected);
    assert.deepEqual(dexTagsFromPayload({}), []);
    assert.deepEqual(dexTagsFromPayload({ tags: {} }), []);
    assert.deepEqual(dexTagsFromPayload([]), []);
  });

  it('refuses invalid flow values with the tag in the field', () => {
    const e = refusal(() => dexTagsFromPayload({ tags: { '9F06': 'A000' } }));
    assert.equal(e.field, 'msg.payload.tags.9F06');
    assert.match(e.message, /at least 5 bytes/);
    assert.equal(refusal(() => dexTagsFromPayload({ tags: [{ name: '9F1A', value: 'XX' }] })).field, 'msg.payload.tags[0]');
    assert.equal(refusal(() => dexTagsFromPayload({ tags: { '9F1A': 643 } })).field, 'msg.payload.tags.9F1A');
    assert.equal(refusal(() => dexTagsFromPayload('9F1A=0643')).field, 'msg.payload');
    assert.equal(refusal(() => dexTagsFromPayload([5])).field, 'msg.payload[0]');
  });

  it('merges the flow answer over the static rules by tag', () => {
    const merged = mergeDexTags(
      [{ name: '9F1A', value: '0643' }, { name: '5F2A', value: '0643' }],
      [{ name: '9f1a', value: '0810' }, { name: '9F06', value: 'A0000000031010' }],
    );
    assert.deepEqual(merged, [
      { name: '9F1A', value: '0810' },
      { name: '5F2A', value: '0643' },
      { name: '9F06', value: 'A0000000031010' },
    ]);
  });

  it('masks the PAN, track data and the cardholder name in the msg', () => {
    assert.equal(maskKernelTag('5A', '4111111111111111'), '411111******1111');
    assert.equal(maskKernelTag('5A', '4111111111111111111F'), '411111*********1111');
    assert.equal(maskKernelTag('57', '4111111111111111D25122010000000000F'), '411111******1111D******************');
    assert.equal(maskKernelTag('5F20', '4A4F484E'), '[redacted]');
    assert.equal(maskKernelTag('9F02', '000000001000'), '000000001000');
    const payload = dexEventPayload(
      { kernelTags: [{ name: '5a', value: '4111111111111111' }, { name: '9F02', value: '000000001000' }] },
      [{ name: '9F1A', value: '0643' }],
    );
    assert.deepEqual(payload, {
      kernelTags: { '5A': '411111******1111', '9F02': '000000001000' },
      terminalTags: { '9F1A': '0643' },
    });
    assert.ok(!JSON.stringify(payload).includes('4111111111111111'));
    const clear = dexEventPayload({ kernelTags: [{ name: '5A', value: '4111111111111111' }] }, [], { revealCardData: true });
    assert.equal(clear.kernelTags['5A'], '4111111111111111');
  });
});

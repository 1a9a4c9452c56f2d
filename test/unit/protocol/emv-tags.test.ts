import assert from 'node:assert/strict';
import { EMV_TAGS, isValidTagName, lookupTag, validateTagValue } from '../../../lib/protocol/emv-tags';

const REQUIRED = [
  '4F', '50', '57', '5A', '5F20', '5F24', '5F25', '5F28', '5F2A', '5F34', '82', '84', '87', '8A', '8C', '8D',
  '8E', '8F', '94', '95', '9A', '9B', '9C', '9F02', '9F03', '9F06', '9F07', '9F08', '9F09', '9F0D', '9F0E',
  '9F0F', '9F10', '9F11', '9F12', '9F1A', '9F1E', '9F21', '9F26', '9F27', '9F33', '9F34', '9F35', '9F36',
  '9F37', '9F40', '9F41', '9F42', '9F53', '9F66', '9F6E', '9F7C', 'DF8112', 'DF811E',
];

function reasonOf(name: string, value: string): string {
  const r = validateTagValue(name, value);
  assert.equal(r.ok, false, `${name}=${value} should be refused`);
  return r.ok ? '' : r.reason;
}

describe('protocol/emv-tags', () => {
  it('knows every required tag, with a name, a format and a sane length rule', () => {
    for (const tag of REQUIRED) {
      const info = lookupTag(tag);
      assert.ok(info, tag);
      assert.equal(info.tag, tag);
      assert.ok(info.name.length > 0);
      assert.ok(['n', 'an', 'ans', 'b', 'cn', 'var'].includes(info.format));
      if ('fixed' in info.length) assert.ok(info.length.fixed > 0);
      else assert.ok(info.length.min >= 0 && (info.length.max ?? Infinity) >= info.length.min);
    }
    assert.ok(Object.keys(EMV_TAGS).filter((t) => t.startsWith('DF81')).length >= 6);
  });

  it('records the EMV facts for a few tags', () => {
    assert.deepEqual(lookupTag('9F06'), {
      tag: '9F06',
      name: 'Application Identifier (AID) – terminal',
      format: 'b',
      length: { min: 5, max: 16 },
    });
    assert.deepEqual(lookupTag('9F02')?.length, { fixed: 6 });
    assert.equal(lookupTag('9F02')?.format, 'n');
    assert.equal(lookupTag('5A')?.format, 'cn');
    assert.equal(lookupTag('9F1E')?.format, 'an');
    assert.deepEqual(lookupTag('DF8112')?.length, { min: 1 });
  });

  it('looks tags up case-insensitively and rejects unknown names', () => {
    assert.equal(lookupTag('9f06')?.tag, '9F06');
    assert.equal(lookupTag(' df8112 ')?.tag, 'DF8112');
    assert.equal(lookupTag('9F99'), undefined);
    assert.equal(lookupTag('constructor'), undefined);
  });

  it('checks BER-TLV tag names', () => {
    for (const good of ['4F', '9F06', '5f2a', 'DF8112', 'BF0C', '9F8101']) assert.ok(isValidTagName(good), good);
    // 9F alone announces a second byte; 4F cannot have one; the last byte must have b8 clear.
    for (const bad of ['', '9', '9F', '9F99', '4F06', 'DF81', 'DF8180', '9F0601', 'XYZ1', '0x9F06', '9F 06', 'DF81818181']) {
      assert.ok(!isValidTagName(bad), bad);
    }
  });

  it('accepts a good 9F06 value; the document dex example passes too (6 bytes of b, though no real AID)', () => {
    assert.deepEqual(validateTagValue('9F06', 'A0000000031010'), { ok: true, known: true });
    assert.deepEqual(validateTagValue('9f06', 'a0000000031010'), { ok: true, known: true });
    assert.deepEqual(validateTagValue('9F06', '000000001000'), { ok: true, known: true });
  });

  it('refuses an odd-length value', () => {
    assert.match(reasonOf('9F06', 'A000000003101'), /odd/);
  });

  it('refuses a non-hex value or a bad tag name', () => {
    assert.match(reasonOf('9F06', 'A00000000310ZZ'), /not hex/);
    assert.match(reasonOf('9F06', 'A0 00 00 00 03 10 10'), /not hex/);
    assert.match(reasonOf('9G06', 'A0000000031010'), /tag name/);
  });

  it('refuses a value of the wrong length', () => {
    assert.match(reasonOf('9F06', 'A0000000'), /at least 5 bytes/);
    assert.match(reasonOf('9F06', 'A0'.repeat(17)), /at most 16 bytes/);
    assert.match(reasonOf('9F02', '0000012300'), /must be 6 bytes/);
    assert.match(reasonOf('95', '00000000'), /must be 5 bytes/);
  });

  it('checks the n format: BCD digits only', () => {
    assert.deepEqual(validateTagValue('9F02', '000000012300'), { ok: true, known: true });
    assert.deepEqual(validateTagValue('5F2A', '0643'), { ok: true, known: true });
    assert.match(reasonOf('9F02', '00000001230A'), /BCD/);
    assert.match(reasonOf('5F2A', '064F'), /BCD/);
  });

  it('checks the cn format: digits padded on the right with F', () => {
    assert.deepEqual(validateTagValue('5A', '4000000010000001'), { ok: true, known: true });
    assert.deepEqual(validateTagValue('5A', '220000123456789012FF'), { ok: true, known: true });
    assert.deepEqual(validateTagValue('5A', '2200001234567890123F'), { ok: true, known: true });
    assert.match(reasonOf('5A', '40000F0010000001'), /cn/);
    assert.match(reasonOf('5A', 'FFFF'), /cn/);
    assert.match(reasonOf('5A', '400000001000000A'), /cn/);
  });

  it('checks the an and ans formats', () => {
    assert.deepEqual(validateTagValue('8A', '3030'), { ok: true, known: true });
    assert.match(reasonOf('8A', '3020'), /an/);
    assert.deepEqual(validateTagValue('50', Buffer.from('VISA CREDIT').toString('hex')), { ok: true, known: true });
    assert.match(reasonOf('50', '564953410A'), /control/);
  });

  it('does not check the format of b and var tags beyond the length', () => {
    assert.deepEqual(validateTagValue('9F53', 'FF'), { ok: true, known: true });
    assert.deepEqual(validateTagValue('9F33', 'E0F8C8'), { ok: true, known: true });
    assert.deepEqual(validateTagValue('DF811E', '5A9F02'), { ok: true, known: true });
    assert.deepEqual(validateTagValue('DF811E', '00'), { ok: true, known: true });
  });

  it('allows a well-formed unknown tag, marked known: false', () => {
    assert.deepEqual(validateTagValue('9F5D', '0102'), { ok: true, known: false });
    assert.deepEqual(validateTagValue('DF8F01', ''), { ok: true, known: false });
    assert.match(reasonOf('9F5D', '010'), /odd/);
  });
});

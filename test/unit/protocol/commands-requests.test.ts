import assert from 'node:assert/strict';
import { packet } from '../../../lib/codec/packet';
import { parsePacket } from '../../../lib/codec/xml';
import { parseRequest } from '../../../lib/protocol/requests';
import { assertHas } from './commands-examples.helper';

const TOKEN = 'DE9773A8CB888560AB0F89C07623FE03';

// Build and parse of every command: round-trip.test.ts. Here: what only parsing meets.
describe('protocol commands: requests', () => {
  describe('parseRequest alternative forms (§8.10)', () => {
    it('accepts type as a root attribute and treats payment as purchase', () => {
      const p = parsePacket('<transaction type="payment" force-sbp="true"><amount>000000012300</amount></transaction>');
      assert.deepEqual(parseRequest(p), {
        ok: true,
        request: { command: 'transaction', params: { type: 'purchase', amount: 12300, sbp: true } },
      });
    });

    it('accepts the refund attribute form with force-sbp', () => {
      const p = parsePacket(
        '<transaction type="refund" force-sbp="true"><amount>000000000110</amount><rrn>232796</rrn></transaction>',
      );
      const r = parseRequest(p);
      assert.ok(r.ok);
      assert.deepEqual(r.request.params, { type: 'refund', amount: 110, rrn: '232796', sbp: true });
    });

    it('accepts whitespace around values (the vendor wraps them over lines)', () => {
      const p = parsePacket(
        '<transaction>\n <type>\n purchase \n</type>\n <amount>\n 000000012300\n </amount>\n</transaction>',
      );
      assert.deepEqual(parseRequest(p), {
        ok: true,
        request: { command: 'transaction', params: { type: 'purchase', amount: 12300 } },
      });
    });

    it('accepts the same type as element and attribute, refuses two different ones', () => {
      const same = parseRequest(packet('transaction', { type: 'purchase', amount: '000000000001' }, { type: 'payment' }));
      assert.equal(same.ok, true);
      const different = parseRequest(packet('transaction', { type: 'refund', amount: '000000000001' }, { type: 'purchase' }));
      assert.deepEqual(different, {
        ok: false,
        failure: {
          command: 'transaction',
          status: 'invalidarguments',
          field: 'type',
          reason: 'is given twice (element and attribute) with different values',
        },
      });
    });

    it('ignores unknown elements', () => {
      const r = parseRequest(packet('logout', { token: TOKEN, extra: 'x' }));
      assert.deepEqual(r, { ok: true, request: { command: 'logout', params: { token: TOKEN } } });
    });
  });

  describe('parseRequest failures', () => {
    const failure = (xml: string): unknown => {
      const r = parseRequest(parsePacket(xml));
      assert.equal(r.ok, false);
      return r.ok ? undefined : r.failure;
    };

    it('answers an unknown root with notimplemented', () => {
      assert.deepEqual(failure('<reset/>'), { status: 'notimplemented', field: 'reset', reason: 'is not a JPAY command' });
    });

    it('formaterror for a field in the wrong format', () => {
      assert.deepEqual(failure('<transaction><type>purchase</type><amount>12.30</amount></transaction>'), {
        command: 'transaction',
        status: 'formaterror',
        field: 'amount',
        reason: 'must be exactly 12 digits of minor units (kopecks) with leading zeros',
      });
      assertHas(failure('<login><password>1234</password></login>'), {
        status: 'formaterror',
        field: 'password',
      });
      assertHas(failure('<transaction><type>void</type><number>8a</number></transaction>'), {
        status: 'formaterror',
        field: 'number',
      });
      assertHas(
        failure('<transaction force-sbp="yes"><type>purchase</type><amount>000000000001</amount></transaction>'),
        { status: 'formaterror', field: 'force-sbp' },
      );
      assertHas(
        failure(
          '<transaction><type>purchase</type><amount>000000000001</amount><pan>4000000010000001</pan><expired>1813</expired>' +
            '<password>12345678</password></transaction>',
        ),
        { status: 'formaterror', field: 'expired' },
      );
      assertHas(failure(`<logout><token>${TOKEN.slice(0, 7)}</token></logout>`), {
        status: 'formaterror',
        field: 'token',
      });
    });

    it('invalidarguments for missing or contradictory fields', () => {
      assert.deepEqual(failure('<logout/>'), {
        command: 'logout',
        status: 'invalidarguments',
        field: 'token',
        reason: 'is required',
      });
      assertHas(failure('<transaction><amount>000000000001</amount></transaction>'), {
        status: 'invalidarguments',
        field: 'type',
      });
      assertHas(failure('<transaction><type>sale</type></transaction>'), {
        status: 'invalidarguments',
        field: 'type',
      });
      assertHas(failure('<transaction><type>purchase</type></transaction>'), {
        status: 'invalidarguments',
        field: 'amount',
      });
      assertHas(
        failure('<transaction><type>purchase-with-cashback</type><amount>000000000001</amount></transaction>'),
        { status: 'invalidarguments', field: 'amount-other' },
      );
      assertHas(failure('<transaction><type>void</type></transaction>'), {
        status: 'invalidarguments',
        field: 'number',
      });
      assertHas(
        failure('<transaction><type>purchase</type><amount>000000000001</amount><rrn>120157645346</rrn></transaction>'),
        { status: 'invalidarguments', field: 'rrn' },
      );
      assertHas(
        failure('<transaction><type>purchase</type><amount>000000000001</amount><pan>4000000010000001</pan><expired>2612</expired></transaction>'),
        { status: 'invalidarguments', field: 'password' },
      );
      assertHas(
        failure('<transaction><type>purchase</type><amount>000000000001</amount><expired>2612</expired></transaction>'),
        { status: 'invalidarguments', field: 'pan' },
      );
      assertHas(failure('<report><password>12345678</password><report-type>monthly</report-type></report>'), {
        status: 'invalidarguments',
        field: 'report-type',
      });
    });

    it('never puts the PAN or password into a failure', () => {
      const f = failure(
        '<transaction><type>purchase</type><amount>000000000001</amount><pan>40000000100000019999</pan><expired>2612</expired>' +
          '<password>12345678</password></transaction>',
      );
      assertHas(f, { status: 'formaterror', field: 'pan' });
      assert.ok(!JSON.stringify(f).includes('4000000010000001'));
      assert.ok(!JSON.stringify(f).includes('12345678'));
    });
  });
});

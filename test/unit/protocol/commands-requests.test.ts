import assert from 'node:assert/strict';
import { packet } from '../../../lib/codec/packet';
import { parsePacket } from '../../../lib/codec/xml';
import { buildRequest, parseRequest, type ParsedRequest } from '../../../lib/protocol/requests';
import type { CommandName, RequestParams } from '../../../lib/protocol/types';
import { assertHas, canonical, example } from './commands-examples.helper';

const TOKEN = 'DE9773A8CB888560AB0F89C07623FE03';

type Case = { [C in CommandName]: { file: string; command: C; params: RequestParams[C] } }[CommandName];

// Every vendor request example and the parameters that must produce it exactly.
const CASES: Case[] = [
  { file: 'login.request.xml', command: 'login', params: { password: '12345678' } },
  { file: 'logout.request.xml', command: 'logout', params: { token: TOKEN } },
  {
    file: 'changepassword.request.xml',
    command: 'changepassword',
    params: { token: TOKEN, password: '12345678', newPassword: '12345678' },
  },
  { file: 'updateconfiguration.request.xml', command: 'updateconfiguration', params: { token: TOKEN } },
  { file: 'testconnection.request.xml', command: 'testconnection', params: { token: TOKEN } },
  { file: 'report.request.xml', command: 'report', params: { password: '12345678', reportType: 'brief' } },
  { file: 'settlement.request.xml', command: 'settlement', params: { password: '12345678' } },
  { file: 'resetpassword.request.xml', command: 'resetpassword', params: {} },
  {
    file: 'sethostkey.request.xml',
    command: 'sethostkey',
    params: { token: TOKEN, name: 'hkey1', material: 'QWJjOGRFZmc=' },
  },
  { file: 'runreset.request.xml', command: 'runreset', params: { token: TOKEN } },
  {
    file: 'transaction.request-purchase.xml',
    command: 'transaction',
    params: { type: 'purchase', amount: 12300, currency: '643' },
  },
  {
    file: 'transaction.request-refund.xml',
    command: 'transaction',
    params: { type: 'refund', amount: 12300, rrn: '120157645346' },
  },
  {
    file: 'transaction.request-forced-refund.xml',
    command: 'transaction',
    params: { type: 'refund', amount: 12300, rrn: '120157645346', forced: true },
  },
  {
    file: 'transaction.request-cashback.xml',
    command: 'transaction',
    params: { type: 'purchase-with-cashback', amount: 12300, amountOther: 100 },
  },
  { file: 'transaction.request-void.xml', command: 'transaction', params: { type: 'void', number: 8, amount: 100 } },
  { file: 'transaction.request-void-last.xml', command: 'transaction', params: { type: 'void', number: 'last' } },
  {
    file: 'transaction.request-manual-pan.xml',
    command: 'transaction',
    params: {
      type: 'purchase',
      amount: 12300,
      manual: { pan: '4000000010000001', expiry: '1805', cardholder: 'JOHN SMITH' },
      password: '12345678',
    },
  },
  { file: 'transaction.request-sbp.xml', command: 'transaction', params: { type: 'purchase', amount: 12300, sbp: true } },
];

describe('protocol commands: requests', () => {
  describe('buildRequest reproduces every vendor request example', () => {
    for (const c of CASES) {
      it(c.file, () => {
        const built = buildRequest(c.command, c.params as never);
        assert.equal(canonical(built), canonical(example(c.file)));
        assert.deepEqual(built.attrs, example(c.file).attrs);
      });
    }
  });

  describe('parseRequest reads every vendor request example back to its parameters', () => {
    for (const c of CASES) {
      it(c.file, () => {
        const result = parseRequest(example(c.file));
        assert.deepEqual(result, { ok: true, request: { command: c.command, params: c.params } });
      });
    }
  });

  it('builds the remaining token commands (no example in the document)', () => {
    for (const command of ['loadworkkeys', 'loadmasterkeys', 'getparameters'] as const) {
      const p = buildRequest(command, { token: TOKEN });
      assert.equal(canonical(p), `<${command}><token>${TOKEN}</token></${command}>`);
      assert.deepEqual(parseRequest(p), { ok: true, request: { command, params: { token: TOKEN } } });
    }
  });

  it('writes client-handshake as a root attribute of login', () => {
    const p = buildRequest('login', { password: '12345678', clientHandshake: 'AwAXQQRz' });
    assert.deepEqual(p.attrs, { 'client-handshake': 'AwAXQQRz' });
    assert.equal(canonical(p), '<login client-handshake="AwAXQQRz"><password>12345678</password></login>');
  });

  it('writes force-sbp="false", never a type attribute, and amounts as 12 digits', () => {
    const p = buildRequest('transaction', { type: 'refund', amount: 5, sbp: false, rrn: '120157645346' });
    assert.deepEqual(p.attrs, { 'force-sbp': 'false' });
    assert.equal(p.body.type, 'refund');
    assert.equal(p.body.amount, '000000000005');
  });

  it('round-trips builder → parser for a wide set of parameters', () => {
    const cases: ParsedRequest[] = [
      { command: 'login', params: { password: '87654321', clientHandshake: 'QUJD' } },
      { command: 'transaction', params: { type: 'refund', amount: 0, rrn: '232796', sbp: true } },
      { command: 'transaction', params: { type: 'purchase', amount: 999999999999, currency: '978', sbp: false } },
      { command: 'transaction', params: { type: 'void', number: 0 } },
      { command: 'transaction', params: { type: 'void', number: 999999, amount: 1 } },
      {
        command: 'transaction',
        params: { type: 'refund', amount: 1, manual: { pan: '123456789012', expiry: '3001' }, password: '00000000' },
      },
      { command: 'report', params: { password: '12345678', reportType: 'full' } },
      { command: 'clear', params: { password: '12345678' } },
    ];
    for (const c of cases) {
      const built = buildRequest(c.command, c.params as never);
      const reparsed = parseRequest(parsePacket(canonical(built)));
      assert.deepEqual(reparsed, { ok: true, request: c }, c.command);
    }
  });

  it('round-trips terminal side parser → builder for every example', () => {
    for (const c of CASES) {
      const parsed = parseRequest(example(c.file));
      assert.ok(parsed.ok);
      const rebuilt = buildRequest(parsed.request.command, parsed.request.params as never);
      assert.equal(canonical(rebuilt), canonical(example(c.file)), c.file);
    }
  });

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

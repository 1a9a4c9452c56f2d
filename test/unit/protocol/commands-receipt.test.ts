import assert from 'node:assert/strict';
import { packet } from '../../../lib/codec/packet';
import { parsePacket, serializePacket } from '../../../lib/codec/xml';
import { JpayValidationError } from '../../../lib/errors';
import { parseParameters } from '../../../lib/protocol/parameters';
import { parseReceipt, receiptToElement } from '../../../lib/protocol/receipt';
import { parseSReport, parseXReport, xreportToElement } from '../../../lib/protocol/report';
import type { XReport } from '../../../lib/protocol/types';
import { example } from './commands-examples.helper';

// Receipts, reports and parameters written and read back whole: round-trip.test.ts.
describe('protocol commands: receipt, reports, parameters', () => {
  it('receipt.sbp-cft.xml: CFT block, Cyrillic, error-code', () => {
    const r = parseReceipt(example('receipt.sbp-cft.xml').body);
    assert.deepEqual(r, {
      header: [],
      footer: [],
      mid: 'MA0000086770',
      seq: '53',
      receiptNumber: 53,
      type: 'purchase',
      paymentStatus: 'approved',
      tstatus: 'approved',
      approved: true,
      amountAuthorized: 110,
      currency: '643',
      rrn: '232796',
      authNumber: '',
      respCode: '',
      datetime: '2022-08-22T15:39:36',
      iface: 'sbp',
      cft: {
        localQrcId: '232796',
        pointId: '7f7f65af-7de3-44ec-8c89-8e97c52c6f0e',
        mpiOperationStatusDescriptionEng: 'Payment accepted',
        mpiOperationStatusDescriptionRus: 'Платеж завершен успешно',
        qrcId: 'AD100031O24RJFCM9NKREDRU8IUPC1N0',
        extEntityId: '1F8BOHBWEMC',
        paymentPurpose: 'Оплата товара или услуги',
      },
      errorCode: 'ok',
    });
  });

  it('decodes cdcvm/signature, application name, and keeps unknown children in extra', () => {
    const r = parseReceipt({
      tstatus: 'approved',
      apname: '564953412044454249540A',
      'ict-id': '01',
      alabel: 'VISA',
      'pin-entered': 'online',
      cdcvm: 'yes',
      signature: 'no',
      custom: { a: '1' },
    });
    assert.equal(r.cdcvm, true);
    assert.equal(r.signature, false);
    assert.equal(r.pinEntered, 'online');
    // apname has a control byte (0A): not text in ISO 8859-1, so alabel is shown.
    assert.equal(r.applicationName, 'VISA');
    assert.deepEqual(r.extra, { custom: { a: '1' } });
    const named = parseReceipt({ apname: '56495341204445424954', 'ict-id': '01', alabel: 'X' });
    assert.equal(named.applicationName, 'VISA DEBIT');
    assert.equal(named.approved, false);
  });

  it('keeps unconvertible values raw in extra instead of failing', () => {
    const r = parseReceipt({ tstatus: 'approved', 'amount-authorized': '12.30', datetime: '189329120002', cdcvm: 'maybe' });
    assert.equal(r.approved, true);
    assert.equal(r.amountAuthorized, undefined);
    assert.equal(r.datetime, undefined);
    assert.deepEqual(r.extra, { 'amount-authorized': '12.30', datetime: '189329120002', cdcvm: 'maybe' });
    // …and writes them back unchanged.
    const el = receiptToElement(r);
    assert.equal(el['amount-authorized'], '12.30');
    assert.equal(el.datetime, '189329120002');
  });

  it('MIFARE receipt from a card close: status decides, client data kept', () => {
    const close = example('card.answer-close.xml');
    const receiptEl = { ...(close.body.receipt as Record<string, string>), iface: 'mifare' };
    const r = parseReceipt(receiptEl);
    assert.equal(r.approved, true);
    assert.equal(r.paymentStatus, 'approved');
    assert.equal(r.datetime, '2022-10-11T12:00:00');
    assert.equal(r.iface, 'mifare');
    assert.deepEqual(r.extra, { amount: '1000' });
  });

  it('receiptToElement: document order, derived fields ignored, values converted', () => {
    const el = receiptToElement({
      footer: ['f'],
      record: 'R',
      amountAuthorized: 5,
      approved: true,
      receiptNumber: 7,
      applicationName: 'ignored',
      tid: 'T',
      header: ['h1'],
      cdcvm: true,
      datetime: '2024-02-29T23:59:58',
      extra: { mine: 'x' },
    });
    assert.equal(
      serializePacket(packet('receipt', el)),
      '<receipt><header><line>h1</line></header><tid>T</tid><amount-authorized>000000000005</amount-authorized>' +
        '<cdcvm>yes</cdcvm><datetime>240229235958</datetime><footer><line>f</line></footer><record>R</record>' +
        '<mine>x</mine></receipt>',
    );
    assert.throws(() => receiptToElement({ amountAuthorized: -1 }), JpayValidationError);
    assert.throws(() => receiptToElement({ datetime: 'yesterday' }), JpayValidationError);
  });

  it('never reads plain-text-pan into the receipt, writes it only when asked', () => {
    const r = parseReceipt({ pan: '************0001', 'plain-text-pan': '4000000010000001' });
    assert.ok(!JSON.stringify(r).includes('4000000010000001'));
    assert.equal(receiptToElement(r)['plain-text-pan'], undefined);
    assert.equal(receiptToElement(r, { plainTextPan: '4000000010000001' })['plain-text-pan'], '4000000010000001');
  });

  it('xreport: a brief report (no transactions), missing totals read as 0', () => {
    const brief = parseXReport({ header: { tid: '1' }, totals: { 'card-type': [{ rid: 'R', name: 'N' }] } });
    assert.deepEqual(brief.transactions, []);
    assert.deepEqual(brief.totals[0].purchase, { count: 0, sum: 0 });
    assert.equal(brief.totals[0].totalSum, 0);
    assert.equal(brief.grandTotals, undefined);
    const report: XReport = {
      header: { title: ['a', 'b'], time: '2019-01-01T00:00:00' },
      transactions: [{ seq: '1', amount: 0 }],
      totals: [],
      grandTotals: {
        purchase: { count: 1, sum: 5 },
        refund: { count: 0, sum: 0 },
        purchaseWithCashback: { count: 0, sum: 0 },
        purchaseReversal: { count: 0, sum: 0 },
        refundReversal: { count: 2, sum: 20 },
        totalCount: 3,
        totalSum: -15,
      },
    };
    const el = xreportToElement(report);
    assert.equal((el['grand-totals'] as Record<string, string>)['total-sum'], 'C000000000015');
    assert.deepEqual(parseXReport(parsePacket(serializePacket(packet('xreport', el))).body), report);
  });

  it('sreport: tolerant of garbage', () => {
    const odd = parseSReport({ amount: 'X1', 'orig-amount': 'C000000000001', tnum: '', datetime: '999999999999' });
    assert.deepEqual(odd, { terminalTotal: -1, passed: true });
  });

  it('parameters: the document typo ccert is read as cccert', () => {
    assert.deepEqual(parseParameters({ ccert: '01.01.2030' }), { cccert: '01.01.2030' });
  });
});

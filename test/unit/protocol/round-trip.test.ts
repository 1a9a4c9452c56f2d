// Parse ↔ build round-trip tables, in the style of mqtt-packet's tests: each row is a
// name, a typed object and its XML on the wire, and checks parse(XML) = object and
// build(object) = XML (so parse(build(object)) = object). Rows named after a file take
// their XML from the vendor examples. Then every vendor example: parse → build → parse is
// stable, and build(parse(example)) is the example itself unless the table below says why not.
import assert from 'node:assert/strict';
import { packet, type Packet } from '../../../lib/codec/packet';
import { parsePacket, serializePacket } from '../../../lib/codec/xml';
import {
  ACTIVATOR_RESET,
  buildActivatorReset,
  buildCardAnswer,
  buildCertificateAnswer,
  buildCertificateRequest,
  buildConfigCredentialsAnswer,
  buildConfigCredentialsQuery,
  buildDexAnswer,
  buildMessageAnswer,
  isConfigCredentialsQuery,
  messageToPacket,
  parseCardAnswer,
  parseCertificateAnswer,
  parseCertificateRequest,
  parseConfigCredentialsAnswer,
  parseDexAnswer,
  parseMessage,
  parseMessageAnswer,
} from '../../../lib/protocol/messages';
import { parseReceipt, receiptToElement } from '../../../lib/protocol/receipt';
import { buildRequest, parseRequest, type ParsedRequest } from '../../../lib/protocol/requests';
import { parseResponse, responseToPacket } from '../../../lib/protocol/responses';
import { isCommandName } from '../../../lib/protocol/validation';
import { Secret } from '../../../lib/protocol/secret';
import { COMMAND_NAMES, MESSAGE_NAMES } from '../../../lib/protocol/types';
import type {
  CardRequest,
  CertificateAnswer,
  CertificateRequest,
  CommandName,
  ConfigCredentials,
  EmvTagValue,
  OperationTotals,
  ResponseTypes,
  TerminalMessage,
} from '../../../lib/protocol/types';
import { canonical, example, exampleNames } from './commands-examples.helper';

interface Codec<T> {
  parse(p: Packet): T;
  build(object: T): Packet;
}

interface Row<T> {
  name: string;
  object: T;
  xml: string;
}

/** The canonical XML of a vendor example. */
const vendor = (file: string): string => canonical(example(file));

/** Secrets compare by value (deepEqual does not see a private field). */
function comparable(value: unknown): unknown {
  if (value instanceof Secret) return { secret: value.reveal() };
  if (Buffer.isBuffer(value) || value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map(comparable);
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, comparable(v)]));
}

function checkRow<T>(codec: Codec<T>, row: Row<T>): void {
  assert.deepEqual(comparable(codec.parse(parsePacket(row.xml))), comparable(row.object), 'parse(xml) = object');
  assert.equal(serializePacket(codec.build(row.object)), row.xml, 'build(object) = xml');
}

function table<T>(title: string, codec: Codec<T>, rows: readonly Row<T>[]): void {
  describe(title, () => {
    for (const row of rows) it(row.name, () => checkRow(codec, row));
  });
}

const TOKEN = 'DE9773A8CB888560AB0F89C07623FE03';
const BLOCK = Buffer.from('00112233445566778899aabbccddeeff', 'hex');
const BLOCK64 = BLOCK.toString('base64');
const PAN = '4000000010000001';
const KEY = '30820122300D06092A864886F70D01010105000382010F00';
const hex = (text: string): string => Buffer.from(text, 'utf8').toString('hex').toUpperCase();
const zeroTotals = (): OperationTotals => ({
  purchase: { count: 0, sum: 0 },
  refund: { count: 0, sum: 0 },
  purchaseWithCashback: { count: 0, sum: 0 },
  purchaseReversal: { count: 0, sum: 0 },
  refundReversal: { count: 0, sum: 0 },
  totalCount: 0,
  totalSum: 0,
});

// ---- Client → terminal ----

const REQUESTS: Codec<ParsedRequest> = {
  parse: (p) => {
    const r = parseRequest(p);
    if (!r.ok) throw new Error(`refused: ${JSON.stringify(r.failure)}`);
    return r.request;
  },
  build: (r) => buildRequest(r.command, r.params as never),
};

const REQUEST_ROWS: Row<ParsedRequest>[] = [
  { name: 'login.request.xml', object: { command: 'login', params: { password: '12345678' } }, xml: vendor('login.request.xml') },
  {
    name: 'login with a client-handshake (root attribute)',
    object: { command: 'login', params: { password: '12345678', clientHandshake: 'AwAXQQRz' } },
    xml: '<login client-handshake="AwAXQQRz"><password>12345678</password></login>',
  },
  { name: 'logout.request.xml', object: { command: 'logout', params: { token: TOKEN } }, xml: vendor('logout.request.xml') },
  {
    name: 'changepassword.request.xml',
    object: { command: 'changepassword', params: { token: TOKEN, password: '12345678', newPassword: '12345678' } },
    xml: vendor('changepassword.request.xml'),
  },
  {
    name: 'updateconfiguration.request.xml',
    object: { command: 'updateconfiguration', params: { token: TOKEN } },
    xml: vendor('updateconfiguration.request.xml'),
  },
  {
    name: 'loadworkkeys (no example in the document)',
    object: { command: 'loadworkkeys', params: { token: TOKEN } },
    xml: `<loadworkkeys><token>${TOKEN}</token></loadworkkeys>`,
  },
  {
    name: 'loadmasterkeys (no example in the document)',
    object: { command: 'loadmasterkeys', params: { token: TOKEN } },
    xml: `<loadmasterkeys><token>${TOKEN}</token></loadmasterkeys>`,
  },
  {
    name: 'testconnection.request.xml',
    object: { command: 'testconnection', params: { token: TOKEN } },
    xml: vendor('testconnection.request.xml'),
  },
  {
    name: 'getparameters (no example in the document)',
    object: { command: 'getparameters', params: { token: TOKEN } },
    xml: `<getparameters><token>${TOKEN}</token></getparameters>`,
  },
  {
    name: 'transaction.request-purchase.xml',
    object: { command: 'transaction', params: { type: 'purchase', amount: 12300, currency: '643' } },
    xml: vendor('transaction.request-purchase.xml'),
  },
  {
    name: 'transaction: the largest amount, another currency, SBP not offered',
    object: { command: 'transaction', params: { type: 'purchase', amount: 999999999999, currency: '978', sbp: false } },
    xml: '<transaction force-sbp="false"><type>purchase</type><currency>978</currency><amount>999999999999</amount></transaction>',
  },
  {
    name: 'transaction.request-refund.xml',
    object: { command: 'transaction', params: { type: 'refund', amount: 12300, rrn: '120157645346' } },
    xml: vendor('transaction.request-refund.xml'),
  },
  {
    name: 'transaction.request-forced-refund.xml',
    object: { command: 'transaction', params: { type: 'refund', amount: 12300, rrn: '120157645346', forced: true } },
    xml: vendor('transaction.request-forced-refund.xml'),
  },
  {
    name: 'transaction: SBP refund by the SBP id (a short rrn), force-sbp="true"',
    object: { command: 'transaction', params: { type: 'refund', amount: 110, rrn: '232796', sbp: true } },
    xml: '<transaction force-sbp="true"><type>refund</type><amount>000000000110</amount><rrn>232796</rrn></transaction>',
  },
  {
    name: 'transaction: refund, SBP not offered (force-sbp="false", never a type attribute)',
    object: { command: 'transaction', params: { type: 'refund', amount: 5, rrn: '120157645346', sbp: false } },
    xml: '<transaction force-sbp="false"><type>refund</type><amount>000000000005</amount><rrn>120157645346</rrn></transaction>',
  },
  {
    name: 'transaction.request-cashback.xml',
    object: { command: 'transaction', params: { type: 'purchase-with-cashback', amount: 12300, amountOther: 100 } },
    xml: vendor('transaction.request-cashback.xml'),
  },
  {
    name: 'transaction.request-void.xml',
    object: { command: 'transaction', params: { type: 'void', number: 8, amount: 100 } },
    xml: vendor('transaction.request-void.xml'),
  },
  {
    name: 'transaction.request-void-last.xml',
    object: { command: 'transaction', params: { type: 'void', number: 'last' } },
    xml: vendor('transaction.request-void-last.xml'),
  },
  {
    name: 'transaction: void of receipt 0',
    object: { command: 'transaction', params: { type: 'void', number: 0 } },
    xml: '<transaction><type>void</type><number>0</number></transaction>',
  },
  {
    name: 'transaction: partial void of receipt 999999',
    object: { command: 'transaction', params: { type: 'void', number: 999999, amount: 1 } },
    xml: '<transaction><type>void</type><number>999999</number><amount>000000000001</amount></transaction>',
  },
  {
    name: 'transaction.request-manual-pan.xml',
    object: {
      command: 'transaction',
      params: { type: 'purchase', amount: 12300, manual: { pan: PAN, expiry: '1805', cardholder: 'JOHN SMITH' }, password: '12345678' },
    },
    xml: vendor('transaction.request-manual-pan.xml'),
  },
  {
    name: 'transaction: manual refund, 12-digit PAN, no cardholder',
    object: {
      command: 'transaction',
      params: { type: 'refund', amount: 1, manual: { pan: '123456789012', expiry: '3001' }, password: '00000000' },
    },
    xml:
      '<transaction><type>refund</type><amount>000000000001</amount><pan>123456789012</pan><expired>3001</expired>' +
      '<password>00000000</password></transaction>',
  },
  {
    name: 'transaction.request-sbp.xml',
    object: { command: 'transaction', params: { type: 'purchase', amount: 12300, sbp: true } },
    xml: vendor('transaction.request-sbp.xml'),
  },
  {
    name: 'report.request.xml',
    object: { command: 'report', params: { password: '12345678', reportType: 'brief' } },
    xml: vendor('report.request.xml'),
  },
  {
    name: 'report: full',
    object: { command: 'report', params: { password: '12345678', reportType: 'full' } },
    xml: '<report><password>12345678</password><report-type>full</report-type></report>',
  },
  { name: 'settlement.request.xml', object: { command: 'settlement', params: { password: '12345678' } }, xml: vendor('settlement.request.xml') },
  {
    name: 'clear (no example in the document)',
    object: { command: 'clear', params: { password: '12345678' } },
    xml: '<clear><password>12345678</password></clear>',
  },
  { name: 'resetpassword.request.xml', object: { command: 'resetpassword', params: {} }, xml: vendor('resetpassword.request.xml') },
  {
    name: 'sethostkey.request.xml',
    object: { command: 'sethostkey', params: { token: TOKEN, name: 'hkey1', material: 'QWJjOGRFZmc=' } },
    xml: vendor('sethostkey.request.xml'),
  },
  { name: 'runreset.request.xml', object: { command: 'runreset', params: { token: TOKEN } }, xml: vendor('runreset.request.xml') },
];

type StatusAnswer = { name: string; status: string };
const STATUS_ANSWERS: Codec<StatusAnswer> = { parse: parseMessageAnswer, build: (a) => buildMessageAnswer(a.name, a.status) };

const STATUS_ANSWER_ROWS: Row<StatusAnswer>[] = [
  { name: 'keepalive.answer.xml', object: { name: 'keepalive', status: 'ok' }, xml: vendor('keepalive.answer.xml') },
  { name: 'keepalive cancelled', object: { name: 'keepalive', status: 'cancelled' }, xml: '<keepalive><status>cancelled</status></keepalive>' },
  { name: 'keep-alive (runreset) cancelled', object: { name: 'keep-alive', status: 'cancelled' }, xml: '<keep-alive><status>cancelled</status></keep-alive>' },
  { name: 'display ok', object: { name: 'display', status: 'ok' }, xml: '<display><status>ok</status></display>' },
  { name: 'displayqrcode ok', object: { name: 'displayqrcode', status: 'ok' }, xml: '<displayqrcode><status>ok</status></displayqrcode>' },
  { name: 'an unknown message: notimplemented', object: { name: 'print', status: 'notimplemented' }, xml: '<print><status>notimplemented</status></print>' },
];

type DexAnswer = { status: string; terminalTags: EmvTagValue[] };
const DEX_ANSWERS: Codec<DexAnswer> = { parse: parseDexAnswer, build: (a) => buildDexAnswer(a.status, a.terminalTags) };

const DEX_ANSWER_ROWS: Row<DexAnswer>[] = [
  { name: 'dex.answer.xml', object: { status: 'ok', terminalTags: [{ name: '9F06', value: '000000001000' }] }, xml: vendor('dex.answer.xml') },
  {
    name: 'dex: two tags',
    object: {
      status: 'ok',
      terminalTags: [
        { name: '9F02', value: '000000012300' },
        { name: '50', value: '56495341' },
      ],
    },
    xml: '<dex><status>ok</status><terminal-tags><tag name="9F02" value="000000012300"/><tag name="50" value="56495341"/></terminal-tags></dex>',
  },
  { name: 'dex: ok, no tags', object: { status: 'ok', terminalTags: [] }, xml: '<dex><status>ok</status></dex>' },
  { name: 'dex: cancelled', object: { status: 'cancelled', terminalTags: [] }, xml: '<dex><status>cancelled</status></dex>' },
];

const CARD_ANSWERS: Codec<CardRequest> = {
  parse: (p) => {
    const a = parseCardAnswer(p);
    if (a.code === 'invalid') throw new Error(`invalid card answer: ${a.reason}`);
    return a;
  },
  build: buildCardAnswer,
};

const CARD_ANSWER_ROWS: Row<CardRequest>[] = [
  { name: 'card.answer-read.xml', object: { code: 'read', blockId: 0 }, xml: vendor('card.answer-read.xml') },
  { name: 'card read block 255', object: { code: 'read', blockId: 255 }, xml: '<card><code>read</code><block-id>255</block-id></card>' },
  {
    name: 'card write (one 16-byte block)',
    object: { code: 'write', blockId: 1, data: BLOCK },
    xml: `<card><code>write</code><block-id>1</block-id><payload>${BLOCK64}</payload></card>`,
  },
  { name: 'card close without a receipt', object: { code: 'close' }, xml: '<card><code>close</code></card>' },
  { name: 'card close with an empty receipt', object: { code: 'close', receipt: {} }, xml: '<card><code>close</code><receipt/></card>' },
  {
    name: 'card.answer-close.xml (the client receipt kept as sent)',
    object: { code: 'close', receipt: { status: 'approved', datetime: '2210111200', amount: '1000' } },
    xml: vendor('card.answer-close.xml'),
  },
  {
    name: 'card close with a nested receipt',
    object: { code: 'close', receipt: { status: 'approved', balance: { value: '100' } } },
    xml: '<card><code>close</code><receipt><status>approved</status><balance><value>100</value></balance></receipt></card>',
  },
  { name: 'card notimplemented', object: { code: 'notimplemented' }, xml: '<card><status>notimplemented</status></card>' },
];

// ---- Terminal → client ----

type AnyResponse = { [C in CommandName]: { command: C; response: ResponseTypes[C] } }[CommandName];

const RESPONSES: Codec<AnyResponse> = {
  parse: (p) => {
    assert.ok(isCommandName(p.name), p.name);
    return { command: p.name, response: parseResponse(p.name, p) } as AnyResponse;
  },
  build: (r) => responseToPacket(r.command, r.response as never),
};

const ok = { status: 'ok', ok: true, errors: [] as string[] };

const RESPONSE_ROWS: Row<AnyResponse>[] = [
  { name: 'login.response.xml', object: { command: 'login', response: { ...ok, token: TOKEN } }, xml: vendor('login.response.xml') },
  {
    name: 'login with a server-handshake (root attribute)',
    object: { command: 'login', response: { ...ok, token: 'AB', serverHandshake: 'QQRi' } },
    xml: '<login server-handshake="QQRi"><status>ok</status><token>AB</token></login>',
  },
  {
    name: 'login.response-notauthorized.xml',
    object: { command: 'login', response: { status: 'notauthorized', ok: false, errors: [] } },
    xml: vendor('login.response-notauthorized.xml'),
  },
  { name: 'logout.response.xml', object: { command: 'logout', response: ok }, xml: vendor('logout.response.xml') },
  {
    name: 'changepassword refused, with an error stack',
    object: { command: 'changepassword', response: { status: 'invalidarguments', ok: false, errors: ['newpassword: must be 8 digits'] } },
    xml: `<changepassword><status>invalidarguments</status><error-stack><error>${hex('newpassword: must be 8 digits')}</error></error-stack></changepassword>`,
  },
  {
    name: 'updateconfiguration: two errors, one in Russian',
    object: {
      command: 'updateconfiguration',
      response: { status: 'communicationerror', ok: false, errors: ['Host name is not found.', 'сервер недоступен'] },
    },
    xml:
      '<updateconfiguration><status>communicationerror</status><error-stack>' +
      `<error>${hex('Host name is not found.')}</error><error>${hex('сервер недоступен')}</error></error-stack></updateconfiguration>`,
  },
  {
    name: 'loadworkkeys.response.xml',
    object: { command: 'loadworkkeys', response: { ...ok, receipt: { macChangeRrn: '123456789123', netChangeRrn: '023456789120' } } },
    xml: vendor('loadworkkeys.response.xml'),
  },
  {
    name: 'loadworkkeys: one receipt only',
    object: { command: 'loadworkkeys', response: { ...ok, receipt: { netChangeRrn: '1' } } },
    xml: '<loadworkkeys><status>ok</status><net-change-receipt><rrn>1</rrn></net-change-receipt></loadworkkeys>',
  },
  {
    name: 'loadworkkeys: the host down, no receipts',
    object: { command: 'loadworkkeys', response: { status: 'communicationerror', ok: false, errors: ['Host name is not found.'] } },
    xml: `<loadworkkeys><status>communicationerror</status><error-stack><error>${hex('Host name is not found.')}</error></error-stack></loadworkkeys>`,
  },
  {
    name: 'loadmasterkeys.response.xml',
    object: { command: 'loadmasterkeys', response: { ...ok, receipt: { pinKcv: '123456', macKcv: '789ABC' } } },
    xml: vendor('loadmasterkeys.response.xml'),
  },
  {
    name: 'loadmasterkeys.response-error-stack.xml (a status outside Appendix A kept raw)',
    object: { command: 'loadmasterkeys', response: { status: 'connectionerror', ok: false, errors: ['Host name is not found.'] } },
    xml: vendor('loadmasterkeys.response-error-stack.xml'),
  },
  { name: 'testconnection ok', object: { command: 'testconnection', response: ok }, xml: '<testconnection><status>ok</status></testconnection>' },
  {
    name: 'getparameters.response.xml (all 26 fields)',
    object: {
      command: 'getparameters',
      response: {
        ...ok,
        parameters: {
          sn: '000000000009',
          app: '1.0.67.6',
          firmwareMcu: '1.5.3',
          firmwareBoot: '2.0.1',
          os: 'CS10_V1.07_181127PK',
          sdk: '1.0.4',
          tid: '1000000001',
          mid: '243423434122313',
          tconf: '19-04-01.01',
          ntconf: 'cname',
          cconf: '18-10-25.06',
          ncconf: 'cname_test',
          econf: '19-04-13.02',
          neconf: '2can_jibe_emv',
          kconf: '18-08-30.04',
          nkconf: 'combined_ca_database',
          acqid: 'twocan',
          cccert: '24.03.2027',
          csca: '20.11.2037',
          cshost: '192.168.0.185',
          accert: '24.03.2027',
          asca: '12.10.2020',
          ashost: '192.168.0.2',
          kccert: '24.03.2027',
          ksca: 'none',
          devid: 'M2100-0000005164',
        },
      },
    },
    xml: vendor('getparameters.response.xml'),
  },
  {
    name: 'transaction: approved card purchase',
    object: {
      command: 'transaction',
      response: {
        ...ok,
        approved: true,
        receipt: {
          header: ['Shop', 'Street 1'],
          footer: ['Thank you'],
          tid: '10000001',
          mid: '123456789012',
          seq: '000042',
          receiptNumber: 42,
          type: 'purchase',
          state: 'active',
          tstatus: 'approved',
          approved: true,
          amountAuthorized: 12300,
          amountOther: 0,
          currency: '643',
          aid: 'A0000000031010',
          appname: 'VISA CREDIT',
          alabel: 'VISA',
          applicationName: 'VISA',
          pinEntered: 'no',
          cdcvm: false,
          signature: false,
          pan: '411111******1111',
          aed: '301231',
          rrn: '120157645346',
          respCode: '000',
          respCodeDescription: 'Approved',
          authNumber: 'AFK045',
          datetime: '2024-02-29T23:59:58',
          tsi: 'E800',
          tvr: '0000000000',
          declineReason: '',
          acquirerTag: 'abc',
          bankName: 'demo',
          record: '9F0206000000012300',
        },
      },
    },
    xml:
      '<transaction><status>ok</status><receipt><header><line>Shop</line><line>Street 1</line></header><tid>10000001</tid>' +
      '<mid>123456789012</mid><seq>000042</seq><type>purchase</type><state>active</state><tstatus>approved</tstatus>' +
      '<amount-authorized>000000012300</amount-authorized><amount-other>000000000000</amount-other><currency>643</currency>' +
      '<aid>A0000000031010</aid><appname>VISA CREDIT</appname><alabel>VISA</alabel><pin-entered>no</pin-entered>' +
      '<cdcvm>no</cdcvm><signature>no</signature><pan>411111******1111</pan><aed>301231</aed><rrn>120157645346</rrn>' +
      '<resp-code>000</resp-code><resp-code-description>Approved</resp-code-description><auth-number>AFK045</auth-number>' +
      '<datetime>240229235958</datetime><tsi>E800</tsi><tvr>0000000000</tvr><decline-reason/><acquirer-tag>abc</acquirer-tag>' +
      '<bank-name>demo</bank-name><footer><line>Thank you</line></footer><record>9F0206000000012300</record></receipt></transaction>',
  },
  {
    name: 'transaction: declined, with apname and ict-id, CDCVM',
    object: {
      command: 'transaction',
      response: {
        ...ok,
        approved: false,
        receipt: {
          header: [],
          footer: [],
          seq: '7',
          receiptNumber: 7,
          tstatus: 'declined',
          approved: false,
          apname: '4D4952',
          ictId: '01',
          applicationName: 'MIR',
          cdcvm: true,
          declineReason: 'onlinedeclined',
          respCode: '051',
        },
      },
    },
    xml:
      '<transaction><status>ok</status><receipt><seq>7</seq><tstatus>declined</tstatus><apname>4D4952</apname><ict-id>01</ict-id>' +
      '<cdcvm>yes</cdcvm><resp-code>051</resp-code><decline-reason>onlinedeclined</decline-reason></receipt></transaction>',
  },
  {
    name: 'transaction over an encrypted session: plain-text-pan, only as a Secret',
    object: {
      command: 'transaction',
      response: {
        ...ok,
        approved: true,
        plainTextPan: new Secret(PAN),
        receipt: { header: [], footer: [], tstatus: 'approved', approved: true, pan: '400000******0001' },
      },
    },
    xml:
      '<transaction><status>ok</status><receipt><tstatus>approved</tstatus><pan>400000******0001</pan>' +
      `<plain-text-pan>${PAN}</plain-text-pan></receipt></transaction>`,
  },
  {
    name: 'transaction: SBP receipt with the CFT block, approved by its status',
    object: {
      command: 'transaction',
      response: {
        ...ok,
        approved: true,
        receipt: {
          header: [],
          footer: [],
          mid: 'MA0000086770',
          seq: '53',
          receiptNumber: 53,
          type: 'purchase',
          paymentStatus: 'approved',
          approved: true,
          amountAuthorized: 110,
          currency: '643',
          rrn: '232796',
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
        },
      },
    },
    xml:
      '<transaction><status>ok</status><receipt><mid>MA0000086770</mid><seq>53</seq><type>purchase</type><status>approved</status>' +
      '<amount-authorized>000000000110</amount-authorized><currency>643</currency><rrn>232796</rrn><datetime>220822153936</datetime>' +
      '<iface>sbp</iface><cft><localQrcId>232796</localQrcId><pointId>7f7f65af-7de3-44ec-8c89-8e97c52c6f0e</pointId>' +
      '<mpiOperationStatusDescriptionEng>Payment accepted</mpiOperationStatusDescriptionEng>' +
      '<mpiOperationStatusDescriptionRus>Платеж завершен успешно</mpiOperationStatusDescriptionRus>' +
      '<qrcId>AD100031O24RJFCM9NKREDRU8IUPC1N0</qrcId><extEntityId>1F8BOHBWEMC</extEntityId>' +
      '<paymentPurpose>Оплата товара или услуги</paymentPurpose></cft><error-code>ok</error-code></receipt></transaction>',
  },
  {
    name: "transaction: MIFARE payment, the client's own receipt data kept in extra",
    object: {
      command: 'transaction',
      response: {
        ...ok,
        approved: true,
        receipt: { header: [], footer: [], paymentStatus: 'approved', approved: true, iface: 'mifare', extra: { balance: '500', points: { value: '7' } } },
      },
    },
    xml:
      '<transaction><status>ok</status><receipt><status>approved</status><iface>mifare</iface><balance>500</balance>' +
      '<points><value>7</value></points></receipt></transaction>',
  },
  {
    name: 'transaction cancelled: no receipt, not approved',
    object: { command: 'transaction', response: { status: 'cancelled', ok: false, errors: [], approved: false } },
    xml: '<transaction><status>cancelled</status></transaction>',
  },
  {
    name: 'report: full, one transaction, one card type, grand totals',
    object: {
      command: 'report',
      response: {
        ...ok,
        report: {
          header: { mid: 'M1', tid: 'T1', title: ['Shop'], currency: '643', time: '2018-12-29T12:00:02' },
          transactions: [
            {
              status: 'approved',
              state: 'active',
              type: 'purchase',
              seq: '000001',
              amount: 1000,
              rrn: '647394847384',
              time: '2018-03-22T12:14:08',
              authCode: 'AFJ879',
              respCode: '000',
              currency: '643',
              pan: '************1234',
            },
          ],
          totals: [{ rid: 'A000000003', name: 'VISA', ...zeroTotals(), purchase: { count: 1, sum: 1000 }, totalCount: 1, totalSum: 1000 }],
          grandTotals: { ...zeroTotals(), refundReversal: { count: 2, sum: 20 }, totalCount: 2, totalSum: -20 },
        },
      },
    },
    xml:
      '<report><status>ok</status><xreport><header><mid>M1</mid><tid>T1</tid><title><line>Shop</line></title><cur>643</cur>' +
      '<time>181229120002</time></header><transactions><t><status>approved</status><state>active</state><type>purchase</type>' +
      '<seq>000001</seq><aa>000000001000</aa><rrn>647394847384</rrn><time>180322121408</time><apn>AFJ879</apn><arc>000</arc>' +
      '<cur>643</cur><pan>************1234</pan></t></transactions><totals><card-type><rid>A000000003</rid><name>VISA</name>' +
      '<purchase-count>1</purchase-count><purchase-sum>000000001000</purchase-sum><refund-count>0</refund-count>' +
      '<refund-sum>000000000000</refund-sum><purchase-with-cashback-count>0</purchase-with-cashback-count>' +
      '<purchase-with-cashback-sum>000000000000</purchase-with-cashback-sum><purchase-reversal-count>0</purchase-reversal-count>' +
      '<purchase-reversal-sum>000000000000</purchase-reversal-sum><refund-reversal-count>0</refund-reversal-count>' +
      '<refund-reversal-sum>000000000000</refund-reversal-sum><total-card-sum>D000000001000</total-card-sum>' +
      '<total-card-count>1</total-card-count></card-type></totals><grand-totals><purchase-total-count>0</purchase-total-count>' +
      '<purchase-total-sum>000000000000</purchase-total-sum><refund-total-count>0</refund-total-count>' +
      '<refund-total-sum>000000000000</refund-total-sum><purchase-with-cashback-total-count>0</purchase-with-cashback-total-count>' +
      '<purchase-with-cashback-total-sum>000000000000</purchase-with-cashback-total-sum>' +
      '<purchase-reversal-total-count>0</purchase-reversal-total-count><purchase-reversal-total-sum>000000000000</purchase-reversal-total-sum>' +
      '<refund-reversal-total-count>2</refund-reversal-total-count><refund-reversal-total-sum>000000000020</refund-reversal-total-sum>' +
      '<total-sum>C000000000020</total-sum><total-count>2</total-count></grand-totals></xreport></report>',
  },
  {
    name: 'report: brief, empty log',
    object: { command: 'report', response: { ...ok, report: { header: { title: [] }, transactions: [], totals: [] } } },
    xml: '<report><status>ok</status><xreport><header><title/></header><totals/></xreport></report>',
  },
  {
    name: 'settlement.response.xml',
    object: {
      command: 'settlement',
      response: {
        ...ok,
        report: {
          respCode: '000',
          approvalNumber: 'ASD002',
          rrn: '837495759322',
          terminalTotal: 3030001000,
          hostTotal: 3030001000,
          datetime: '2018-03-22T10:23:54',
          tid: '1000000001',
          mid: '123456789012345',
          currency: '643',
          from: '2019-01-01T10:00:00',
          to: '2019-01-02T11:00:00',
          transactionCount: 100,
          batchUpload: 'passed',
          artRespCode: '00',
          covRespCode: '00',
          covRrn: '123456789012',
          settlementResult: 'passed',
          passed: true,
        },
      },
    },
    xml: vendor('settlement.response.xml'),
  },
  {
    name: 'settlement: batch upload failed, the host total below zero',
    object: {
      command: 'settlement',
      response: {
        status: 'batchuploadfailed',
        ok: false,
        errors: ['batch upload failed'],
        report: { hostTotal: -100, terminalTotal: 0, batchUpload: 'failed', settlementResult: 'failed', passed: false },
      },
    },
    xml:
      '<settlement><status>batchuploadfailed</status><sreport><orig-amount>D000000000000</orig-amount><amount>C000000000100</amount>' +
      '<batch-upload>failed</batch-upload><settlement-result>failed</settlement-result></sreport>' +
      `<error-stack><error>${hex('batch upload failed')}</error></error-stack></settlement>`,
  },
  {
    name: 'settlement: status ok, but settlement-result failed: not passed',
    object: { command: 'settlement', response: { ...ok, report: { hostTotal: -100, settlementResult: 'failed', passed: false } } },
    xml: '<settlement><status>ok</status><sreport><amount>C000000000100</amount><settlement-result>failed</settlement-result></sreport></settlement>',
  },
  {
    name: 'clear.response.xml (no settlement-result: the status decides passed)',
    object: {
      command: 'clear',
      response: {
        ...ok,
        report: {
          respCode: '000',
          approvalNumber: 'ASD002',
          rrn: '837495759322',
          terminalTotal: 3030001000,
          hostTotal: 3030001000,
          datetime: '2018-03-22T10:23:54',
          tid: '1000000001',
          mid: '123456789012345',
          passed: true,
        },
      },
    },
    xml: vendor('clear.response.xml'),
  },
  {
    name: 'clear: the cutover failed, an empty sreport (no settlement-result: the failing status decides)',
    object: { command: 'clear', response: { status: 'communicationerror', ok: false, errors: [], report: { passed: false } } },
    xml: '<clear><status>communicationerror</status><sreport/></clear>',
  },
  { name: 'resetpassword ok', object: { command: 'resetpassword', response: ok }, xml: '<resetpassword><status>ok</status></resetpassword>' },
  {
    name: 'sethostkey refused',
    object: { command: 'sethostkey', response: { status: 'invalidarguments', ok: false, errors: ['material'] } },
    xml: `<sethostkey><status>invalidarguments</status><error-stack><error>${hex('material')}</error></error-stack></sethostkey>`,
  },
  {
    name: 'runreset cancelled',
    object: { command: 'runreset', response: { status: 'cancelled', ok: false, errors: ['initialisation aborted'] } },
    xml: `<runreset><status>cancelled</status><error-stack><error>${hex('initialisation aborted')}</error></error-stack></runreset>`,
  },
];

const MESSAGES: Codec<TerminalMessage> = {
  parse: (p) => {
    const m = parseMessage(p);
    assert.ok(m, `<${p.name}> is a message`);
    return m;
  },
  build: messageToPacket,
};

const MESSAGE_ROWS: Row<TerminalMessage>[] = [
  { name: 'keepalive.message.xml', object: { name: 'keepalive' }, xml: vendor('keepalive.message.xml') },
  {
    name: 'runreset.message-keep-alive.xml (no activator yet)',
    object: { name: 'keep-alive', message: { activatorConnected: false } },
    xml: vendor('runreset.message-keep-alive.xml'),
  },
  {
    name: 'keep-alive: the activator connected',
    object: { name: 'keep-alive', message: { activatorConnected: true } },
    xml: '<keep-alive><reset-connected-indicator>1</reset-connected-indicator></keep-alive>',
  },
  {
    name: 'display: every field, an amount (value-qualifier 10)',
    object: {
      name: 'display',
      message: { code: 'D1', language: 'ruen', text: 'Связь', uiStatus: '03', holdTime: '000010', valueQualifier: '10', amount: 5, currency: '643' },
    },
    xml:
      '<display><code>D1</code><language>ruen</language><msg>Связь</msg><status>03</status><hold-time>000010</hold-time>' +
      '<value-qualifier>10</value-qualifier><value>000000000005</value><currency>643</currency></display>',
  },
  { name: 'display: the code only', object: { name: 'display', message: { code: '1E' } }, xml: '<display><code>1E</code></display>' },
  {
    name: 'dex.message.xml (a value kept as sent, even odd-length)',
    object: { name: 'dex', message: { kernelTags: [{ name: '5A', value: '01234567890ABCDEF' }] } },
    xml: vendor('dex.message.xml'),
  },
  {
    name: 'dex: two tags',
    object: {
      name: 'dex',
      message: {
        kernelTags: [
          { name: '5A', value: PAN },
          { name: '9F02', value: '000000012300' },
        ],
      },
    },
    xml: `<dex><kernel-tags><tag name="5A" value="${PAN}"/><tag name="9F02" value="000000012300"/></kernel-tags></dex>`,
  },
  {
    name: 'displayqrcode.message-show.xml',
    object: { name: 'displayqrcode', message: { show: true, url: 'https://example.com/qrcode/jAhh76JhjK' } },
    xml: vendor('displayqrcode.message-show.xml'),
  },
  {
    name: 'displayqrcode: a URL with a query string',
    object: { name: 'displayqrcode', message: { show: true, url: 'https://qr.nspk.ru/x?a=1&b=2' } },
    xml: '<displayqrcode><status>show</status><url>https://qr.nspk.ru/x?a=1&amp;b=2</url></displayqrcode>',
  },
  { name: 'displayqrcode.message-hide.xml', object: { name: 'displayqrcode', message: { show: false } }, xml: vendor('displayqrcode.message-hide.xml') },
  {
    name: 'card open with the authentication block',
    object: { name: 'card', message: { code: 'open', blockId: 4, data: BLOCK } },
    xml: `<card><code>open</code><block-id>4</block-id><payload>${BLOCK64}</payload></card>`,
  },
  {
    name: 'card open, the block unreadable',
    object: { name: 'card', message: { code: 'open', blockId: 255 } },
    xml: '<card><code>open</code><block-id>255</block-id></card>',
  },
  {
    name: 'card read result',
    object: { name: 'card', message: { code: 'read', ok: true, status: 'ok', data: BLOCK } },
    xml: `<card><code>read</code><status>ok</status><payload>${BLOCK64}</payload></card>`,
  },
  {
    name: 'card read failed',
    object: { name: 'card', message: { code: 'read', ok: false, status: 'failed' } },
    xml: '<card><code>read</code><status>failed</status></card>',
  },
  {
    name: 'card.message-write-result.xml',
    object: { name: 'card', message: { code: 'write', ok: true, status: 'ok' } },
    xml: vendor('card.message-write-result.xml'),
  },
  {
    name: 'card write failed',
    object: { name: 'card', message: { code: 'write', ok: false, status: 'failed' } },
    xml: '<card><code>write</code><status>failed</status></card>',
  },
];

// ---- Terminal ↔ activator (runreset, §10) ----

const CERTIFICATE_REQUESTS: Codec<CertificateRequest> = {
  parse: (p) => {
    const r = parseCertificateRequest(p);
    assert.ok(r, `<${p.name}> is a certificate request`);
    return r;
  },
  build: buildCertificateRequest,
};

const CERTIFICATE_REQUEST_ROWS: Row<CertificateRequest>[] = [
  {
    name: 'activator.signconfigclientcertificate-message.xml',
    object: { name: 'signconfigclientcertificate', rootName: 'signconfigclientcertificate', key: KEY, deviceIdentifier: 'IMS0000000009' },
    xml: vendor('activator.signconfigclientcertificate-message.xml'),
  },
  {
    name: 'the document misspelling signconfigcientcertificate, kept as the root',
    object: { name: 'signconfigclientcertificate', rootName: 'signconfigcientcertificate', key: KEY, deviceIdentifier: 'D' },
    xml: `<signconfigcientcertificate><key>${KEY}</key><device-identifier>D</device-identifier></signconfigcientcertificate>`,
  },
  ...(['signkeyloaderclientcertificate', 'signacquirerclientcertificate'] as const).map((name) => ({
    name,
    object: { name, rootName: name, key: KEY, deviceIdentifier: 'IMS1' },
    xml: `<${name}><key>${KEY}</key><device-identifier>IMS1</device-identifier></${name}>`,
  })),
];

const certificateAnswers = (root: string): Codec<CertificateAnswer> => ({
  parse: parseCertificateAnswer,
  build: (a) => buildCertificateAnswer(root, a),
});

const CERTIFICATE_ANSWER_ROWS: Row<CertificateAnswer>[] = [
  {
    name: 'activator.signconfigclientcertificate-answer.xml',
    object: { cert: 'AB12C4ED', ca: '56AE54C6' },
    xml: vendor('activator.signconfigclientcertificate-answer.xml'),
  },
  {
    name: 'with a status',
    object: { status: 'ok', cert: 'AB', ca: 'CD' },
    xml: '<signconfigclientcertificate><status>ok</status><signed-cert><cert>AB</cert><ca>CD</ca></signed-cert></signconfigclientcertificate>',
  },
  {
    name: 'refused',
    object: { status: 'failed' },
    xml: '<signconfigclientcertificate><status>failed</status></signconfigclientcertificate>',
  },
];

const CONFIG_CREDENTIALS: Codec<ConfigCredentials> = { parse: parseConfigCredentialsAnswer, build: buildConfigCredentialsAnswer };

const CONFIG_CREDENTIALS_ROWS: Row<ConfigCredentials>[] = [
  {
    name: 'activator.queryconfigcredentials-answer.xml',
    object: { cert: 'AB1234', sign: 'CDEF5678', url: 'https://myconfig.server' },
    xml: vendor('activator.queryconfigcredentials-answer.xml'),
  },
  { name: 'refused', object: { status: 'failed' }, xml: '<queryconfigcredentials><status>failed</status></queryconfigcredentials>' },
];

/** `<reset/>` and `<queryconfigcredentials/>` carry nothing but their name. */
const bare = (build: () => Packet, is: (p: Packet) => boolean): Codec<boolean> => ({
  parse: (p) => is(p) && Object.keys(p.body).length === 0,
  build: () => build(),
});

describe('protocol round trips: parse(xml) = object, build(object) = xml', () => {
  describe('client → terminal', () => {
    table('requests', REQUESTS, REQUEST_ROWS);
    table('message answers: status only (keepalive, keep-alive, display, displayqrcode, unknown)', STATUS_ANSWERS, STATUS_ANSWER_ROWS);
    table('message answers: dex', DEX_ANSWERS, DEX_ANSWER_ROWS);
    table('message answers: card', CARD_ANSWERS, CARD_ANSWER_ROWS);

    it('every command has a request row', () => {
      const covered = new Set(REQUEST_ROWS.map((r) => r.object.command));
      assert.deepEqual(COMMAND_NAMES.filter((c) => !covered.has(c)), []);
    });
  });

  describe('terminal → client', () => {
    table('responses', RESPONSES, RESPONSE_ROWS);
    table('messages', MESSAGES, MESSAGE_ROWS);

    it('every command has a response row and every message a row', () => {
      const covered = new Set(RESPONSE_ROWS.map((r) => r.object.command));
      assert.deepEqual(COMMAND_NAMES.filter((c) => !covered.has(c)), []);
      const messages = new Set(MESSAGE_ROWS.map((r) => r.object.name));
      assert.deepEqual(MESSAGE_NAMES.filter((m) => !messages.has(m)), []);
    });
  });

  describe('terminal ↔ activator', () => {
    table('terminal → activator: certificate requests', CERTIFICATE_REQUESTS, CERTIFICATE_REQUEST_ROWS);
    table('terminal → activator: config credentials query', bare(buildConfigCredentialsQuery, isConfigCredentialsQuery), [
      { name: 'queryconfigcredentials', object: true, xml: '<queryconfigcredentials/>' },
    ]);
    table('activator → terminal: reset', bare(buildActivatorReset, (p) => p.name === ACTIVATOR_RESET), [
      { name: 'reset', object: true, xml: '<reset/>' },
    ]);
    table('activator → terminal: certificate answers', certificateAnswers('signconfigclientcertificate'), CERTIFICATE_ANSWER_ROWS);
    table('activator → terminal: config credentials', CONFIG_CREDENTIALS, CONFIG_CREDENTIALS_ROWS);
  });
});

// ---- The vendor examples ----

const RECEIPTS: Codec<ReturnType<typeof parseReceipt>> = {
  parse: (p) => parseReceipt(p.body),
  build: (r) => packet('receipt', receiptToElement(r)),
};

/** The codec of each kind of example, by file name (first match). */
const EXAMPLE_CODECS: readonly (readonly [RegExp, (p: Packet) => Codec<unknown>])[] = [
  [/^[a-z]+\.request(-[a-z-]+)?\.xml$/, () => REQUESTS],
  [/^[a-z]+\.response(-[a-z-]+)?\.xml$/, () => RESPONSES],
  [/^activator\.sign[a-z]+-message\.xml$/, () => CERTIFICATE_REQUESTS],
  [/^activator\.sign[a-z]+-answer\.xml$/, (p) => certificateAnswers(p.name)],
  [/^activator\.queryconfigcredentials-answer\.xml$/, () => CONFIG_CREDENTIALS],
  [/^[a-z-]+\.message(-[a-z-]+)?\.xml$/, () => MESSAGES],
  [/^card\.answer-[a-z]+\.xml$/, () => CARD_ANSWERS],
  [/^dex\.answer\.xml$/, () => DEX_ANSWERS],
  [/^keepalive\.answer\.xml$/, () => STATUS_ANSWERS],
  [/^receipt\.[a-z-]+\.xml$/, () => RECEIPTS],
];

/** Examples that parse → build does not reproduce exactly: why, and the example as it is written back. */
const NOT_EXACT: Readonly<Record<string, readonly [string, (xml: string) => string]>> = {
  'transaction.response.xml': ['an empty <error-stack/> is not written', (xml) => xml.replace('<error-stack/>', '')],
  'transaction.response-sbp.xml': ['an empty <error-stack/> is not written', (xml) => xml.replace('<error-stack/>', '')],
  'display.message.xml': [
    'a <value> without value-qualifier 10 is not an amount and is not read',
    (xml) => xml.replace('<value>000000000000</value>', ''),
  ],
  'card.message-open.xml': ['the Base64 AbqR4t== has non-zero padding bits', (xml) => xml.replace('AbqR4t==', 'AbqR4g==')],
  'card.message-read-result.xml': ['the Base64 AbqR4t== has non-zero padding bits', (xml) => xml.replace('AbqR4t==', 'AbqR4g==')],
  'receipt.sbp-cft.xml': [
    "an empty <header/> and <footer/> are not written; resp-code comes before auth-number, in the card receipt's order",
    (xml) => xml.replace('<header/>', '').replace('<footer/>', '').replace('<auth-number/><resp-code/>', '<resp-code/><auth-number/>'),
  ],
};

/** The examples' editor shortened this payload to 4 bytes: it is no 16-byte block and is refused. */
const REFUSED: Readonly<Record<string, RegExp>> = { 'card.answer-write.xml': /payload must be 16 bytes, got 4/ };

describe('protocol round trips: every vendor example, parse → build → parse is stable', () => {
  const names = exampleNames();

  it('finds the examples', () => {
    assert.ok(names.length >= 48, `only ${names.length} examples found`);
  });

  for (const file of names) {
    it(file, () => {
      const p = example(file);
      const codec = EXAMPLE_CODECS.find(([pattern]) => pattern.test(file))?.[1](p);
      assert.ok(codec, `no codec for ${file}`);
      const refused = REFUSED[file];
      if (refused) {
        assert.throws(() => codec.parse(p), refused);
        return;
      }
      const parsed = codec.parse(p);
      const built = serializePacket(codec.build(parsed));
      assert.deepEqual(comparable(codec.parse(parsePacket(built))), comparable(parsed), 'parse(build(parse(example))) = parse(example)');
      const [why, writtenBack] = NOT_EXACT[file] ?? ['', (xml: string) => xml];
      assert.equal(built, writtenBack(canonical(p)), `build(parse(example)) = example${why ? `, except: ${why}` : ''}`);
      if (why) assert.notEqual(built, canonical(p), 'listed as not exact, but it is');
    });
  }
});

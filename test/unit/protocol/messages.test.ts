import assert from 'node:assert/strict';
import { packet, type Packet } from '../../../lib/codec/packet';
import { parsePacket, serializePacket } from '../../../lib/codec/xml';
import { JpayProtocolError, JpayValidationError } from '../../../lib/errors';
import {
  buildActivatorReset,
  buildCardAnswer,
  buildCertificateAnswer,
  buildCertificateRequest,
  buildConfigCredentialsAnswer,
  buildConfigCredentialsQuery,
  buildDexAnswer,
  buildMessageAnswer,
  isCertificateAnswerOk,
  isConfigCredentialsOk,
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
import type { CardRequest, TerminalMessage } from '../../../lib/protocol/types';
import { canonical, example } from './commands-examples.helper';

const badPacket = (e: unknown): boolean => e instanceof JpayProtocolError && e.code === 'bad-packet';
const xml = (s: string): Packet => parsePacket(s);
const BLOCK = Buffer.from('00112233445566778899aabbccddeeff', 'hex');

describe('protocol messages', () => {
  describe('parseMessage: the example messages', () => {
    it('keepalive and keep-alive', () => {
      assert.deepEqual(parseMessage(example('keepalive.message.xml')), { name: 'keepalive' });
      assert.deepEqual(parseMessage(example('runreset.message-keep-alive.xml')), {
        name: 'keep-alive',
        message: { activatorConnected: false },
      });
      assert.deepEqual(parseMessage(xml('<keep-alive><reset-connected-indicator>1</reset-connected-indicator></keep-alive>')), {
        name: 'keep-alive',
        message: { activatorConnected: true },
      });
      assert.throws(() => parseMessage(xml('<keep-alive><reset-connected-indicator>2</reset-connected-indicator></keep-alive>')), badPacket);
    });

    it('display (language or lang; amount only with value-qualifier 10)', () => {
      assert.deepEqual(parseMessage(example('display.message.xml')), {
        name: 'display',
        message: {
          code: '03',
          language: 'ruen',
          text: 'ОДОБРЕНО',
          uiStatus: '02',
          holdTime: '000000',
          valueQualifier: '00',
          currency: '643',
        },
      });
      const amount = parseMessage(
        xml('<display><code>01</code><lang>enru</lang><value-qualifier>10</value-qualifier><value>000000012300</value><currency>643</currency></display>'),
      );
      assert.deepEqual(amount, {
        name: 'display',
        message: { code: '01', language: 'enru', valueQualifier: '10', amount: 12300, currency: '643' },
      });
      assert.throws(() => parseMessage(xml('<display><msg>x</msg></display>')), badPacket);
      assert.throws(
        () => parseMessage(xml('<display><code>01</code><value-qualifier>10</value-qualifier><value>12.3</value></display>')),
        badPacket,
      );
    });

    it('dex (values kept as sent, even odd-length)', () => {
      assert.deepEqual(parseMessage(example('dex.message.xml')), {
        name: 'dex',
        message: { kernelTags: [{ name: '5A', value: '01234567890ABCDEF' }] },
      });
      assert.deepEqual(parseMessage(xml('<dex/>')), { name: 'dex', message: { kernelTags: [] } });
      assert.throws(() => parseMessage(xml('<dex><kernel-tags><tag value="01"/></kernel-tags></dex>')), badPacket);
    });

    it('displayqrcode show and hide', () => {
      assert.deepEqual(parseMessage(example('displayqrcode.message-show.xml')), {
        name: 'displayqrcode',
        message: { show: true, url: 'https://example.com/qrcode/jAhh76JhjK' },
      });
      assert.deepEqual(parseMessage(example('displayqrcode.message-hide.xml')), {
        name: 'displayqrcode',
        message: { show: false },
      });
      assert.throws(() => parseMessage(xml('<displayqrcode><status>show</status></displayqrcode>')), badPacket);
      assert.throws(() => parseMessage(xml('<displayqrcode><status>blink</status></displayqrcode>')), badPacket);
    });

    it('card open / read result / write result', () => {
      const payload = Buffer.from('AbqR4t==', 'base64');
      assert.deepEqual(parseMessage(example('card.message-open.xml')), {
        name: 'card',
        message: { code: 'open', blockId: 0, data: payload },
      });
      assert.deepEqual(parseMessage(example('card.message-read-result.xml')), {
        name: 'card',
        message: { code: 'read', ok: true, status: 'ok', data: payload },
      });
      assert.deepEqual(parseMessage(example('card.message-write-result.xml')), {
        name: 'card',
        message: { code: 'write', ok: true, status: 'ok' },
      });
      assert.deepEqual(parseMessage(xml('<card><code>read</code><status>failed</status></card>')), {
        name: 'card',
        message: { code: 'read', ok: false, status: 'failed' },
      });
    });

    it('card results without a status are read by what they carry (§8.9: ok with the block, else failed)', () => {
      assert.deepEqual(parseMessage(xml('<card><code>read</code><payload>AAAAAAAAAAAAAAAAAAAAAA==</payload></card>')), {
        name: 'card',
        message: { code: 'read', ok: true, status: 'ok', data: Buffer.alloc(16) },
      });
      assert.deepEqual(parseMessage(xml('<card><code>read</code></card>')), { name: 'card', message: { code: 'read', ok: false, status: 'failed' } });
      // A write nobody confirmed is not counted as written.
      assert.deepEqual(parseMessage(xml('<card><code>write</code></card>')), { name: 'card', message: { code: 'write', ok: false, status: 'missing' } });
    });

    it('malformed card messages are bad packets', () => {
      for (const bad of [
        '<card><block-id>0</block-id></card>',
        '<card><code>open</code></card>',
        '<card><code>open</code><block-id>256</block-id></card>',
        '<card><code>open</code><block-id>-1</block-id></card>',
        '<card><code>open</code><block-id>1.5</block-id></card>',
        '<card><code>open</code><block-id>0</block-id><payload>not base64!</payload></card>',
        '<card><code>erase</code></card>',
      ]) {
        assert.throws(() => parseMessage(xml(bad)), badPacket, bad);
      }
    });

    it('unknown names are undefined', () => {
      assert.equal(parseMessage(xml('<print><line>x</line></print>')), undefined);
      assert.equal(parseMessage(xml('<transaction><status>ok</status></transaction>')), undefined);
    });
  });

  it('messageToPacket is the inverse of parseMessage', () => {
    const messages: TerminalMessage[] = [
      { name: 'keepalive' },
      { name: 'keep-alive', message: { activatorConnected: true } },
      { name: 'keep-alive', message: { activatorConnected: false } },
      {
        name: 'display',
        message: { code: 'D1', language: 'ruen', text: 'Связь', uiStatus: '03', holdTime: '000010', valueQualifier: '10', amount: 5, currency: '643' },
      },
      { name: 'display', message: { code: '1E' } },
      { name: 'dex', message: { kernelTags: [{ name: '5A', value: '4000000010000001' }, { name: '9F02', value: '000000012300' }] } },
      { name: 'displayqrcode', message: { show: true, url: 'https://qr.nspk.ru/x?a=1&b=2' } },
      { name: 'displayqrcode', message: { show: false } },
      { name: 'card', message: { code: 'open', blockId: 4, data: BLOCK } },
      { name: 'card', message: { code: 'open', blockId: 255 } },
      { name: 'card', message: { code: 'read', ok: true, status: 'ok', data: BLOCK } },
      { name: 'card', message: { code: 'write', ok: false, status: 'failed' } },
    ];
    for (const m of messages) {
      const wire = parsePacket(serializePacket(messageToPacket(m)));
      assert.deepEqual(parseMessage(wire), m, JSON.stringify(m));
    }
    // The example messages come back out unchanged.
    for (const file of [
      'keepalive.message.xml',
      'runreset.message-keep-alive.xml',
      'dex.message.xml',
      'displayqrcode.message-show.xml',
      'displayqrcode.message-hide.xml',
      'card.message-open.xml',
      'card.message-read-result.xml',
      'card.message-write-result.xml',
    ]) {
      const parsed = parseMessage(example(file));
      assert.ok(parsed);
      // The examples' `AbqR4t==` has non-zero padding bits; its canonical Base64 is `AbqR4g==`.
      const expected = canonical(example(file)).replace('AbqR4t==', 'AbqR4g==');
      assert.equal(canonical(messageToPacket(parsed)), expected, file);
    }
  });

  describe('answers', () => {
    it('message answers', () => {
      assert.equal(canonical(buildMessageAnswer('keepalive', 'ok')), canonical(example('keepalive.answer.xml')));
      assert.deepEqual(parseMessageAnswer(example('keepalive.answer.xml')), { name: 'keepalive', status: 'ok' });
      assert.deepEqual(parseMessageAnswer(buildMessageAnswer('keep-alive', 'cancelled')), {
        name: 'keep-alive',
        status: 'cancelled',
      });
    });

    it('dex answer: example, round trip, validation of the tags', () => {
      const tags = [{ name: '9F06', value: '000000001000' }];
      assert.equal(canonical(buildDexAnswer('ok', tags)), canonical(example('dex.answer.xml')));
      assert.deepEqual(parseDexAnswer(example('dex.answer.xml')), { status: 'ok', terminalTags: tags });
      assert.equal(canonical(buildDexAnswer('ok')), '<dex><status>ok</status></dex>');
      assert.deepEqual(parseDexAnswer(buildDexAnswer('ok', [])), { status: 'ok', terminalTags: [] });
      assert.throws(
        () => buildDexAnswer('ok', [tags[0], { name: '9F02', value: '123' }]),
        (e: unknown) => e instanceof JpayValidationError && e.field === 'terminalTags[1]',
      );
      assert.throws(() => buildDexAnswer('ok', [{ name: 'ZZ', value: '00' }]), JpayValidationError);
      assert.throws(() => parseDexAnswer(xml('<dex><status>ok</status><terminal-tags><tag name="9F02"/></terminal-tags></dex>')), badPacket);
    });

    it('card answers: the examples', () => {
      assert.equal(canonical(buildCardAnswer({ code: 'read', blockId: 0 })), canonical(example('card.answer-read.xml')));
      const close = example('card.answer-close.xml');
      const receipt = close.body.receipt as Record<string, string>;
      assert.equal(canonical(buildCardAnswer({ code: 'close', receipt })), canonical(close));
      assert.deepEqual(parseCardAnswer(close), { code: 'close', receipt });
      assert.deepEqual(parseCardAnswer(example('card.answer-read.xml')), { code: 'read', blockId: 0 });
      // The example's payload was shortened to 4 bytes: not a 16-byte block.
      assert.deepEqual(parseCardAnswer(example('card.answer-write.xml')), {
        code: 'invalid',
        reason: 'payload must be 16 bytes, got 4',
      });
    });

    it('card answers round-trip', () => {
      const requests: CardRequest[] = [
        { code: 'read', blockId: 255 },
        { code: 'write', blockId: 1, data: BLOCK },
        { code: 'close' },
        { code: 'close', receipt: { status: 'approved', balance: { value: '100' } } },
        { code: 'notimplemented' },
      ];
      for (const r of requests) {
        assert.deepEqual(parseCardAnswer(parsePacket(serializePacket(buildCardAnswer(r)))), r, r.code);
      }
      assert.equal(canonical(buildCardAnswer({ code: 'notimplemented' })), '<card><status>notimplemented</status></card>');
      assert.equal(
        canonical(buildCardAnswer({ code: 'write', blockId: 1, data: BLOCK })),
        `<card><code>write</code><block-id>1</block-id><payload>${BLOCK.toString('base64')}</payload></card>`,
      );
    });

    it('card answers: invalid input', () => {
      assert.throws(() => buildCardAnswer({ code: 'read', blockId: 256 }), JpayValidationError);
      assert.throws(() => buildCardAnswer({ code: 'read', blockId: 1.5 }), JpayValidationError);
      assert.throws(() => buildCardAnswer({ code: 'write', blockId: 1, data: Buffer.alloc(4) }), JpayValidationError);
      for (const [answer, reason] of [
        ['<card><code>read</code></card>', 'block-id is missing'],
        ['<card><code>read</code><block-id>x</block-id></card>', 'block-id must be an integer 0..255'],
        ['<card><code>write</code><block-id>1</block-id></card>', 'payload is missing'],
        ['<card><code>write</code><block-id>1</block-id><payload>!!</payload></card>', 'payload is not valid Base64'],
        ['<card><code>format</code></card>', 'code must be read, write or close'],
        ['<card><status>failed</status></card>', 'code is missing'],
        ['<dex><status>ok</status></dex>', 'root element must be card'],
      ]) {
        assert.deepEqual(parseCardAnswer(xml(answer)), { code: 'invalid', reason }, answer);
      }
    });
  });

  describe('runreset activator dialogue (§10)', () => {
    const KEY = '30820122300D06092A864886F70D01010105000382010F00';

    it('certificate request: example, misspelling, both directions', () => {
      const req = parseCertificateRequest(example('activator.signconfigclientcertificate-message.xml'));
      assert.deepEqual(req, {
        name: 'signconfigclientcertificate',
        rootName: 'signconfigclientcertificate',
        key: KEY,
        deviceIdentifier: 'IMS0000000009',
      });
      assert.equal(canonical(buildCertificateRequest(req)), canonical(example('activator.signconfigclientcertificate-message.xml')));
      const misspelled = parseCertificateRequest(
        xml(`<signconfigcientcertificate><key>${KEY}</key><device-identifier>D</device-identifier></signconfigcientcertificate>`),
      );
      assert.equal(misspelled?.name, 'signconfigclientcertificate');
      assert.equal(misspelled?.rootName, 'signconfigcientcertificate');
      for (const name of ['signkeyloaderclientcertificate', 'signacquirerclientcertificate'] as const) {
        const p = buildCertificateRequest({ name, key: KEY, deviceIdentifier: 'IMS1' });
        assert.equal(p.name, name);
        assert.deepEqual(parseCertificateRequest(p), { name, rootName: name, key: KEY, deviceIdentifier: 'IMS1' });
      }
      assert.equal(parseCertificateRequest(xml('<reset/>')), undefined);
      assert.throws(() => parseCertificateRequest(xml('<signacquirerclientcertificate><key>XY</key><device-identifier>D</device-identifier></signacquirerclientcertificate>')), badPacket);
      assert.throws(() => parseCertificateRequest(xml(`<signacquirerclientcertificate><key>${KEY}</key></signacquirerclientcertificate>`)), badPacket);
      assert.throws(() => buildCertificateRequest({ name: 'signacquirerclientcertificate', key: 'nothex', deviceIdentifier: 'D' }), JpayValidationError);
    });

    it('certificate answer', () => {
      const file = example('activator.signconfigclientcertificate-answer.xml');
      const answer = parseCertificateAnswer(file);
      assert.deepEqual(answer, { cert: 'AB12C4ED', ca: '56AE54C6' });
      assert.equal(isCertificateAnswerOk(answer), true);
      assert.equal(canonical(buildCertificateAnswer('signconfigclientcertificate', answer)), canonical(file));
      const failed = parseCertificateAnswer(buildCertificateAnswer('signkeyloaderclientcertificate', { status: 'failed' }));
      assert.deepEqual(failed, { status: 'failed' });
      assert.equal(isCertificateAnswerOk(failed), false);
    });

    it('config credentials query and answer', () => {
      assert.equal(canonical(buildConfigCredentialsQuery()), '<queryconfigcredentials/>');
      assert.equal(isConfigCredentialsQuery(buildConfigCredentialsQuery()), true);
      assert.equal(isConfigCredentialsQuery(packet('reset')), false);
      const file = example('activator.queryconfigcredentials-answer.xml');
      const creds = parseConfigCredentialsAnswer(file);
      assert.deepEqual(creds, { cert: 'AB1234', sign: 'CDEF5678', url: 'https://myconfig.server' });
      assert.equal(isConfigCredentialsOk(creds), true);
      assert.equal(canonical(buildConfigCredentialsAnswer(creds)), canonical(file));
      assert.equal(isConfigCredentialsOk(parseConfigCredentialsAnswer(packet('queryconfigcredentials', { status: 'failed' }))), false);
      assert.equal(canonical(buildActivatorReset()), '<reset/>');
    });
  });
});

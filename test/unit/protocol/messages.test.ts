import assert from 'node:assert/strict';
import { packet, type Packet } from '../../../lib/codec/packet';
import { parsePacket } from '../../../lib/codec/xml';
import { JpayProtocolError, JpayValidationError } from '../../../lib/errors';
import {
  buildCardAnswer,
  buildCertificateRequest,
  buildDexAnswer,
  isCertificateAnswerOk,
  isConfigCredentialsOk,
  isConfigCredentialsQuery,
  parseCardAnswer,
  parseCertificateAnswer,
  parseCertificateRequest,
  parseConfigCredentialsAnswer,
  parseDexAnswer,
  parseMessage,
} from '../../../lib/protocol/messages';
import { canonical, example } from './commands-examples.helper';

const badPacket = (e: unknown): boolean => e instanceof JpayProtocolError && e.code === 'bad-packet';
const xml = (s: string): Packet => parsePacket(s);

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

  describe('answers', () => {
    it('dex answer: the tags are validated', () => {
      const tags = [{ name: '9F06', value: '000000001000' }];
      assert.equal(canonical(buildDexAnswer('ok')), '<dex><status>ok</status></dex>');
      assert.throws(
        () => buildDexAnswer('ok', [tags[0], { name: '9F02', value: '123' }]),
        (e: unknown) => e instanceof JpayValidationError && e.field === 'terminalTags[1]',
      );
      assert.throws(() => buildDexAnswer('ok', [{ name: 'ZZ', value: '00' }]), JpayValidationError);
      assert.throws(() => parseDexAnswer(xml('<dex><status>ok</status><terminal-tags><tag name="9F02"/></terminal-tags></dex>')), badPacket);
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

  describe('runreset activator session (§10)', () => {
    const KEY = '30820122300D06092A864886F70D01010105000382010F00';

    it('certificate request: malformed ones', () => {
      assert.equal(parseCertificateRequest(xml('<reset/>')), undefined);
      assert.throws(() => parseCertificateRequest(xml('<signacquirerclientcertificate><key>XY</key><device-identifier>D</device-identifier></signacquirerclientcertificate>')), badPacket);
      assert.throws(() => parseCertificateRequest(xml(`<signacquirerclientcertificate><key>${KEY}</key></signacquirerclientcertificate>`)), badPacket);
      assert.throws(() => buildCertificateRequest({ name: 'signacquirerclientcertificate', key: 'nothex', deviceIdentifier: 'D' }), JpayValidationError);
    });

    it('certificate answer: usable only with cert and ca and no failing status', () => {
      assert.equal(isCertificateAnswerOk(parseCertificateAnswer(example('activator.signconfigclientcertificate-answer.xml'))), true);
      assert.equal(isCertificateAnswerOk({ status: 'failed' }), false);
      assert.equal(isCertificateAnswerOk({ status: 'failed', cert: 'AB', ca: 'CD' }), false);
      assert.equal(isCertificateAnswerOk({ cert: 'AB' }), false);
    });

    it('config credentials: the query is recognised; the answer is usable only when complete', () => {
      assert.equal(isConfigCredentialsQuery(packet('queryconfigcredentials')), true);
      assert.equal(isConfigCredentialsQuery(packet('reset')), false);
      assert.equal(isConfigCredentialsOk(parseConfigCredentialsAnswer(example('activator.queryconfigcredentials-answer.xml'))), true);
      assert.equal(isConfigCredentialsOk(parseConfigCredentialsAnswer(packet('queryconfigcredentials', { status: 'failed' }))), false);
      assert.equal(isConfigCredentialsOk({ cert: 'AB', sign: 'CD' }), false);
    });
  });
});

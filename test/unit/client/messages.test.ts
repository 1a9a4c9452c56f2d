import assert from 'node:assert/strict';
import { JpayClient, JpayClientOptions, KeepaliveInfo } from '../../../lib/client';
import { childElement, childList, childText, packet, Packet, XmlElement } from '../../../lib/codec/packet';
import type { CardMessage, DexMessage, DisplayMessage, QrCodeMessage } from '../../../lib/protocol/types';
import { approvedReceipt, recordingLogger, ScriptedConnection } from '../../helpers/scripted-terminal';
import { scriptedClient } from '../../helpers/client-fixture';

const display = (code: string, extra: XmlElement = {}): Packet => packet('display', { code, language: 'ruen', ...extra });
const dex = (): Packet => packet('dex', { 'kernel-tags': { tag: [{ '@name': '5A', '@value': '4000000010000001' }] } });
const cardOpen = (): Packet => packet('card', { code: 'open', 'block-id': '4', payload: Buffer.alloc(16, 1).toString('base64') });
const status = (p: Packet): string | undefined => childText(p.body, 'status');

describe('JpayClient terminal messages', () => {
  const fx = scriptedClient();
  const setup = (script: (conn: ScriptedConnection) => Promise<void>, options: Partial<JpayClientOptions> = {}): Promise<JpayClient> =>
    fx.setup([script], options);

  it('answers every message before the response, calls the handlers and emits events', async () => {
    const answers: Packet[] = [];
    const c = await setup(async (conn) => {
      await conn.expect('transaction');
      answers.push(await conn.message(packet('keepalive')));
      answers.push(await conn.message(display('15', { 'value-qualifier': '10', value: '000000012300', currency: '643' })));
      answers.push(await conn.message(packet('displayqrcode', { status: 'show', url: 'https://qr.example/abc' })));
      answers.push(await conn.message(packet('displayqrcode', { status: 'hide' })));
      answers.push(await conn.message(display('03', { msg: 'ОДОБРЕНО' })));
      await conn.respond('ok', approvedReceipt(12300));
    });
    const seen: string[] = [];
    const displays: DisplayMessage[] = [];
    const qrs: QrCodeMessage[] = [];
    const ticks: KeepaliveInfo[] = [];
    c.on('display', (m) => seen.push(`event:display:${m.code}`));
    c.on('qrcode', (m) => seen.push(`event:qrcode:${m.show}`));
    c.on('keepalive', () => seen.push('event:keepalive'));
    c.on('command-start', (e) => seen.push(`start:${e.command}`));
    c.on('command-end', (e) => seen.push(`end:${e.command}:${e.status}:${e.ok}`));
    const result = await c.transaction(
      { type: 'purchase', amount: 12300 },
      {
        handlers: {
          display: (m) => void displays.push(m),
          displayqrcode: (m) => void qrs.push(m),
          keepalive: (info) => void ticks.push(info),
        },
      },
    );
    assert.equal(result.approved, true);
    await fx.terminal.done();
    assert.deepEqual(answers.map((a) => [a.name, status(a)]), [
      ['keepalive', 'ok'],
      ['display', 'ok'],
      ['displayqrcode', 'ok'],
      ['displayqrcode', 'ok'],
      ['display', 'ok'],
    ]);
    assert.deepEqual(displays.map((d) => d.code), ['15', '03']);
    assert.equal(displays[0].amount, 12300);
    assert.equal(displays[1].text, 'ОДОБРЕНО');
    assert.deepEqual(qrs, [{ show: true, url: 'https://qr.example/abc' }, { show: false }]);
    assert.deepEqual(ticks, [{ command: 'transaction', count: 1, cancelling: false }]);
    assert.deepEqual(seen, [
      'start:transaction',
      'event:keepalive',
      'event:display:15',
      'event:qrcode:true',
      'event:qrcode:false',
      'event:display:03',
      'end:transaction:ok:true',
    ]);
  });

  it('answers an unknown message notimplemented and goes on', async () => {
    let answer: Packet | undefined;
    const c = await setup(async (conn) => {
      await conn.expect('transaction');
      answer = await conn.message(packet('getonlinepin', { x: '1' }));
      await conn.respond('ok', approvedReceipt(100));
    });
    assert.equal((await c.transaction({ type: 'purchase', amount: 100 })).approved, true);
    await fx.terminal.done();
    assert.equal(answer?.name, 'getonlinepin');
    assert.equal(status(answer!), 'notimplemented');
  });

  it('dex: the handler tags go back with ok; without a handler ok and no tags', async () => {
    const answers: Packet[] = [];
    const c = await setup(async (conn) => {
      await conn.expect('transaction');
      answers.push(await conn.message(dex()));
      await conn.respond('ok', approvedReceipt(100));
    });
    const seen: DexMessage[] = [];
    c.on('dex', (m) => seen.push(m));
    await c.transaction(
      { type: 'purchase', amount: 100 },
      { handlers: { dex: (m) => (m.kernelTags[0].name === '5A' ? [{ name: '9F06', value: 'A0000000031010' }] : []) } },
    );
    await fx.terminal.done();
    assert.equal(status(answers[0]), 'ok');
    const tags = childList(childElement(answers[0].body, 'terminal-tags'), 'tag') as XmlElement[];
    assert.deepEqual(tags, [{ '@name': '9F06', '@value': 'A0000000031010' }]);
    assert.deepEqual(seen[0].kernelTags, [{ name: '5A', value: '4000000010000001' }]);
  });

  it('card: a read/write/close card session, each answer being the next request', async () => {
    const answers: Packet[] = [];
    const c = await setup(async (conn) => {
      await conn.expect('transaction');
      answers.push(await conn.message(cardOpen()));
      answers.push(await conn.message(packet('card', { code: 'read', status: 'ok', payload: Buffer.alloc(16, 2).toString('base64') })));
      answers.push(await conn.message(packet('card', { code: 'write', status: 'ok' })));
      await conn.respond('ok', { receipt: { status: 'approved', balance: '900', iface: 'mifare' } });
    });
    const cards: CardMessage[] = [];
    c.on('card', (m) => cards.push(m));
    const result = await c.transaction(
      { type: 'purchase', amount: 100 },
      {
        handlers: {
          card: (m) => {
            if (m.code === 'open') return { code: 'read', blockId: 5 };
            if (m.code === 'read') return { code: 'write', blockId: 5, data: Buffer.alloc(16, 3) };
            return { code: 'close', receipt: { status: 'approved', balance: '900' } };
          },
        },
      },
    );
    await fx.terminal.done();
    assert.deepEqual(cards.map((m) => m.code), ['open', 'read', 'write']);
    assert.deepEqual(answers[0].body, { code: 'read', 'block-id': '5' });
    assert.equal(childText(answers[1].body, 'code'), 'write');
    assert.equal(childText(answers[1].body, 'payload'), Buffer.alloc(16, 3).toString('base64'));
    assert.deepEqual(answers[2].body, { code: 'close', receipt: { status: 'approved', balance: '900' } });
    assert.equal(result.approved, true);
    assert.equal(result.receipt?.iface, 'mifare');
  });

  it('card without a handler is answered notimplemented', async () => {
    let answer: Packet | undefined;
    const c = await setup(async (conn) => {
      await conn.expect('transaction');
      answer = await conn.message(cardOpen());
      await conn.respond('ok', approvedReceipt(100));
    });
    await c.transaction({ type: 'purchase', amount: 100 });
    await fx.terminal.done();
    assert.deepEqual(answer?.body, { status: 'notimplemented' });
  });

  it('a handler that throws or is late gets the safe default answer and a warning', async () => {
    const answers: Packet[] = [];
    const log = recordingLogger();
    const c = await setup(
      async (conn) => {
        await conn.expect('transaction');
        answers.push(await conn.message(packet('keepalive')));
        answers.push(await conn.message(display('0E')));
        answers.push(await conn.message(packet('displayqrcode', { status: 'show', url: 'u' })));
        answers.push(await conn.message(dex()));
        answers.push(await conn.message(cardOpen()));
        answers.push(await conn.message(dex()));
        answers.push(await conn.message(cardOpen()));
        await conn.respond('ok', approvedReceipt(100));
      },
      { timeouts: { handlerMs: 30 }, logger: log.logger },
    );
    let dexCalls = 0;
    let cardCalls = 0;
    const never = new Promise<never>(() => undefined);
    const result = await c.transaction(
      { type: 'purchase', amount: 100 },
      {
        handlers: {
          keepalive: () => {
            throw new Error('tick broke');
          },
          display: () => never,
          displayqrcode: () => Promise.reject(new Error('no screen')),
          dex: () => (++dexCalls === 1 ? never : [{ name: 'ZZ', value: 'nothex' }]),
          card: () => {
            if (++cardCalls === 1) throw new Error('reader gone');
            return never;
          },
        },
      },
    );
    assert.equal(result.approved, true);
    await fx.terminal.done();
    assert.deepEqual(answers.map((a) => [a.name, a.body]), [
      ['keepalive', { status: 'ok' }],
      ['display', { status: 'ok' }],
      ['displayqrcode', { status: 'ok' }],
      ['dex', { status: 'ok' }],
      ['card', { code: 'close' }],
      ['dex', { status: 'ok' }],
      ['card', { code: 'close' }],
    ]);
    const warnings = log.lines.filter((l) => l.level === 'warn').map((l) => l.msg);
    assert.equal(warnings.length, 7, warnings.join('\n'));
    assert.ok(warnings.some((w) => /keepalive handler threw/.test(w)));
    assert.ok(warnings.some((w) => /display handler did not answer within 30 ms/.test(w)));
    assert.ok(warnings.some((w) => /card handler threw; answered close without receipt/.test(w)));
  });

  it('per-call handlers override the client-wide ones key by key', async () => {
    const calls: string[] = [];
    const c = await setup(
      async (conn) => {
        await conn.expect('transaction');
        await conn.message(display('15'));
        await conn.message(packet('displayqrcode', { status: 'hide' }));
        await conn.respond('ok', approvedReceipt(100));
      },
      { handlers: { display: () => void calls.push('client-display'), displayqrcode: () => void calls.push('client-qr') } },
    );
    await c.transaction({ type: 'purchase', amount: 100 }, { handlers: { display: () => void calls.push('call-display') } });
    await fx.terminal.done();
    assert.deepEqual(calls, ['call-display', 'client-qr']);
  });

  it('a malformed known message gets the safe default; a throwing event listener changes nothing', async () => {
    const answers: Packet[] = [];
    const c = await setup(async (conn) => {
      await conn.expect('transaction');
      answers.push(await conn.message(packet('display', { msg: 'no code' })));
      answers.push(await conn.message(packet('card', { code: 'explode' })));
      answers.push(await conn.message(display('03')));
      await conn.respond('ok', approvedReceipt(100));
    });
    c.on('display', () => {
      throw new Error('observer bug');
    });
    const result = await c.transaction({ type: 'purchase', amount: 100 });
    assert.equal(result.approved, true);
    await fx.terminal.done();
    assert.deepEqual(answers.map((a) => a.body), [{ status: 'ok' }, { code: 'close' }, { status: 'ok' }]);
  });
});

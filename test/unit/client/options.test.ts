import assert from 'node:assert/strict';
import { DEFAULT_TIMEOUTS, JpayClient, JpayClientOptions, validateOptions } from '../../../lib/client';
import { JpayValidationError } from '../../../lib/errors';
import { reply } from '../../helpers/scripted-terminal';
import { scriptedClient } from '../../helpers/client-fixture';

function refuses(options: unknown, field: string): void {
  assert.throws(
    () => new JpayClient(options as JpayClientOptions),
    (e: unknown) => e instanceof JpayValidationError && e.field === field,
    `expected a JpayValidationError naming ${field}`,
  );
}

describe('JpayClient options', () => {
  it('applies the defaults', () => {
    const o = validateOptions({ host: 'terminal.local' });
    assert.equal(o.port, 4433);
    assert.equal(o.encrypt, false);
    assert.deepEqual(o.timeouts, { connectMs: 5000, commandMs: 600000, transactionMs: 600000, idleMs: 180000, handlerMs: 2000 });
    assert.deepEqual(o.timeouts, DEFAULT_TIMEOUTS);
    const partial = validateOptions({ host: 'h', timeouts: { idleMs: 10 } });
    assert.equal(partial.timeouts.idleMs, 10);
    assert.equal(partial.timeouts.commandMs, 600000);
  });

  it('names the offending field and never quotes the password', () => {
    refuses(undefined, 'options');
    refuses({}, 'host');
    refuses({ host: '  ' }, 'host');
    refuses({ host: 'h', port: 0 }, 'port');
    refuses({ host: 'h', port: 70000 }, 'port');
    refuses({ host: 'h', port: 1.5 }, 'port');
    refuses({ host: 'h', encrypt: 'yes' }, 'encrypt');
    refuses({ host: 'h', timeouts: { commandMs: -1 } }, 'timeouts.commandMs');
    refuses({ host: 'h', timeouts: { commandMs: 1.5 } }, 'timeouts.commandMs');
    refuses({ host: 'h', timeouts: { nope: 5 } }, 'timeouts.nope');
    refuses({ host: 'h', timeouts: 5 }, 'timeouts');
    refuses({ host: 'h', maxFrameSize: 3 }, 'maxFrameSize');
    refuses({ host: 'h', handlers: { display: 'x' } }, 'handlers.display');
    refuses({ host: 'h', handlers: { unknown: () => undefined } }, 'handlers.unknown');
    refuses({ host: 'h', logger: { warn: 1 } }, 'logger.warn');
    // A Buffer is an object, but not one of named members: refused as a whole.
    refuses({ host: 'h', handlers: Buffer.from('x') }, 'handlers');
    refuses({ host: 'h', timeouts: Buffer.from('x') }, 'timeouts');
    try {
      new JpayClient({ host: 'h', password: '1234567X' });
      assert.fail('accepted a bad password');
    } catch (e) {
      assert.ok(e instanceof JpayValidationError);
      assert.equal(e.field, 'password');
      assert.ok(!e.message.includes('1234567X'));
    }
  });

  describe('per call', () => {
    const fx = scriptedClient();

    it('refuses bad per-call handlers and bad requests before connecting', async () => {
      const client = await fx.setup([reply('transaction')]);
      await assert.rejects(
        client.transaction({ type: 'purchase', amount: 100 }, { handlers: { card: 5 } as never }),
        (e: unknown) => e instanceof JpayValidationError && e.field === 'handlers.card',
      );
      await assert.rejects(
        client.transaction({ type: 'purchase', amount: 1.5 }),
        (e: unknown) => e instanceof JpayValidationError && e.field === 'amount',
      );
      await assert.rejects(
        client.transaction({ type: 'purchase', amount: 100, manual: { pan: '4000000010000001', expiry: '2812' } }),
        (e: unknown) => e instanceof JpayValidationError && e.field === 'password',
      );
      await assert.rejects(client.report('weekly' as never), (e: unknown) => e instanceof JpayValidationError);
      assert.equal(fx.terminal.connections, 0, 'nothing was sent');
    });
  });
});

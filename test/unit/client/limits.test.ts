/**
 * The client's time limits against scripted terminals that behave as the vendor document
 * allows (issue 13): keep-alives during any long command (§3 «может получить»), a terminal
 * that stays silent for a minute, and errors that name the limit that fired. Real
 * timings are scaled down: the terminal's timing and the client's limits shrink by the
 * same factor, so a test shows what the defaults do without waiting minutes.
 */
import assert from 'node:assert/strict';
import net from 'node:net';
import { JpayClient, type ClientTimeouts, DEFAULT_TIMEOUTS } from '../../../lib/client';
import { TCP_KEEPALIVE_DELAY_MS } from '../../../lib/client/exchange';
import { once } from 'node:events';
import { encodeFrame } from '../../../lib/codec/frame';
import { packet, type XmlElement } from '../../../lib/codec/packet';
import { serializePacket } from '../../../lib/codec/xml';
import { JpayProtocolError, JpayTimeoutError, JpayValidationError, TransactionOutcomeUnknown, timeoutMessage } from '../../../lib/errors';
import { DEFAULT_MAX_REPORT_FRAME_SIZE, MAX_CLIENT_FRAME_SIZE } from '../../../lib/client/options';
import { DEFAULT_MAX_FRAME_SIZE } from '../../../lib/codec/frame';
import {
  acceptLogin,
  approvedReceipt,
  keepalive,
  keepAlives,
  keepAlivesUntilHangUp,
  reply,
  type Script,
  SETTLEMENT_PASSED,
  slowSettlement,
} from '../../helpers/scripted-terminal';
import { scriptedClient } from '../../helpers/client-fixture';

const PASSWORD = '24681357';
/** Real seconds become milliseconds × 2: 40 s → 80 ms. */
const SCALE = 500;

/** The default limits, scaled like the terminal's timing. */
function scaledDefaults(): Partial<ClientTimeouts> {
  return {
    connectMs: DEFAULT_TIMEOUTS.connectMs,
    commandMs: DEFAULT_TIMEOUTS.commandMs / SCALE,
    transactionMs: DEFAULT_TIMEOUTS.transactionMs / SCALE,
    idleMs: DEFAULT_TIMEOUTS.idleMs / SCALE,
  };
}

const realMs = (seconds: number): number => (seconds * 1000) / SCALE;
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

describe('JpayClient limits: idle, caps, TCP keep-alive and frame sizes (issue 13)', () => {
  const fx = scriptedClient({ password: PASSWORD });
  const { setup } = fx;

  it('the defaults outlast what terminals do: 40 s of settlement keep-alives, 70 s of silence', () => {
    assert.ok(DEFAULT_TIMEOUTS.commandMs >= 10 * 40_000, 'a settlement over a slow bank link fits the command cap');
    assert.ok(DEFAULT_TIMEOUTS.idleMs > 120_000, 'card detection, PIN entry or a bank answer may take minutes without a word');
    assert.ok(DEFAULT_TIMEOUTS.transactionMs > DEFAULT_TIMEOUTS.idleMs);
  });

  it('a settlement over a slow bank link: keep-alives every 5 s for 40 s, then passed (default limits, scaled)', async () => {
    // A keep-alive every 5 s for 40 s.
    const c = await setup([slowSettlement(40 / 5, realMs(5))], { timeouts: scaledDefaults() });
    const ticks: string[] = [];
    c.on('keepalive', (info) => ticks.push(info.command));
    const report = await c.settlement();
    assert.equal(report.passed, true);
    await fx.terminal.done();
    assert.deepEqual(ticks, Array(8).fill('settlement'));
    assert.deepEqual(fx.terminal.received.slice(1).map((r) => [r.packet.name, r.packet.body.status]), Array(8).fill(['keepalive', 'ok']));
  });

  it('keep-alives extend the idle limit of every command, each gap below it and the whole well above it', async () => {
    // Gaps of a quarter of the limit: a busy machine's timer lateness stays inside it; ten of them are 2.5 limits.
    const idleMs = 200;
    const slow =
      (command: string, body: XmlElement): Script =>
      async (conn) => {
        await conn.expect(command);
        await keepAlives(conn, 10, idleMs / 4);
        await conn.respond('ok', body);
      };
    const c = await setup(
      [
        slow('report', { xreport: { header: {} } }),
        slow('clear', SETTLEMENT_PASSED),
        acceptLogin(),
        slow('loadworkkeys', {}),
        slow('updateconfiguration', {}),
        slow('getparameters', { parameters: { tid: '10000001' } }),
      ],
      { timeouts: { idleMs, commandMs: 10_000 } },
    );
    await c.report();
    await c.clear();
    await c.loadWorkKeys();
    await c.updateConfiguration();
    assert.equal((await c.getParameters()).tid, '10000001');
    await fx.terminal.done();
  });

  it('a terminal that shows "present card" and then says nothing for 70 s before approving (default limits, scaled)', async () => {
    const c = await setup(
      [
        async (conn) => {
          await conn.expect('transaction');
          await conn.message(packet('display', { code: '15' }));
          await sleep(realMs(70));
          await conn.respond('ok', approvedReceipt(100));
        },
      ],
      { timeouts: scaledDefaults() },
    );
    const result = await c.transaction({ type: 'purchase', amount: 100 });
    assert.equal(result.approved, true);
    await fx.terminal.done();
  });

  it('the idle limit holds for every command and its error names it', async () => {
    const c = await setup(
      [
        async (conn) => {
          await conn.expect('settlement');
          await conn.message(keepalive());
          await conn.stall();
        },
      ],
      { timeouts: { idleMs: 60, commandMs: 10_000 } },
    );
    await assert.rejects(c.settlement(), (e: unknown) => {
      assert.ok(e instanceof JpayTimeoutError, String(e));
      assert.equal(e.phase, 'idle');
      assert.equal(e.timeoutMs, 60);
      assert.equal(e.message, 'idle limit of 60 ms reached: nothing from the terminal for that long (timeouts.idleMs)');
      return true;
    });
    await fx.terminal.done();
  });

  it('a silent transaction is an unknown outcome whose cause names the idle limit, not the transaction cap', async () => {
    const c = await setup(
      [
        async (conn) => {
          await conn.expect('transaction');
          await conn.message(packet('display', { code: '15' }));
          await conn.stall();
        },
      ],
      { timeouts: { idleMs: 60, transactionMs: 10_000 } },
    );
    await assert.rejects(c.transaction({ type: 'purchase', amount: 100 }), (e: unknown) => {
      assert.ok(e instanceof TransactionOutcomeUnknown, String(e));
      assert.equal(e.reason, 'timeout');
      assert.ok(e.cause instanceof JpayTimeoutError);
      assert.equal(e.cause.phase, 'idle');
      assert.match(e.message, /^transaction outcome unknown \(in-dialogue, timeout\): idle limit of 60 ms reached/);
      assert.equal(e.transaction.lastDisplayCode, '15');
      return true;
    });
    await fx.terminal.done();
  });

  it('the caps bound a command that keeps sending keep-alives, and name themselves', async () => {
    const c = await setup([
      async (conn) => {
        await conn.expect('settlement');
        await keepAlivesUntilHangUp(conn);
      },
      async (conn) => {
        await conn.expect('transaction');
        await keepAlivesUntilHangUp(conn);
      },
      acceptLogin(),
      async (conn) => {
        await conn.expect('runreset');
        await keepAlivesUntilHangUp(conn);
      },
    ], { timeouts: { idleMs: 1_000, commandMs: 150, transactionMs: 200 } });
    await assert.rejects(c.settlement(), (e: unknown) => {
      assert.ok(e instanceof JpayTimeoutError && e.phase === 'command' && e.timeoutMs === 150, String(e));
      assert.match(e.message, /^command cap of 150 ms reached: the command did not finish \(timeouts\.commandMs\)$/);
      return true;
    });
    await assert.rejects(c.transaction({ type: 'purchase', amount: 100 }), (e: unknown) => {
      assert.ok(e instanceof TransactionOutcomeUnknown && e.cause instanceof JpayTimeoutError, String(e));
      assert.equal(e.cause.phase, 'transaction');
      assert.match(e.message, /transaction cap of 200 ms reached/);
      return true;
    });
    await assert.rejects(c.runReset(), (e: unknown) => e instanceof JpayTimeoutError && e.phase === 'transaction' && e.timeoutMs === 200);
    await fx.terminal.done();
  });

  it('every limit has one name, used in every message', () => {
    assert.equal(timeoutMessage('connect', 5000), 'connect limit of 5000 ms reached: no TCP connection (timeouts.connectMs)');
    assert.equal(new JpayTimeoutError('transaction', 7).message, 'transaction cap of 7 ms reached: the transaction or runreset did not finish (timeouts.transactionMs)');
    assert.equal(timeoutMessage('frame', 10), 'frame limit of 10 ms reached: a frame did not complete');
  });

  it('a terminal that keeps its side open after the response: the client stops waiting for its close, and the answer stands', async () => {
    // Half-open on the terminal's side: the client's FIN does not close the connection.
    const sockets: net.Socket[] = [];
    const server = net.createServer({ allowHalfOpen: true }, (socket) => {
      sockets.push(socket);
      socket.once('data', () => socket.write(encodeFrame(serializePacket(packet('resetpassword', { status: 'ok' })))));
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const client = fx.client({ port: (server.address() as net.AddressInfo).port });
    try {
      await client.resetPassword();
      assert.equal(sockets.length, 1);
    } finally {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });

  it('turns TCP keep-alive on for a connection that outlives the first watchdog tick, so a terminal that is gone is noticed long before the idle limit', async () => {
    const calls: [boolean | undefined, number | undefined][] = [];
    let keptAlive!: () => void;
    const turnedOn = new Promise<void>((resolve) => (keptAlive = resolve));
    const original = net.Socket.prototype.setKeepAlive;
    net.Socket.prototype.setKeepAlive = function (this: net.Socket, enable?: boolean, delay?: number) {
      calls.push([enable, delay]);
      keptAlive();
      return original.call(this, enable, delay);
    };
    try {
      // A quick command ends before the tick and spares the socket options; a quiet
      // transaction gets them at the tick (≈ 1 s), and its terminal answers once they are
      // on (or after 5 s, when they never come: the assertion below then fails).
      const quietTerminal: Script = async (conn) => {
        await conn.expect('transaction');
        let bound: NodeJS.Timeout | undefined;
        await Promise.race([turnedOn, new Promise((resolve) => (bound = setTimeout(resolve, 5000)))]);
        clearTimeout(bound);
        await conn.respond('ok', approvedReceipt(100));
      };
      const c = await setup([reply('report', 'ok', { xreport: { header: {} } }), quietTerminal]);
      await c.report();
      assert.deepEqual(calls, []);
      await c.transaction({ type: 'purchase', amount: 100 });
      await fx.terminal.done();
    } finally {
      net.Socket.prototype.setKeepAlive = original;
    }
    assert.deepEqual(calls, [[true, TCP_KEEPALIVE_DELAY_MS]]);
    assert.ok(TCP_KEEPALIVE_DELAY_MS < DEFAULT_TIMEOUTS.idleMs / 4);
  });
  /** A frame header declaring `bytes`, and nothing after it: the limit must refuse it on the header alone. */
  function declares(bytes: number): Buffer {
    const header = Buffer.alloc(4);
    header.writeUInt32BE(bytes, 0);
    return header;
  }

  /** A report answer of about `bytes` (a padded header title). */
  function reportOf(bytes: number): XmlElement {
    const line = 'x'.repeat(1000);
    return { xreport: { header: { title: { line: Array.from({ length: Math.ceil(bytes / 1013) }, () => line) } } } };
  }

  it('frame limits per command: report, settlement and clear take a log-sized answer, everything else a small one', async () => {
    const big = 3 * 1024 * 1024;
    const c = await setup([
      reply('report', 'ok', reportOf(big)),
      async (conn) => {
        await conn.expect('report');
        await conn.raw(declares(DEFAULT_MAX_REPORT_FRAME_SIZE + 1));
        await conn.stall();
      },
      acceptLogin(),
      async (conn) => {
        await conn.expect('getparameters');
        await conn.raw(declares(DEFAULT_MAX_FRAME_SIZE + 1));
        await conn.stall();
      },
      async (conn) => {
        await conn.expect('transaction');
        await conn.raw(declares(DEFAULT_MAX_FRAME_SIZE + 1));
        await conn.stall();
      },
    ]);
    const report = await c.report('brief');
    assert.ok((report.header.title?.length ?? 0) > 3000);
    await assert.rejects(c.report('full'), (e: unknown) => {
      assert.ok(e instanceof JpayProtocolError && e.code === 'frame-too-large', String(e));
      assert.equal(e.message, `declared frame of ${DEFAULT_MAX_REPORT_FRAME_SIZE + 1} bytes exceeds the limit of ${DEFAULT_MAX_REPORT_FRAME_SIZE} (maxReportFrameSize)`);
      return true;
    });
    await assert.rejects(c.getParameters(), (e: unknown) => e instanceof JpayProtocolError && e.code === 'frame-too-large' && / \(maxFrameSize\)$/.test(e.message));
    await assert.rejects(c.transaction({ type: 'purchase', amount: 100 }), (e: unknown) => {
      assert.ok(e instanceof TransactionOutcomeUnknown && e.reason === 'protocol-error', String(e));
      assert.match(e.message, /exceeds the limit of 1048576 \(maxFrameSize\)/);
      return true;
    });
    await fx.terminal.done();
  });

  it('both frame limits can be set, within bounds', async () => {
    const c = await setup([reply('report', 'ok', reportOf(300 * 1024)), reply('settlement', 'ok', reportOf(300 * 1024))], { maxReportFrameSize: 200 * 1024 });
    await assert.rejects(c.report('brief'), (e: unknown) => e instanceof JpayProtocolError && e.code === 'frame-too-large');
    await assert.rejects(c.settlement(), (e: unknown) => e instanceof JpayProtocolError && e.code === 'frame-too-large');
    await fx.terminal.done();
    for (const [field, value] of [['maxFrameSize', 63], ['maxReportFrameSize', MAX_CLIENT_FRAME_SIZE + 1], ['maxReportFrameSize', 1.5]] as const) {
      assert.throws(() => new JpayClient({ host: '127.0.0.1', [field]: value }), (e: unknown) => e instanceof JpayValidationError && e.field === field);
    }
  });
});

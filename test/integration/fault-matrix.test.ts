/**
 * The fault matrix, short form (CI): every phase of a transaction × drop / stall /
 * garbage / terminal restart, a few runs per cell, against the simulator behind a
 * fault-injecting proxy. The report mode (scripts/fault-matrix.ts --runs 100) runs the
 * same cells longer. FAULT_MATRIX_RUNS overrides the runs per cell.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { once } from 'node:events';
import net from 'node:net';
import path from 'node:path';
import { promisify } from 'node:util';
import { packet } from '../../lib/codec/packet';
import { PacketSocket } from '../../lib/codec/packet-socket';
import { runCell } from '../../scripts/fault-matrix/cell';
import { formatTable, runMatrix, totals, violations } from '../../scripts/fault-matrix/matrix';
import { FAULTS, FaultProxy, PHASES } from '../../scripts/fault-matrix/proxy';

const RUNS = Number(process.env.FAULT_MATRIX_RUNS ?? 3);

describe('fault matrix (short form)', function () {
  this.timeout(120_000);

  it(`every phase × every fault, ${RUNS} runs each: 0 double charges, 0 silent losses, every unknown resolved correctly`, async () => {
    const cells = await runMatrix({ runs: RUNS, seed: 7, concurrency: 8 });
    const t = totals(cells);
    assert.deepEqual(violations(cells), [], formatTable(cells));
    assert.equal(cells.length, PHASES.length * FAULTS.length);
    assert.equal(t.runs, cells.length * RUNS);
    assert.equal(t.struck, t.runs, 'the fault struck in every run');
    assert.equal(t.doubleCharges, 0);
    assert.equal(t.silentLosses, 0);
    assert.equal(t.unknown, t.resolvedCorrectly);
    assert.equal(t.ambiguous + t.wrong + t.leftUnresolved + t.blocked + t.unreversed, 0);
    // Faults after the terminal recorded the payment find it approved (about half the runs are declined).
    for (const c of cells.filter((x) => x.phase === 'after-record' || x.phase === 'response')) {
      assert.equal(c.unknown, c.runs, `${c.phase} × ${c.fault}: every answer lost`);
    }
    assert.ok(t.recoveredApproved > 0, 'some unknowns were approved payments');
    assert.match(formatTable(cells), /\| \*\*total\*\* +\| +\| \d+/);
  });

  it('is reproducible: the same seed gives the same counts', async () => {
    const a = await runCell({ phase: 'response', fault: 'garbage', runs: 4, seed: 11 });
    const b = await runCell({ phase: 'response', fault: 'garbage', runs: 4, seed: 11 });
    const pick = (c: typeof a): number[] => [c.unknown, c.resolvedCorrectly, c.recoveredApproved, c.reversed];
    assert.deepEqual(pick(a), pick(b));
  });

  describe('the fault proxy', () => {
    let upstream: net.Server;
    let proxy: FaultProxy | undefined;
    const sockets = new Set<net.Socket>();

    beforeEach(async () => {
      upstream = net.createServer((s) => {
        sockets.add(s);
        s.on('error', () => undefined);
        const ps = new PacketSocket(s);
        // A tiny terminal: keepalive, display D4, then the response.
        void (async () => {
          try {
            await ps.receive();
            await ps.send(packet('keepalive'));
            await ps.receive();
            await ps.send(packet('display', { code: 'D4' }));
            await ps.receive();
            await ps.send(packet('transaction', { status: 'ok' }));
            ps.end();
          } catch {
            ps.destroy();
          }
        })();
      });
      upstream.listen(0, '127.0.0.1');
      await once(upstream, 'listening');
    });

    afterEach(async () => {
      await proxy?.close();
      proxy = undefined;
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => upstream.close(() => resolve()));
    });

    async function dialogue(port: number): Promise<string[]> {
      const socket = net.connect({ port, host: '127.0.0.1' });
      await once(socket, 'connect');
      const ps = new PacketSocket(socket);
      const names: string[] = [];
      try {
        await ps.send(packet('transaction', { type: 'purchase' }));
        for (;;) {
          const p = await ps.receive(1000);
          names.push(p.name === 'display' ? `display:${String(p.body.code)}` : p.name);
          if (p.name === 'transaction') break;
          await ps.send(packet(p.name, { status: 'ok' }));
        }
      } catch (error) {
        names.push(`error:${(error as Error).name}`);
      } finally {
        ps.destroy();
      }
      return names;
    }

    it('passes a dialogue unchanged when not armed, and strikes exactly at the armed phase', async () => {
      proxy = await FaultProxy.start((upstream.address() as net.AddressInfo).port);
      assert.deepEqual(await dialogue(proxy.port), ['keepalive', 'display:D4', 'transaction']);
      proxy.arm({ phase: 'display', fault: 'drop' });
      assert.deepEqual(await dialogue(proxy.port), ['keepalive', 'error:JpayError']);
      assert.equal(proxy.applied, true);
      proxy.arm({ phase: 'response', fault: 'garbage' });
      assert.deepEqual(await dialogue(proxy.port), ['keepalive', 'display:D4', 'error:JpayProtocolError']);
      proxy.arm({ phase: 'keepalive', fault: 'stall' });
      assert.deepEqual(await dialogue(proxy.port), ['error:ReceiveTimeoutError']);
      assert.equal(proxy.transactionsSeen, 4);
    });

    it('cuts a response in half for a drop during the response', async () => {
      proxy = await FaultProxy.start((upstream.address() as net.AddressInfo).port);
      proxy.arm({ phase: 'response', fault: 'drop' });
      const names = await dialogue(proxy.port);
      assert.deepEqual(names, ['keepalive', 'display:D4', 'error:JpayProtocolError'], 'a truncated frame');
    });
  });

  it('the report script prints the table and exits 0', async () => {
    const root = path.resolve(__dirname, '../..');
    const { stdout } = await promisify(execFile)(process.execPath, ['-r', 'tsx/cjs', 'scripts/fault-matrix.ts', '--runs', '1', '--concurrency', '28'], {
      cwd: root,
      timeout: 60_000,
    });
    assert.match(stdout, /Fault matrix: 1 runs per cell/);
    assert.match(stdout, /\| during the response +\| restart +\| 1 /);
    assert.match(stdout, /double charges: 0 · silent losses: 0/);
    assert.match(stdout, /All promises held\./);
  });
});

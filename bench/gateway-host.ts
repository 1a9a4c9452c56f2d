/**
 * Child process: many command gateways in one process (the fleet-over-MQTT benchmark),
 * each with its own JpayClient on one simulated terminal and its own MQTT connection, as
 * a Node-RED per terminal would have. Also the baseline: the same settlements straight
 * from JpayClients in this process, no broker between.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { JpayClient } from '../dist/lib/client';
import { createCommandGateway, type RunningGateway } from '../dist/lib/gateway';
import { serve } from './child';
import { gc } from './gc';
import { nowMs } from './stats';

const PASSWORD = '12345678';

export interface GatewayMemory {
  gateways: number;
  /** RSS and heap growth per idle, connected gateway (with its client and state), bytes. */
  rssPerGateway: number;
  heapPerGateway: number;
}

export interface DirectRound {
  ok: number;
  failed: number;
  /** Per-terminal settlement time, ms (from its start). */
  times: number[];
  wallMs: number;
}

const clients: JpayClient[] = [];
const gateways: RunningGateway[] = [];

function connected(g: RunningGateway): Promise<void> {
  const c = g.connection;
  if (!c || c.connected) return Promise.resolve();
  return new Promise((resolve) => c.once('connect', () => resolve()));
}

async function gateway(port: number, index: number, url: string): Promise<{ client: JpayClient; running: RunningGateway }> {
  const client = new JpayClient({ host: '127.0.0.1', port, password: PASSWORD });
  const running = await createCommandGateway({ client, terminalId: `t${String(index).padStart(4, '0')}`, mqtt: { url, reconnectPeriodMs: 1000 }, commands: ['settlement'] });
  return { client, running };
}

/** Starts one gateway per port and returns the memory they hold once connected and idle. */
async function start(params: { ports: number[]; url: string }): Promise<GatewayMemory> {
  // Load and warm every code path with one gateway first, so module code is not counted.
  const warm = await gateway(params.ports[0], 9999, params.url);
  await connected(warm.running);
  await warm.running.close();
  await warm.client.close();
  await sleep(50);
  gc();
  const before = process.memoryUsage();
  for (const [i, port] of params.ports.entries()) {
    const { client, running } = await gateway(port, i, params.url);
    clients.push(client);
    gateways.push(running);
  }
  await Promise.all(gateways.map(connected));
  await sleep(200);
  gc();
  const after = process.memoryUsage();
  return { gateways: gateways.length, rssPerGateway: (after.rss - before.rss) / gateways.length, heapPerGateway: (after.heapUsed - before.heapUsed) / gateways.length };
}

/** The baseline: a settlement on every terminal from fresh clients, `concurrency` at a time. */
async function direct(params: { ports: number[]; concurrency: number }): Promise<DirectRound> {
  const fresh = params.ports.map((port) => new JpayClient({ host: '127.0.0.1', port, password: PASSWORD }));
  const times: number[] = [];
  let ok = 0;
  let failed = 0;
  const queue = fresh.map((_, i) => i);
  const t0 = nowMs();
  const worker = async (): Promise<void> => {
    for (let i = queue.shift(); i !== undefined; i = queue.shift()) {
      const started = nowMs();
      try {
        const report = await fresh[i].settlement();
        if (report.passed) ok++;
        else failed++;
      } catch {
        failed++;
      }
      times.push(nowMs() - started);
    }
  };
  await Promise.all(Array.from({ length: Math.min(params.concurrency, fresh.length) }, worker));
  const wallMs = nowMs() - t0;
  await Promise.all(fresh.map((c) => c.close()));
  return { ok, failed, times, wallMs };
}

async function closeAll(): Promise<void> {
  await Promise.all(gateways.splice(0).map((g) => g.close()));
  await Promise.all(clients.splice(0).map((c) => c.close()));
}

if (require.main === module) {
  serve({ start, direct, closeAll });
}

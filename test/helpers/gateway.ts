/** A command gateway for tests: a simulator, its client, a gateway on a broker, a requester. */
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import mqtt, { type IClientOptions, type IClientPublishOptions, type MqttClient } from 'mqtt';
import { JpayClient } from '../../lib/client';
import { createCommandGateway, type CommandGatewayOptions, type GatewayAnswer, type RunningGateway } from '../../lib/gateway';
import { GatewayRequester, type RequesterOptions } from '../../lib/gateway/requester';
import type { SimulatorHandle, SimulatorOptions } from '../../lib/simulator';
import { TestSubscriber } from './mosquitto';
import { startTestSimulator } from './sim-fixtures';

export const PASSWORD = '12345678';

export class GatewayRig {
  readonly dir = mkdtempSync(path.join(tmpdir(), 'jpay-gateway-'));
  readonly sims: SimulatorHandle[] = [];
  readonly clients: JpayClient[] = [];
  readonly gateways: RunningGateway[] = [];
  readonly requesters: GatewayRequester[] = [];
  readonly subscribers: TestSubscriber[] = [];
  readonly raws: RawClient[] = [];

  constructor(readonly brokerUrl: string) {}

  get journal(): string {
    return path.join(this.dir, 'payments.log');
  }

  async simulator(options: SimulatorOptions = {}): Promise<SimulatorHandle> {
    const sim = await startTestSimulator(options);
    this.sims.push(sim);
    return sim;
  }

  client(sim: SimulatorHandle): JpayClient {
    const client = new JpayClient({ host: '127.0.0.1', port: sim.port, password: PASSWORD });
    this.clients.push(client);
    return client;
  }

  /** A gateway, resolved once its retained state is on the broker (its command subscription is then in place). */
  async gateway(client: JpayClient, options: Partial<CommandGatewayOptions> = {}, watchAs: { username?: string; password?: string } = {}): Promise<RunningGateway> {
    const terminalId = options.terminalId ?? 'T1';
    const prefix = options.prefix ?? 'jpay';
    const watch = await this.subscriber([`${prefix}/${terminalId}/state`], watchAs);
    const running = await createCommandGateway({ client, terminalId, mqtt: { url: this.brokerUrl, reconnectPeriodMs: 100 }, ...options });
    this.gateways.push(running);
    await watch.waitFor((m) => m.some((x) => x.topic === `${prefix}/${terminalId}/state` && JSON.parse(x.payload).state !== 'offline'), 10_000, 'the gateway state');
    return running;
  }

  /** A gateway logging in to the broker as its terminal (docs/fleet.md: the account is the terminal id); `watcher` reads its state. */
  gatewayAs(terminalId: string, password: string, client: JpayClient, watcher: { username: string; password: string }, options: Partial<CommandGatewayOptions> = {}): Promise<RunningGateway> {
    return this.gateway(client, { terminalId, mqtt: { url: this.brokerUrl, username: terminalId, password, reconnectPeriodMs: 100 }, ...options }, watcher);
  }

  async requester(options: Partial<RequesterOptions> = {}): Promise<GatewayRequester> {
    const r = await GatewayRequester.connect({ url: this.brokerUrl, ...options });
    this.requesters.push(r);
    return r;
  }

  async subscriber(topics: string[], login: { username?: string; password?: string } = {}): Promise<TestSubscriber> {
    const s = await TestSubscriber.connect(this.brokerUrl, topics, login);
    this.subscribers.push(s);
    return s;
  }

  async raw(topics: string[] = ['jpay/+/res/+'], options: IClientOptions = {}): Promise<RawClient> {
    const r = await RawClient.connect(this.brokerUrl, topics, options);
    this.raws.push(r);
    return r;
  }

  /** The journal as a power cut at this instant would leave it (its records are synced). */
  snapshotJournal(): string {
    const copy = path.join(this.dir, `payments-copy-${Date.now()}.log`);
    copyFileSync(this.journal, copy);
    return copy;
  }

  async close(): Promise<void> {
    for (const r of this.requesters.splice(0)) await r.close();
    for (const r of this.raws.splice(0)) await r.close();
    for (const g of this.gateways.splice(0)) await g.close();
    for (const c of this.clients.splice(0)) await c.close();
    for (const s of this.subscribers.splice(0)) await s.close();
    for (const sim of this.sims.splice(0)) await sim.close();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** Commands the simulator served so far. */
export function servedCommands(sim: SimulatorHandle): string[] {
  return sim.events().flatMap((e) => (e.type === 'command' ? [e.command] : []));
}

export interface RawAnswer {
  topic: string;
  answer: GatewayAnswer;
  /** MQTT 5 correlation data, hex. */
  correlation?: string;
}

/** A plain MQTT client that sends hand-made requests and collects what comes back. */
export class RawClient {
  readonly got: RawAnswer[] = [];
  readonly #waiters = new Set<() => void>();

  private constructor(readonly client: MqttClient) {
    client.on('message', (topic, payload, packet) => {
      let answer: GatewayAnswer;
      try {
        answer = JSON.parse(payload.toString()) as GatewayAnswer;
      } catch {
        return;
      }
      const correlation = packet.properties?.correlationData?.toString('hex');
      this.got.push(correlation === undefined ? { topic, answer } : { topic, answer, correlation });
      for (const wake of [...this.#waiters]) wake();
    });
  }

  static async connect(url: string, topics: string[], options: IClientOptions = {}): Promise<RawClient> {
    const client = await mqtt.connectAsync(url, { protocolVersion: 5, reconnectPeriod: 0, ...options });
    const raw = new RawClient(client);
    if (topics.length > 0) await client.subscribeAsync(topics, { qos: 1 });
    return raw;
  }

  /** The answer whose id is `id` (waits for it). */
  async answer(id: string | null, timeoutMs = 10_000): Promise<RawAnswer> {
    await this.until((got) => got.some((g) => g.answer.id === id), timeoutMs, `the answer to ${String(id)}`);
    return this.got.find((g) => g.answer.id === id) as RawAnswer;
  }

  until(check: (got: RawAnswer[]) => boolean, timeoutMs = 10_000, what = 'answers'): Promise<void> {
    if (check(this.got)) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const wake = (): void => {
        if (!check(this.got)) return;
        finish();
        resolve();
      };
      const timer = setTimeout(() => {
        finish();
        reject(new Error(`timed out waiting for ${what}; got ${this.got.length}`));
      }, timeoutMs);
      const finish = (): void => {
        clearTimeout(timer);
        this.#waiters.delete(wake);
      };
      this.#waiters.add(wake);
    });
  }

  publish(topic: string, payload: string | Buffer, options: IClientPublishOptions = { qos: 1 }): Promise<unknown> {
    return this.client.publishAsync(topic, payload, options);
  }

  close(): Promise<void> {
    return this.client.endAsync(true);
  }
}

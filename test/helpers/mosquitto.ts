/**
 * A real Mosquitto broker for tests, on a free 127.0.0.1 port, with persistence in its own
 * temporary directory (so a stop/start keeps subscriber sessions: a test can stop the broker
 * and start it again on the same port without its subscriber missing messages).
 * Also a collecting test subscriber.
 */
import { ChildProcess, spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';

const BINARY = process.env.MOSQUITTO ?? (existsSync('/usr/sbin/mosquitto') ? '/usr/sbin/mosquitto' : 'mosquitto');
const START_TIMEOUT_MS = 10_000;

export interface MosquittoBroker {
  readonly port: number;
  readonly url: string;
  readonly running: boolean;
  /** Starts it again on the same port (after stop()). */
  start(): Promise<void>;
  /** SIGTERM and wait for the exit (the session store is saved). */
  stop(): Promise<void>;
  /** stop() and remove the temporary directory. */
  dispose(): Promise<void>;
  /** Broker output so far, for failure messages. */
  log(): string;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

/** One MQTT connect/connack round trip, then disconnect. */
async function handshake(port: number): Promise<void> {
  const client = mqtt.connect(`mqtt://127.0.0.1:${port}`, { reconnectPeriod: 0, connectTimeout: 5000, clientId: `probe-${port}` });
  try {
    await new Promise<void>((resolve, reject) => {
      client.once('connect', () => resolve());
      client.once('error', (error) => (/Not authorized|Bad username/i.test(error.message) ? resolve() : reject(error)));
      client.once('close', () => reject(new Error('mosquitto closed the probe connection')));
    });
  } finally {
    await client.endAsync(true);
  }
}

export async function startMosquitto(options: { extraConfig?: string[] } = {}): Promise<MosquittoBroker> {
  const dir = mkdtempSync(path.join(tmpdir(), 'jpay-mosquitto-'));
  // Mosquitto started as root drops to its own user: let it write its session store here.
  chmodSync(dir, 0o777);
  const port = await freePort();
  const config = path.join(dir, 'mosquitto.conf');
  writeFileSync(
    config,
    [
      `listener ${port} 127.0.0.1`,
      'allow_anonymous true',
      'persistence true',
      `persistence_location ${dir}/`,
      'log_dest stderr',
      'log_type error',
      'log_type warning',
      'log_type notice',
      'log_type information',
      ...(options.extraConfig ?? []),
      '',
    ].join('\n'),
  );
  chmodSync(config, 0o644);

  let child: ChildProcess | undefined;
  let output = '';

  const start = (): Promise<void> =>
    new Promise((resolve, reject) => {
      const proc = spawn(BINARY, ['-c', config], { stdio: ['ignore', 'pipe', 'pipe'] });
      child = proc;
      const from = output.length;
      const timer = setTimeout(() => fail(new Error(`mosquitto did not start within ${START_TIMEOUT_MS} ms:\n${output}`)), START_TIMEOUT_MS);
      const onData = (chunk: Buffer): void => {
        output += chunk.toString();
        if (/mosquitto version \S+ running/.test(output.slice(from))) done();
      };
      const onExit = (code: number | null): void => fail(new Error(`mosquitto exited (${code}) while starting:\n${output}`));
      const onError = (error: Error): void => fail(new Error(`cannot run ${BINARY} (install the Debian package mosquitto): ${error.message}`));
      function cleanup(): void {
        clearTimeout(timer);
        proc.stderr?.off('data', onData);
        proc.stdout?.off('data', onData);
        proc.off('exit', onExit);
        proc.off('error', onError);
        // Keep draining output so the broker never blocks on a full pipe.
        proc.stderr?.on('data', (c: Buffer) => (output += c.toString()));
        proc.stdout?.on('data', (c: Buffer) => (output += c.toString()));
      }
      function done(): void {
        cleanup();
        // "running" is logged just before the main loop starts; a SIGTERM in between is lost.
        // An MQTT handshake proves the loop runs.
        handshake(port).then(resolve, fail);
      }
      function fail(error: Error): void {
        cleanup();
        proc.kill('SIGKILL');
        child = undefined;
        reject(error);
      }
      proc.stderr?.on('data', onData);
      proc.stdout?.on('data', onData);
      proc.once('exit', onExit);
      proc.once('error', onError);
    });

  const stop = async (): Promise<void> => {
    const proc = child;
    child = undefined;
    if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
    await new Promise<void>((resolve) => {
      // Guard only: the broker normally exits at once on SIGTERM.
      const guard = setTimeout(() => proc.kill('SIGKILL'), 5000);
      proc.once('exit', () => {
        clearTimeout(guard);
        resolve();
      });
      proc.kill('SIGTERM');
    });
  };

  await start();
  return {
    port,
    url: `mqtt://127.0.0.1:${port}`,
    get running() {
      return child !== undefined;
    },
    start,
    stop,
    async dispose() {
      await stop();
      rmSync(dir, { recursive: true, force: true });
    },
    log: () => output,
  };
}

export interface ReceivedMessage {
  topic: string;
  payload: string;
  retain: boolean;
  qos: number;
}

/**
 * A subscriber that collects everything under `topics`. With a persistent session (clean
 * false, QoS 1) it also gets what was published while it was reconnecting.
 */
export class TestSubscriber {
  readonly messages: ReceivedMessage[] = [];
  readonly #client: MqttClient;
  readonly #waiters = new Set<() => void>();

  private constructor(client: MqttClient) {
    this.#client = client;
    client.on('message', (topic, payload, packet) => {
      this.messages.push({ topic, payload: payload.toString('utf8'), retain: packet.retain, qos: packet.qos });
      for (const check of [...this.#waiters]) check();
    });
    client.on('error', () => undefined);
  }

  static async connect(url: string, topics: string[], options: { clientId?: string; username?: string; password?: string } = {}): Promise<TestSubscriber> {
    const clientId = options.clientId ?? `test-sub-${Math.random().toString(16).slice(2, 10)}`;
    const login = options.username === undefined ? {} : { username: options.username, password: options.password };
    const client = mqtt.connect(url, { clientId, clean: false, reconnectPeriod: 100, connectTimeout: 5000, ...login });
    const subscriber = new TestSubscriber(client);
    let timer: NodeJS.Timeout | undefined;
    try {
      await new Promise<void>((resolve, reject) => {
        timer = setTimeout(() => reject(new Error(`test subscriber could not connect to ${url}`)), 10_000);
        client.once('connect', () => resolve());
        client.once('error', reject);
      });
      await client.subscribeAsync(topics, { qos: 1 });
    } catch (error) {
      await client.endAsync(true);
      throw error;
    } finally {
      clearTimeout(timer);
    }
    return subscriber;
  }

  /** Messages on one topic, payloads parsed as JSON. */
  json<T = Record<string, unknown>>(topic: string | RegExp): T[] {
    return this.messages.filter((m) => (typeof topic === 'string' ? m.topic === topic : topic.test(m.topic))).map((m) => JSON.parse(m.payload) as T);
  }

  /** Resolves when `predicate` holds (checked on each message); rejects after timeoutMs. */
  waitFor(predicate: (messages: ReceivedMessage[]) => boolean, timeoutMs = 10_000, what = 'messages'): Promise<void> {
    if (predicate(this.messages)) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const check = (): void => {
        if (!predicate(this.messages)) return;
        finish();
        resolve();
      };
      const timer = setTimeout(() => {
        finish();
        reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}; got ${this.messages.length} messages`));
      }, timeoutMs);
      const finish = (): void => {
        clearTimeout(timer);
        this.#waiters.delete(check);
      };
      this.#waiters.add(check);
    });
  }

  async close(): Promise<void> {
    for (const check of this.#waiters) this.#waiters.delete(check);
    await this.#client.endAsync(true);
  }
}

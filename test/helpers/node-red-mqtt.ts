/** An in-process MQTT broker (aedes) on a random port, for flows with MQTT nodes. */
import { createServer, type AddressInfo } from 'node:net';
import { Aedes } from 'aedes';

export interface TestBroker {
  host: string;
  port: number;
  broker: Aedes;
  /** Resolves when a client subscribed to `topic`. */
  subscribed(topic: string, timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

export async function startTestBroker(): Promise<TestBroker> {
  const broker = await Aedes.createBroker();
  const server = createServer(broker.handle);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const seen = new Set<string>();
  broker.on('subscribe', (subs) => subs.forEach((s) => seen.add(s.topic)));
  return {
    host: '127.0.0.1',
    port: (server.address() as AddressInfo).port,
    broker,
    subscribed(topic, timeoutMs = 5000) {
      if (seen.has(topic)) return Promise.resolve();
      return new Promise((resolve, reject) => {
        const listener = (subs: { topic: string }[]): void => {
          if (!subs.some((s) => s.topic === topic)) return;
          clearTimeout(timer);
          broker.off('subscribe', listener);
          resolve();
        };
        const timer = setTimeout(() => {
          broker.off('subscribe', listener);
          reject(new Error(`nobody subscribed to ${topic} within ${timeoutMs} ms`));
        }, timeoutMs);
        broker.on('subscribe', listener);
      });
    },
    close: () => new Promise<void>((resolve) => broker.close(() => server.close(() => resolve()))),
  };
}

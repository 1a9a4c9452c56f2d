/**
 * MQTT.js connections for the gateway and its requesters: options → IClientOptions, and
 * the protocol version. `auto` (the default) asks for MQTT 5 (response topics,
 * correlation data, message expiry) and falls back to 3.1.1 once when the broker refuses
 * the version before the first connection (an older broker, aedes). MQTT.js loads on
 * first use, not with this module.
 */
import type { IClientOptions, MqttClient } from 'mqtt';
import { onFirstUse } from '../lazy';
import type { Secret } from '../protocol/secret';
import { checkBrokerUrl, loginOptions, type PublisherTlsOptions } from '../publish/options';

export { checkBrokerUrl };

// eslint-disable-next-line @typescript-eslint/no-require-imports
const mqttjs = onFirstUse(() => require('mqtt') as typeof import('mqtt'));

export type MqttVersionChoice = 'auto' | 4 | 5;

export interface MqttConnectionOptions {
  /** `mqtt://host:1883`, `mqtts://host:8883`, `ws://…`, `wss://…`. */
  url: string;
  username?: string;
  password?: string | Secret;
  /** Default: a random one with `prefix`. Must be unique on the broker. */
  clientId?: string;
  tls?: PublisherTlsOptions;
  /** Default `auto`: MQTT 5, else 3.1.1. */
  protocolVersion?: MqttVersionChoice;
  keepaliveSeconds?: number;
  /** Pause between reconnect attempts (default 2000; 0 = never reconnect). */
  reconnectPeriodMs?: number;
  connectTimeoutMs?: number;
}

export interface Will {
  topic: string;
  payload: string;
  qos: 0 | 1;
  retain: boolean;
}

export function clientOptions(o: MqttConnectionOptions, version: 4 | 5, clientId: string, will?: Will): IClientOptions {
  const options: IClientOptions = {
    clientId,
    clean: true,
    protocolVersion: version,
    keepalive: o.keepaliveSeconds ?? 30,
    reconnectPeriod: o.reconnectPeriodMs ?? 2000,
    connectTimeout: o.connectTimeoutMs ?? 10_000,
    // Requests and answers are worth nothing late: never pile them up while offline.
    queueQoSZero: false,
    ...loginOptions(o),
  };
  if (will) options.will = { topic: will.topic, payload: Buffer.from(will.payload), qos: will.qos, retain: will.retain };
  return options;
}

/** The broker refused the protocol version (3.1.1 code 1, MQTT 5 reason 132). */
export function isVersionRefusal(error: unknown): boolean {
  const code = (error as { code?: unknown } | undefined)?.code;
  return code === 1 || code === 132;
}

/**
 * One MQTT.js client whose version is settled on the first connection. `onClient` is told
 * each client made (a fallback makes a second one), so listeners can be put on it.
 */
export function startClient(o: MqttConnectionOptions, clientId: string, will: Will | undefined, onClient: (client: MqttClient, version: 4 | 5) => void): { current(): MqttClient } {
  const url = checkBrokerUrl(o.url);
  const choice = o.protocolVersion ?? 'auto';
  let client = mqttjs().connect(url, clientOptions(o, choice === 4 ? 4 : 5, clientId, will));
  if (choice === 'auto') {
    const fallback = (error: Error): void => {
      if (!isVersionRefusal(error)) return;
      client.off('error', fallback);
      client.off('connect', settled);
      client.removeAllListeners();
      client.on('error', () => undefined);
      client.end(true);
      client = mqttjs().connect(url, clientOptions(o, 4, clientId, will));
      onClient(client, 4);
    };
    const settled = (): void => {
      client.off('error', fallback);
    };
    client.on('error', fallback);
    client.once('connect', settled);
  }
  onClient(client, choice === 4 ? 4 : 5);
  return { current: () => client };
}


/** Connects once (no reconnects) and resolves on the CONNACK; rejects with the broker's refusal or the first error. */
export function connectOnce(url: string, options: IClientOptions): Promise<MqttClient> {
  const timeoutMs = options.connectTimeout ?? 10_000;
  return new Promise((resolve, reject) => {
    const client = mqttjs().connect(url, { ...options, reconnectPeriod: 0 });
    const timer = setTimeout(() => fail(new Error(`no answer within ${timeoutMs / 1000} s`)), timeoutMs);
    const done = (): void => {
      clearTimeout(timer);
      client.off('connect', onConnect);
      client.off('error', fail);
      client.off('close', onClose);
    };
    function onConnect(): void {
      done();
      client.on('error', () => undefined);
      resolve(client);
    }
    function onClose(): void {
      fail(new Error('the connection closed'));
    }
    function fail(error: Error): void {
      done();
      client.on('error', () => undefined);
      client.end(true);
      reject(error);
    }
    client.once('connect', onConnect);
    client.once('error', fail);
    client.once('close', onClose);
  });
}

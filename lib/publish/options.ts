/** Options of createReceiptPublisher() and their translation to MQTT.js connect options. */
import { randomBytes } from 'node:crypto';
import type { IClientOptions } from 'mqtt';
import { definedOnly } from '../objects';
import { JpayValidationError } from '../errors';
import { Secret } from '../protocol/secret';
import type { DurableFs } from '../durable/fs';
import type { GatewayTransport } from '../gateway/transport';
import { DEFAULT_OUTBOX_LIMITS, OutboxLimits } from './outbox';
import { checkTerminalId, normalizePrefix, terminalTopics } from './topics';

export interface PublisherTlsOptions {
  /** CA certificate(s), PEM. Default: the system's. */
  ca?: string | Buffer | (string | Buffer)[];
  /** Client certificate and key (PEM) for mutual TLS. */
  cert?: string | Buffer;
  key?: string | Buffer;
  /** Default true. false accepts any server certificate (testing only). */
  rejectUnauthorized?: boolean;
  servername?: string;
}

export interface ReceiptPublisherOptions extends Partial<OutboxLimits> {
  /**
   * An MQTT connection the caller owns (Node-RED's core mqtt-broker node, through
   * nodes/shared/core-mqtt-transport.ts), used instead of connecting: then url, host, port,
   * tls, clientId, the account, protocolVersion, keep-alive and the last will are its
   * owner's, and close() leaves it connected.
   */
  transport?: GatewayTransport;
  /** Broker URL: `mqtt://host:1883`, `mqtts://host:8883`, `ws://…`. Or give host/port/tls. */
  url?: string;
  host?: string;
  /** Default 1883, or 8883 with TLS. */
  port?: number;
  /** true or TLS options: connect with `mqtts`. */
  tls?: boolean | PublisherTlsOptions;
  /** Default `jpay-publisher-<random>`. Must be unique on the broker. */
  clientId?: string;
  username?: string;
  password?: string | Secret;
  /** Topic prefix, one or more levels. Default `jpay`. */
  prefix?: string;
  /** The outbox journal file (created with its directory). One publisher per file. */
  journalPath: string;
  /**
   * The terminal this publisher stands for: its status topic is set `online` on connect and
   * carries the last will (`offline`). MQTT allows one will per connection.
   */
  terminalId?: string;
  /** MQTT protocol version: 4 (3.1.1, default) or 5. */
  protocolVersion?: 4 | 5;
  keepaliveSeconds?: number;
  /** Pause between reconnect attempts. Default 2000. */
  reconnectPeriodMs?: number;
  connectTimeoutMs?: number;
  /** Receipts published but not yet acknowledged at a time. Default 100 (a burst is not held to one broker round trip per 20). */
  maxInFlight?: number;
  /**
   * Receipts per second while a backlog is replayed (what waits when the connection comes
   * up, after an outage or a restart). Default 100; 0 = no limit. Keep it below what the
   * broker queues per subscriber (Mosquitto max_queued_messages, EMQX mqueue max_len) for
   * the time a subscriber may be away. Receipts stored while caught up go out at once.
   */
  replayRate?: number;
  /** The journal's file system (tests inject faults). */
  fs?: DurableFs;
  /** Largest receipt payload accepted. Default 256 KiB. */
  maxPayloadBytes?: number;
  /** How long close() waits for the broker to take the offline status. Default 2000. */
  closeTimeoutMs?: number;
}

function positiveInt(value: number | undefined, field: string, fallback: number): number {
  if (value === undefined) return fallback;
  if (!Number.isSafeInteger(value) || value <= 0) throw new JpayValidationError(field, 'must be a positive integer');
  return value;
}

function replayRate(value: number | undefined): number {
  if (value === undefined) return 100;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) throw new JpayValidationError('replayRate', 'must be a number of receipts per second, 0 or more (0: no limit)');
  return value;
}

/** A broker URL: `mqtt://`, `mqtts://`, `ws://`, `wss://` (or MQTT.js's `tcp://`, `ssl://`) and a host. */
export function checkBrokerUrl(url: unknown, field = 'url'): string {
  if (typeof url !== 'string' || !/^(mqtts?|wss?|tcp|ssl):\/\/[^/\s]/.test(url)) throw new JpayValidationError(field, 'must start with mqtt://, mqtts://, ws:// or wss://');
  return url;
}

function brokerUrl(o: ReceiptPublisherOptions): string {
  if (o.url !== undefined) return checkBrokerUrl(o.url);
  const host = (o.host ?? '').trim();
  if (host === '') throw new JpayValidationError('host', 'is required when url is not given');
  const tls = o.tls !== undefined && o.tls !== false;
  const port = positiveInt(o.port, 'port', tls ? 8883 : 1883);
  if (port > 65535) throw new JpayValidationError('port', 'must be at most 65535');
  return `${tls ? 'mqtts' : 'mqtt'}://${host.includes(':') && !host.startsWith('[') ? `[${host}]` : host}:${port}`;
}

/** The options checked, with their defaults (`url` is '' with a transport). */
export function resolveOptions(o: ReceiptPublisherOptions) {
  if (typeof o.journalPath !== 'string' || o.journalPath.trim() === '') throw new JpayValidationError('journalPath', 'is required');
  const clientId = o.clientId?.trim() || `jpay-publisher-${randomBytes(4).toString('hex')}`;
  return {
    url: o.transport ? '' : brokerUrl(o),
    clientId,
    limits: {
      maxQueued: positiveInt(o.maxQueued, 'maxQueued', DEFAULT_OUTBOX_LIMITS.maxQueued),
      maxQueuedBytes: positiveInt(o.maxQueuedBytes, 'maxQueuedBytes', DEFAULT_OUTBOX_LIMITS.maxQueuedBytes),
      compactAtBytes: positiveInt(o.compactAtBytes, 'compactAtBytes', DEFAULT_OUTBOX_LIMITS.compactAtBytes),
    },
    maxInFlight: positiveInt(o.maxInFlight, 'maxInFlight', 100),
    replayRate: replayRate(o.replayRate),
    maxPayloadBytes: positiveInt(o.maxPayloadBytes, 'maxPayloadBytes', 256 * 1024),
    reconnectPeriodMs: positiveInt(o.reconnectPeriodMs, 'reconnectPeriodMs', 2000),
    closeTimeoutMs: positiveInt(o.closeTimeoutMs, 'closeTimeoutMs', 2000),
    prefix: normalizePrefix(o.prefix),
    terminalId: o.terminalId === undefined ? undefined : checkTerminalId(o.terminalId),
  };
}

export type ResolvedPublisherOptions = ReturnType<typeof resolveOptions>;

/** The publisher's own MQTT.js connection; the status topic of its terminal carries the last will (`offline`). */
export function mqttClientOptions(o: ReceiptPublisherOptions, r: ResolvedPublisherOptions): IClientOptions {
  const will = r.terminalId === undefined ? undefined : { state: 'offline', reason: 'connection-lost', clientId: r.clientId };
  return {
    clientId: r.clientId,
    clean: true,
    protocolVersion: o.protocolVersion ?? 4,
    keepalive: o.keepaliveSeconds ?? 30,
    reconnectPeriod: r.reconnectPeriodMs,
    connectTimeout: o.connectTimeoutMs ?? 10_000,
    // Events are progress only: never pile them up in memory while offline.
    queueQoSZero: false,
    will: will && { topic: terminalTopics(r.prefix, r.terminalId as string).status, payload: Buffer.from(JSON.stringify(will)), qos: 1, retain: true },
    ...loginOptions(o),
  };
}

/** The account and TLS settings of an MQTT.js connection (the publisher's, the fleet gateway's). */
export function loginOptions(o: { username?: string; password?: string | Secret; tls?: boolean | PublisherTlsOptions }): IClientOptions {
  const password = o.password instanceof Secret ? o.password.reveal() : o.password;
  const { ca, cert, key, rejectUnauthorized, servername } = typeof o.tls === 'object' ? o.tls : {};
  return definedOnly<IClientOptions>({
    username: o.username || undefined,
    password: password || undefined,
    ca: ca as IClientOptions['ca'],
    cert,
    key,
    rejectUnauthorized,
    servername,
  });
}

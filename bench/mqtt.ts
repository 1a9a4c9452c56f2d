/**
 * Measurement 5 — receipts to MQTT: a burst of receipts through the durable outbox
 * (lib/publish: journal fsync with group commit, QoS 1, acknowledged = done) vs. plain
 * MQTT.js publishing the same JSON with QoS 1 to the same local Mosquitto. Time per
 * receipt from the first publish to the last PUBACK.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import mqtt from 'mqtt';
import { parsePacket } from '../dist/lib/codec/xml';
import { parseResponse } from '../dist/lib/protocol/responses';
import type { Receipt } from '../dist/lib/protocol/types';
import { buildReceiptMessage, createReceiptPublisher, terminalTopics } from '../dist/lib/publish';
import { receiptResponseXml } from './fixtures';
import { startBroker } from './mosquitto';
import { interleave, nowMs, type Comparison } from './stats';

export interface MqttOptions {
  /** Receipts per burst (per round and side). */
  receipts: number;
  rounds: number;
}

export interface MqttResult {
  /** µs per receipt (burst time / receipts). */
  comparison: Comparison;
  receiptsPerSecond: { subject: number; baseline: number };
}

const TERMINAL = '10000001';

export async function benchMqtt(options: MqttOptions): Promise<MqttResult> {
  const template = parseResponse('transaction', parsePacket(receiptResponseXml())).receipt as Receipt;
  let serial = 0;
  const nextReceipts = (): Receipt[] =>
    Array.from({ length: options.receipts }, () => {
      serial++;
      return { ...template, seq: String(serial).padStart(6, '0'), rrn: String(100_000_000_000 + serial) };
    });
  const broker = await startBroker();
  const dir = mkdtempSync(path.join(tmpdir(), 'jpay-bench-outbox-'));
  const publisher = await createReceiptPublisher({ url: broker.url, journalPath: path.join(dir, 'outbox.jsonl'), reconnectPeriodMs: 200 });
  const plain = await mqtt.connectAsync(broker.url, { clientId: `jpay-bench-plain-${process.pid}`, clean: true });
  try {
    if (!publisher.connected) await new Promise<void>((resolve) => publisher.once('connected', () => resolve()));
    const topic = terminalTopics('jpay', TERMINAL).receipt;

    const subject = async (): Promise<number> => {
      const receipts = nextReceipts();
      const start = nowMs();
      const acked = new Promise<void>((resolve) => {
        const onSent = (): void => {
          if (publisher.queued > 0) return;
          publisher.off('sent', onSent);
          resolve();
        };
        publisher.on('sent', onSent);
      });
      await Promise.all(receipts.map((r) => publisher.publishReceipt(TERMINAL, r)));
      await acked;
      return ((nowMs() - start) * 1000) / receipts.length;
    };
    const baseline = async (): Promise<number> => {
      const payloads = nextReceipts().map((r) => JSON.stringify(buildReceiptMessage(TERMINAL, r)));
      const start = nowMs();
      await Promise.all(payloads.map((p) => plain.publishAsync(topic, p, { qos: 1 })));
      return ((nowMs() - start) * 1000) / payloads.length;
    };
    await subject();
    await baseline();
    const comparison = await interleave(options.rounds, subject, baseline);
    return {
      comparison,
      receiptsPerSecond: { subject: 1e6 / comparison.subject, baseline: 1e6 / comparison.baseline },
    };
  } finally {
    await plain.endAsync();
    await publisher.close();
    await broker.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

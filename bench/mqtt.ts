/**
 * Measurement 5 — receipts to MQTT through the durable outbox (lib/publish: journal
 * fdatasync, QoS 1, acknowledged = done) vs. plain MQTT.js publishing the same JSON with
 * QoS 1 to the same local Mosquitto:
 *  - a burst: `receipts` at once (group commit); time per receipt from the first publish
 *    to the last PUBACK;
 *  - one at a time: each receipt stored (one fdatasync) and acknowledged by the broker
 *    before the next, vs. MQTT.js publish-and-await; time per receipt. Once with the
 *    outbox on the disk, once on a RAM disk (/dev/shm) where a sync costs nothing: that
 *    row is the library's own cost, the other adds the disk's.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import path from 'node:path';
import mqtt from 'mqtt';
import { parsePacket } from '../dist/lib/codec/xml';
import { parseResponse } from '../dist/lib/protocol/responses';
import type { Receipt } from '../dist/lib/protocol/types';
import { buildReceiptMessage, createReceiptPublisher, receiptIdOf, terminalTopics, type ReceiptPublisher } from '../dist/lib/publish';
import { MEDIA, type Medium } from './disk';
import { receiptResponseXml } from './fixtures';
import { startBroker } from './mosquitto';
import { interleave, median, nowMs, type Comparison } from './stats';

export interface MqttOptions {
  /** Receipts per burst (per round and side). */
  receipts: number;
  /** Receipts published one after another (per round and side). */
  sequential: number;
  rounds: number;
}

export interface MqttResult {
  /** µs per receipt (burst time / receipts), outbox on the disk. */
  comparison: Comparison;
  receiptsPerSecond: { subject: number; baseline: number };
  /** µs per receipt, one at a time (median per round), per journal medium. */
  sequential: { medium: Medium['name']; comparison: Comparison }[];
}

const TERMINAL = '10000001';

export async function benchMqtt(options: MqttOptions): Promise<MqttResult> {
  const template = parseResponse('transaction', parsePacket(receiptResponseXml())).receipt as Receipt;
  let serial = 0;
  const nextReceipts = (count: number): Receipt[] =>
    Array.from({ length: count }, () => {
      serial++;
      return { ...template, seq: String(serial).padStart(6, '0'), rrn: String(100_000_000_000 + serial) };
    });
  const broker = await startBroker();
  const dirs: string[] = [];
  const publishers: ReceiptPublisher[] = [];
  const plain = await mqtt.connectAsync(broker.url, { clientId: `jpay-bench-plain-${process.pid}`, clean: true });
  const topic = terminalTopics('jpay', TERMINAL).receipt;
  const open = async (medium: Medium): Promise<ReceiptPublisher> => {
    const dir = mkdtempSync(path.join(medium.dir, 'jpay-bench-outbox-'));
    dirs.push(dir);
    const publisher = await createReceiptPublisher({ url: broker.url, journalPath: path.join(dir, 'outbox.jsonl'), reconnectPeriodMs: 200 });
    publishers.push(publisher);
    if (!publisher.connected) await new Promise<void>((resolve) => publisher.once('connected', () => resolve()));
    return publisher;
  };
  try {
    const [disk, ...others] = MEDIA;
    const onDisk = await open(disk);

    const burst = async (): Promise<number> => {
      const receipts = nextReceipts(options.receipts);
      const start = nowMs();
      const acked = new Promise<void>((resolve) => {
        const onSent = (): void => {
          if (onDisk.queued > 0) return;
          onDisk.off('sent', onSent);
          resolve();
        };
        onDisk.on('sent', onSent);
      });
      await Promise.all(receipts.map((r) => onDisk.publishReceipt(TERMINAL, r)));
      await acked;
      return ((nowMs() - start) * 1000) / receipts.length;
    };
    const plainBurst = async (): Promise<number> => {
      const payloads = nextReceipts(options.receipts).map((r) => JSON.stringify(buildReceiptMessage(TERMINAL, r)));
      const start = nowMs();
      await Promise.all(payloads.map((p) => plain.publishAsync(topic, p, { qos: 1 })));
      return ((nowMs() - start) * 1000) / payloads.length;
    };
    await burst();
    await plainBurst();
    const comparison = await interleave(options.rounds, burst, plainBurst);

    // One at a time: stored, then acknowledged by the broker, then the next.
    const oneAtATime = (publisher: ReceiptPublisher): (() => Promise<number>) => {
      const waiting = new Map<string, () => void>();
      publisher.on('sent', (e) => waiting.get(e.receiptId)?.());
      return async () => {
        const samples: number[] = [];
        for (const r of nextReceipts(options.sequential)) {
          const start = nowMs();
          const id = receiptIdOf(TERMINAL, r);
          const sent = new Promise<void>((resolve) => waiting.set(id, resolve));
          await publisher.publishReceipt(TERMINAL, r);
          await sent;
          waiting.delete(id);
          samples.push((nowMs() - start) * 1000);
        }
        return median(samples);
      };
    };
    const plainOneAtATime = async (): Promise<number> => {
      const samples: number[] = [];
      for (const r of nextReceipts(options.sequential)) {
        const payload = JSON.stringify(buildReceiptMessage(TERMINAL, r));
        const start = nowMs();
        await plain.publishAsync(topic, payload, { qos: 1 });
        samples.push((nowMs() - start) * 1000);
      }
      return median(samples);
    };
    const sequential: MqttResult['sequential'] = [];
    for (const medium of [disk, ...others]) {
      const subject = oneAtATime(medium === disk ? onDisk : await open(medium));
      await subject();
      await plainOneAtATime();
      sequential.push({ medium: medium.name, comparison: await interleave(options.rounds, subject, plainOneAtATime) });
    }
    return {
      comparison,
      receiptsPerSecond: { subject: 1e6 / comparison.subject, baseline: 1e6 / comparison.baseline },
      sequential,
    };
  } finally {
    await plain.endAsync();
    for (const p of publishers) await p.close();
    await broker.stop();
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  }
}

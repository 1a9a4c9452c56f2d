/** The publisher on an MQTT connection its caller owns (`transport`): followed, never ended here. */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { GatewayTransport, OutboundMessage } from '../../../lib/api/gateway';
import { createReceiptPublisher, type ReceiptPublisher } from '../../../lib/publish';
import type { Receipt } from '../../../lib/protocol/types';

const receipt: Receipt = { header: [], footer: [], approved: true, tid: '10000001', seq: '000001', datetime: '2024-05-01T10:00:00', amountAuthorized: 100 };

/** A connected transport whose PUBACKs the test hands out. */
class HeldAcks implements GatewayTransport {
  readonly connected = true;
  readonly sent: OutboundMessage[] = [];
  private readonly held: (() => void)[] = [];
  private waiting: (() => void) | undefined;

  subscribe(): void {}
  unsubscribe(): void {}
  onConnection(): () => void {
    return () => undefined;
  }

  publish(message: OutboundMessage): Promise<void> {
    this.sent.push(message);
    this.waiting?.();
    return new Promise((resolve) => this.held.push(resolve));
  }

  /** Resolves once a message on `topic` went out. */
  async published(topic: RegExp): Promise<void> {
    while (!this.sent.some((m) => topic.test(m.topic))) await new Promise<void>((resolve) => (this.waiting = resolve));
  }

  ackAll(): void {
    for (const ack of this.held.splice(0)) ack();
  }
}

describe('publish: publisher on a borrowed connection', () => {
  let dir: string;
  let journalPath: string;
  const publishers: ReceiptPublisher[] = [];

  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'jpay-pub-borrowed-'));
    journalPath = path.join(dir, 'outbox.log');
  });
  afterEach(async () => {
    for (const p of publishers.splice(0)) await p.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('close() waits for the PUBACK of a receipt in flight, so the outbox records it and a restart does not send it again', async () => {
    const transport = new HeldAcks();
    const p = await createReceiptPublisher({ journalPath, transport, closeTimeoutMs: 60_000 });
    await p.publishReceipt('kiosk-1', receipt);
    await transport.published(/\/receipt$/);

    let closed = false;
    const closing = p.close().then(() => (closed = true));
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(closed, false, 'close() returned with a receipt still in flight');
    transport.ackAll();
    await closing;

    const again = await createReceiptPublisher({ journalPath, transport: new HeldAcks() });
    publishers.push(again);
    assert.equal(again.loadReport.pending, 0, 'the acknowledged receipt is pending again after the restart');
  });
});

/**
 * `@jpaykit/node-red-jpay/publish`: receipts to MQTT through a durable outbox, the message
 * format and its JSON Schema, and the topic layout (docs/mqtt.md).
 */
export { createReceiptPublisher, ReceiptPublisher } from '../publish/publisher';
export type {
  PublisherState,
  PublishReceiptExtra,
  PublishReceiptResult,
  ReceiptProgress,
  ReceiptPublisherEvents,
  TerminalStatus,
} from '../publish/publisher';
export type { PublisherTlsOptions, ReceiptPublisherOptions } from '../publish/options';
export { OutboxError, type OutboxErrorCode } from '../publish/errors';
export { DEFAULT_OUTBOX_LIMITS, type OutboxLimits } from '../publish/outbox';
export { buildReceiptMessage, receiptIdOf, sanitizeReceipt, type ReceiptMessage } from '../publish/message';
export { RECEIPT_MESSAGE_FORMAT, RECEIPT_MESSAGE_SCHEMA, RECEIPT_SCHEMA, assertReceiptMessage } from '../publish/schema';
export { DEFAULT_PREFIX, terminalTopics, type TerminalTopics } from '../publish/topics';
